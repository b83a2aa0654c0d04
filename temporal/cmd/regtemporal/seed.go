package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "seed", summary: "start a workflow per registration read from stdin",
	usage: `regtemporal seed [flags] < registrations.jsonl

Reads JSON lines of envelopes (brand.register, campaign.register: what a
producer sends the baseline's events queue) and starts the workflow of each
record under its id (brand/<id>, campaign/<id>). A record whose workflow runs
or ran already is left alone, so seeding twice starts nothing new. Prints
"seeded N (M already registered)".`,
	setup: seedCommand})

// seedConcurrency is how many starts are in flight at once.
const seedConcurrency = 16

func seedCommand(fs *flag.FlagSet, m *Main) runFunc {
	var c conn
	c.flags(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		envs, err := readEnvelopes(os.Stdin)
		if err != nil {
			return err
		}
		return c.with(ctx, m.Stderr, func(cl client.Client) error {
			started, existing, err := seed(ctx, cl, envs)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "seeded %d (%d already registered)\n", started, existing)
			return nil
		})
	}
}

// readEnvelopes reads JSON lines of registrations and checks each names a
// workflow.
func readEnvelopes(r io.Reader) ([]statemachine.Envelope, error) {
	var envs []statemachine.Envelope
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var env statemachine.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if _, err := workflowOf(env); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		// As the baseline's producer completes and checks what it sends: a
		// registration with a malformed payload would start a workflow that
		// cannot run. Its event id, when it has none, names the record, so
		// a second seed of it is recognisable.
		env = env.Completed("register-"+flow.WorkflowID(env.Type.Kind(), env.EntityID), time.Now().UTC())
		if err := env.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		envs = append(envs, env)
	}
	return envs, sc.Err()
}

// workflowOf returns the workflow a registration starts.
func workflowOf(env statemachine.Envelope) (any, error) {
	switch env.Type {
	case statemachine.BrandRegister:
		return flow.BrandWorkflow, nil
	case statemachine.CampaignRegister:
		return flow.CampaignWorkflow, nil
	}
	return nil, fmt.Errorf("%s is not a registration (want %s or %s)", env.Type, statemachine.BrandRegister, statemachine.CampaignRegister)
}

// seed starts the workflow of every registration, brands first as given,
// and counts those started and those that existed.
func seed(ctx context.Context, c client.Client, envs []statemachine.Envelope) (started, existing int64, err error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		slots = make(chan struct{}, seedConcurrency)
	)
	for _, env := range envs {
		wf, _ := workflowOf(env)
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			// A running workflow of the id fails the start (the default
			// conflict policy), and so does a closed one (the reuse policy):
			// both are counted as already registered.
			opts := client.StartWorkflowOptions{ID: flow.WorkflowID(env.Type.Kind(), env.EntityID), TaskQueue: flow.TaskQueue,
				WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, WorkflowExecutionErrorWhenAlreadyStarted: true}
			_, err := c.ExecuteWorkflow(ctx, opts, wf, env)
			switch {
			case temporal.IsWorkflowExecutionAlreadyStartedError(err):
				atomic.AddInt64(&existing, 1)
			case err != nil:
				mu.Lock()
				errs = append(errs, fmt.Errorf("start %s: %w", opts.ID, err))
				mu.Unlock()
			default:
				atomic.AddInt64(&started, 1)
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return started, existing, fmt.Errorf("%d of %d starts failed, first: %w", len(errs), len(envs), errs[0])
	}
	return started, existing, nil
}
