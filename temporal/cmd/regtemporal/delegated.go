package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "delegated", summary: "print every DelegatedEvidence workflow as JSON",
	usage: `regtemporal delegated [flags]

Prints one JSON array: every run of the hybrid hand-off's workflow
DelegatedEvidence (workflow id evidence/<campaign>/<command event id>), with
its start time, its close time once closed, and its status. One visibility
query, paged. regbench's hybrid system reads the hand-off's latencies and
duplicate starts from it.`,
	setup: delegatedCommand})

// delegatedView is one DelegatedEvidence run in the output of delegated.
type delegatedView struct {
	WorkflowID string     `json:"workflow_id"`
	RunID      string     `json:"run_id"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

func delegatedCommand(fs *flag.FlagSet, m *Main) runFunc {
	return clientCommand(fs, m, func(ctx context.Context, cl client.Client, namespace string) error {
		req := &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s'", flow.DelegatedEvidenceWorkflow), PageSize: 1000}
		out := []delegatedView{}
		for {
			resp, err := cl.ListWorkflow(ctx, req)
			if err != nil {
				return fmt.Errorf("list delegated workflows: %w", err)
			}
			for _, info := range resp.GetExecutions() {
				v := delegatedView{WorkflowID: info.GetExecution().GetWorkflowId(), RunID: info.GetExecution().GetRunId(),
					Status: info.GetStatus().String(), StartedAt: info.GetStartTime().AsTime()}
				if closed(info) {
					t := info.GetCloseTime().AsTime()
					v.ClosedAt = &t
				}
				out = append(out, v)
			}
			if len(resp.GetNextPageToken()) == 0 {
				return json.NewEncoder(m.Stdout).Encode(out)
			}
			req.NextPageToken = resp.GetNextPageToken()
		}
	})
}
