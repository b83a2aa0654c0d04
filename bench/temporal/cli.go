package temporal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// cli runs regtemporal's client subcommands against one server's namespace:
// the root module does not import the Temporal SDK (the baseline's module
// stays lean), so the benchmark reads the Temporal side through the
// subcommands' JSON.
type cli struct {
	bin       string // the regtemporal binary
	address   string // the frontend's host:port
	namespace string
}

// args returns the arguments of subcommand sub, with the server's address
// and namespace, then rest.
func (c cli) args(sub string, rest ...string) []string {
	return append([]string{sub, "--address", c.address, "--namespace", c.namespace}, rest...)
}

// run runs subcommand sub with stdin (nil for none) and returns its
// standard output. Its error says how the command failed, with the end of
// what it wrote to its standard error.
func (c cli) run(ctx context.Context, stdin io.Reader, sub string, rest ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.bin, c.args(sub, rest...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 1024 {
			msg = "..." + msg[len(msg)-1024:]
		}
		return nil, fmt.Errorf("regtemporal %s: %w: %s", sub, err, msg)
	}
	return stdout.Bytes(), nil
}

// readTimeout bounds one read of the server's state (campaigns, backlog):
// while the server restarts, a read fails instead of holding the progress
// line.
const readTimeout = 10 * time.Second

// read runs a subcommand that reads the server's state within readTimeout.
func (c cli) read(ctx context.Context, sub string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return c.run(ctx, nil, sub)
}

// seedInput is the load's registrations as `regtemporal seed` reads them:
// one statemachine.Envelope per line, brands first.
func seedInput(l bench.Load) (*bytes.Buffer, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, env := range l.Envelopes {
		if err := enc.Encode(env); err != nil {
			return nil, fmt.Errorf("encode registration %s: %w", env.EntityID, err)
		}
	}
	return &b, nil
}

// parseSeeded reads `regtemporal seed`'s answer, "seeded N (M already
// registered)", and returns N, the workflows it started, and M, those that
// existed.
func parseSeeded(out []byte) (started, existing int, err error) {
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "seeded %d (%d already registered)", &started, &existing); err != nil {
		return 0, 0, fmt.Errorf("regtemporal seed answered %q, not \"seeded N (M already registered)\"", bytes.TrimSpace(out))
	}
	return started, existing, nil
}

// campaignState is one campaign of `regtemporal campaigns`: its workflow's
// current state if open, its last if closed, and then when it closed.
type campaignState struct {
	State     statemachine.State `json:"state"`
	EnteredAt time.Time          `json:"entered_at"`
	CreatedAt time.Time          `json:"created_at"`
}

// parseCampaigns reads `regtemporal campaigns`'s object of campaign states
// by campaign id, and returns those of ids; a campaign without a state is
// left out, as one without a workflow.
func parseCampaigns(out []byte, ids []string) (map[string]bench.Campaign, error) {
	var all map[string]campaignState
	if err := json.Unmarshal(out, &all); err != nil {
		return nil, fmt.Errorf("read regtemporal campaigns: %w", err)
	}
	seen := map[string]bench.Campaign{}
	for _, id := range ids {
		if c, ok := all[id]; ok && c.State != "" {
			seen[id] = bench.Campaign{State: c.State, EnteredAt: c.EnteredAt, CreatedAt: c.CreatedAt}
		}
	}
	return seen, nil
}

// parseHistory reads `regtemporal history`'s records.
func parseHistory(out []byte) ([]statemachine.Record, error) {
	var h struct {
		Records []statemachine.Record `json:"records"`
	}
	if err := json.Unmarshal(out, &h); err != nil {
		return nil, fmt.Errorf("read regtemporal history: %w", err)
	}
	return h.Records, nil
}

// parseBacklog reads `regtemporal backlog`'s depth of every task queue.
func parseBacklog(out []byte) (map[string]bench.QueueDepth, error) {
	var b map[string]bench.QueueDepth
	if err := json.Unmarshal(out, &b); err != nil {
		return nil, fmt.Errorf("read regtemporal backlog: %w", err)
	}
	return b, nil
}

// Run runs regtemporal's client subcommand sub (the binary bin) against the
// server at address, in Namespace, and returns its standard output, as
// System reads the Temporal side: a system with a Temporal part of its own
// (the hybrid) reads it so. Its error says how the command failed.
func Run(ctx context.Context, bin, address, sub string, rest ...string) ([]byte, error) {
	return cli{bin: bin, address: address, namespace: Namespace}.run(ctx, nil, sub, rest...)
}
