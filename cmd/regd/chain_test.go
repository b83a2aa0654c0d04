package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// copies records what the retry middleware sends; failing, when set, makes
// every send fail.
type copies struct {
	mu      sync.Mutex
	own     []map[string]string
	failing error
}

func (c *copies) Requeue(_ context.Context, _ *message.Message, own map[string]string, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing != nil {
		return c.failing
	}
	c.own = append(c.own, own)
	return nil
}

func (c *copies) DeadLetter(ctx context.Context, m *message.Message, own map[string]string) (string, error) {
	return "dlq", c.Requeue(ctx, m, own, 0)
}

// chainRig is regd's chain over a Retrier with fake ports, logging JSON.
type chainRig struct {
	copies *copies
	logs   *bytes.Buffer
	chain  []message.Middleware
}

func newChainRig(tb testing.TB) *chainRig {
	tb.Helper()
	g := &chainRig{copies: &copies{}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewJSONHandler(g.logs, nil))
	r, err := retry.New(retry.Config{Requeuer: g.copies, DeadLetterer: g.copies, Classify: sqsq.ClassifyAWS, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	g.chain = middleware(log, r)
	return g
}

// lines returns the log lines, decoded.
func (g *chainRig) lines(tb testing.TB) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(g.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			tb.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// secondAttempt is a message on its second attempt, as a retry copy arrives.
func secondAttempt() *message.Message {
	return &message.Message{ID: "m-1", Queue: "events", QueueURL: "events-url", ReceiveCount: 1, SentAt: time.Now(),
		Attributes: map[string]string{
			statemachine.AttrEventType: string(statemachine.BrandVerified), statemachine.AttrEntityID: "b1",
			statemachine.AttrEventID: "e-1", retry.AttrRetry: "attempt=2",
		}}
}

// The order of regd's chain, by behaviour: Recover is inside retry (a panic
// reaches retry as a *PanicError and is retried like any failure), retry is
// inside Logging (its decision line carries the message's ids, and the
// attempt retry decoded), and the failure is logged once.
func TestChainOrder(t *testing.T) {
	g := newChainRig(t)
	h := message.Chain(func(ctx context.Context, _ *message.Message) error {
		message.LoggerFrom(ctx, nil).Info("handling")
		panic("nil record")
	}, g.chain...)
	if err := h(t.Context(), secondAttempt()); err != nil {
		t.Fatalf("chain returned %v, want nil: the retry middleware sent a copy", err)
	}
	if got, want := len(g.copies.own), 1; got != want {
		t.Fatalf("%d copies, want %d", got, want)
	}
	if got, want := g.copies.own[0][retry.AttrRetry], "attempt=3;last_error=panic"; !strings.HasPrefix(got, "attempt=3;") || !strings.Contains(got, "last_error=panic") {
		t.Errorf("copy's retry state %q, want %q: retry did not see the panic as a *message.PanicError", got, want)
	}
	lines := g.lines(t)
	if got, want := len(lines), 2; got != want {
		t.Fatalf("%d log lines, want %d (the handler's, the decision's): %s", got, want, g.logs)
	}
	for _, line := range lines {
		for k, want := range map[string]any{"message_id": "m-1", "record_id": "b1", "event_id": "e-1", "attempt": 2.0} {
			if line[k] != want {
				t.Errorf("line %q: %s = %v, want %v", line["msg"], k, line[k], want)
			}
		}
	}
	if got, want := lines[1]["msg"], "retry scheduled"; got != want {
		t.Errorf("decision line %q, want %q", got, want)
	}
	if got := strings.Count(g.logs.String(), "nil record"); got != 1 {
		t.Errorf("the panic is logged %d times, want once", got)
	}
}

// A failure the chain cannot decide (the copy was not sent) is returned for
// the consumer runtime, which logs it; the chain itself logs nothing of it.
func TestChainLeavesAnUndecidedFailureToTheRuntime(t *testing.T) {
	g := newChainRig(t)
	errSend := errors.New("sqs unavailable")
	g.copies.failing = errSend
	h := message.Chain(func(context.Context, *message.Message) error { return errors.New("store down") }, g.chain...)
	// The consumer runtime's context carries the message's logger.
	ctx := message.WithLogger(t.Context(), slog.New(slog.DiscardHandler))
	if err := h(ctx, secondAttempt()); !errors.Is(err, errSend) {
		t.Fatalf("chain returned %v, want the send's error", err)
	}
	if g.logs.Len() != 0 {
		t.Errorf("the chain logged %q, want nothing: the runtime logs the redelivery once", g.logs)
	}
	// The runtime logs it with the logger the chain left: the ids and the
	// attempt.
	message.LoggerFrom(ctx, nil).Error("handler failed; message left for redelivery")
	lines := g.lines(t)
	for k, want := range map[string]any{"message_id": "m-1", "record_id": "b1", "event_id": "e-1", "attempt": 2.0} {
		if lines[0][k] != want {
			t.Errorf("runtime's line: %s = %v, want %v", k, lines[0][k], want)
		}
	}
}
