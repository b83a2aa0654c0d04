package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "history", summary: "print every record as JSON, for the run checker",
	usage: `regtemporal history [flags]

Prints {"records": [...]}: the record (statemachine.Record) of every brand,
campaign and number workflow, the result of a completed workflow and the
answer of QueryRecord for one that runs; a campaign's flow is the one its
workflow recorded (v1 for one started before flows were versioned). There
are no audit items: the workflows' event histories are Temporal's audit
trail.`,
	setup: historyCommand})

// historyConcurrency is how many records are read at once.
const historyConcurrency = 16

func historyCommand(fs *flag.FlagSet, m *Main) runFunc {
	return clientCommand(fs, m, func(ctx context.Context, cl client.Client, namespace string) error {
		infos, err := listRecords(ctx, cl, statemachine.KindBrand, statemachine.KindCampaign, statemachine.KindNumber)
		if err != nil {
			return err
		}
		recs, err := readRecords(ctx, cl, infos)
		if err != nil {
			return err
		}
		return json.NewEncoder(m.Stdout).Encode(struct {
			Records []statemachine.Record `json:"records"`
		}{recs})
	})
}

// readRecords reads the record of every workflow, sorted by kind and id.
func readRecords(ctx context.Context, c client.Client, infos map[string]*workflowpb.WorkflowExecutionInfo) ([]statemachine.Record, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		recs  []statemachine.Record
		errs  []error
		slots = make(chan struct{}, historyConcurrency)
	)
	for id, info := range infos {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			rec, err := readRecord(ctx, c, info)
			if rec.Kind == statemachine.KindCampaign && rec.Flow == 0 {
				rec.Flow = flowOf(info) // finished before flows were versioned
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
				return
			}
			recs = append(recs, rec)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d of %d records unreadable, first: %w", len(errs), len(infos), errs[0])
	}
	slices.SortFunc(recs, func(a, b statemachine.Record) int {
		return strings.Compare(string(a.Kind)+"/"+a.ID, string(b.Kind)+"/"+b.ID)
	})
	return recs, nil
}

// readRecord returns a completed workflow's result, or what QueryRecord
// answers for any other. A closed workflow that cannot answer (it failed
// before its query handler was set) is a FAILED record, with its status and
// last state from visibility as the reason.
func readRecord(ctx context.Context, c client.Client, info *workflowpb.WorkflowExecutionInfo) (statemachine.Record, error) {
	var rec statemachine.Record
	ex := info.GetExecution()
	if info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return rec, c.GetWorkflow(ctx, ex.GetWorkflowId(), ex.GetRunId()).Get(ctx, &rec)
	}
	v, err := c.QueryWorkflow(ctx, ex.GetWorkflowId(), ex.GetRunId(), flow.QueryRecord)
	if err == nil {
		err = v.Get(&rec)
	}
	if err != nil && closed(info) {
		kind, id, _ := strings.Cut(ex.GetWorkflowId(), "/")
		return statemachine.Record{Kind: statemachine.Kind(kind), ID: id, State: statemachine.Failed,
			Reason:    &statemachine.Reason{Description: fmt.Sprintf("workflow %s in %s", info.GetStatus(), stateOf(info))},
			CreatedAt: info.GetStartTime().AsTime(), StateEnteredAt: info.GetCloseTime().AsTime()}, nil
	}
	return rec, err
}
