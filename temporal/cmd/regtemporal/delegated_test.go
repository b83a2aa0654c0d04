package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/temporal/flow"
)

// regtemporal delegated lists every DelegatedEvidence run with its status
// and times: one started here, with no worker to run it, is RUNNING and has
// no close time; a campaign workflow is not listed.
func TestDelegatedListsTheHandOffsWorkflows(t *testing.T) {
	srv := startServer(t)
	c := dialServer(t, srv, client.Options{})
	id := flow.DelegatedEvidenceID("c-1", "cmd-1")
	for _, w := range []struct{ id, typ string }{{id, flow.DelegatedEvidenceWorkflow}, {"campaign/c-2", flow.CampaignWorkflow}} {
		if _, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: w.id, TaskQueue: flow.TaskQueue}, w.typ); err != nil {
			t.Fatal(err)
		}
	}
	var got []delegatedView
	waitFor(t, 30*time.Second, "the workflow listed", func() bool {
		var out bytes.Buffer
		code := (&Main{Stdout: &out, Stderr: io.Discard}).Run(t.Context(),
			[]string{"delegated", "--address", srv.HostPort(), "--namespace", srv.Namespace()})
		if code != 0 {
			t.Fatalf("regtemporal delegated exited %d", code)
		}
		got = nil
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("output %q: %v", out.String(), err)
		}
		return len(got) > 0
	})
	if len(got) != 1 || got[0].WorkflowID != id || got[0].Status != "Running" || got[0].ClosedAt != nil || got[0].StartedAt.IsZero() {
		t.Errorf("delegated = %+v, want only %s, running, started, not closed", got, id)
	}
}
