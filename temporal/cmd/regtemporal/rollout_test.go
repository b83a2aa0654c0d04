package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
	"github.com/tendlc/tendlc/temporal/flow"
)

// A rolling deploy from flow v1 to v2, one worker at a time, with every
// answer signalled by the test at the step it chooses:
//   - a campaign a v1 worker started and left in IN_REVIEW, before the new
//     step, stays on flow v1 when a v2 worker runs it on: no evidence is
//     submitted (a GetVersion made at the step instead of first would
//     submit it);
//   - a campaign a v2 worker started, met by a v1 worker, fails the v1
//     worker's workflow task (counted by the SDK's
//     temporal_workflow_task_execution_failed, failure_reason
//     NonDeterminismError) without failing the campaign, which a v2 worker
//     then finishes on flow v2.
func TestRollingDeployKeepsEachCampaignsFlow(t *testing.T) {
	ctx := t.Context()
	srv := startServer(t)
	c := dialServer(t, srv, client.Options{})
	// The simulator answers every call; its webhooks are all dropped and
	// the thresholds are an hour, so the answers are the test's signals.
	sim, downstream := simulate(t, tcrsim.Config{WebhookURL: "http://127.0.0.1:1", Secret: []byte("0123456789abcdef0123456789abcdef"), Seed: 1, Drop: 1})
	acts := &flow.Activities{Downstream: downstream, Temporal: c,
		Settings: flow.NewSettings(sweeper.DefaultPolicy().Uniform(time.Hour), 0.01, time.Hour)}
	rates := map[string]float64{"registry": 100, "att": 100, "tmobile": 100, "verizon": 100, "numbers": 100}
	evidence := func() int64 { return sim.Counters().Endpoints[endpointEvidence].Requests }

	v1 := startWorkers(t, c, statemachine.FlowV1, acts, rates)
	raw, _ := json.Marshal(statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"})
	envs := []statemachine.Envelope{{Type: statemachine.BrandRegister, EventID: "reg-b-0", EntityID: "b-0", Payload: raw},
		campaignRegistration("c-0", "b-0", 1)}
	if started, _, err := seed(ctx, c, envs); err != nil || started != 2 {
		t.Fatalf("seed: %d started, %v", started, err)
	}
	signalEvent(t, c, "b-0", statemachine.BrandVerified, statemachine.Identity{Status: "VERIFIED"})
	waitForState(t, c, "c-0", statemachine.InReview)
	stopWorkers(v1)
	v2 := startWorkers(t, c, statemachine.FlowV2, acts, rates)
	signalEvent(t, c, "c-0", statemachine.CampaignReviewApproved, nil)
	waitForState(t, c, "c-0", statemachine.CarrierReview)
	carriersApprove(t, c, "c-0")
	if got := finish(t, c, "c-0", 0); got.Flow != statemachine.FlowV1 || evidence() != 0 {
		t.Errorf("campaign started on v1 ended on flow %v after %d evidence submissions, want v1 and none", got.Flow, evidence())
	}

	if started, _, err := seed(ctx, c, []statemachine.Envelope{campaignRegistration("c-1", "b-0", 1)}); err != nil || started != 1 {
		t.Fatalf("seed c-1: %d started, %v", started, err)
	}
	waitForState(t, c, "c-1", statemachine.InReview)
	stopWorkers(v2)
	reg := prometheus.NewRegistry()
	metrics, closer := sdkMetrics(reg)
	defer closer.Close()
	v1 = startWorkers(t, dialServer(t, srv, client.Options{MetricsHandler: metrics}), statemachine.FlowV1, acts, rates)
	signalEvent(t, c, "c-1", statemachine.CampaignReviewApproved, nil)
	waitFor(t, 30*time.Second, "the v1 worker's failed workflow task", func() bool {
		return taskFailures(t, reg) > 0
	})
	stopWorkers(v1)
	if got := evidence(); got != 0 {
		t.Errorf("%d evidence submissions before a v2 worker ran the campaign, want none", got)
	}
	startWorkers(t, c, statemachine.FlowV2, acts, rates)
	waitFor(t, 60*time.Second, "the evidence submitted by a v2 worker", func() bool { return evidence() == 1 })
	signalEvent(t, c, "c-1", statemachine.CampaignEvidenceApproved, nil)
	carriersApprove(t, c, "c-1")
	if got := finish(t, c, "c-1", 1); got.Flow != statemachine.FlowV2 {
		t.Errorf("campaign started on v2 ended on flow %v, want v2", got.Flow)
	}
}

// taskFailures returns the workflow task failures the SDK counted for
// campaigns because of nondeterminism, as /metrics exports them.
func taskFailures(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, f := range families {
		if f.GetName() != "temporal_workflow_task_execution_failed" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["failure_reason"] == "NonDeterminismError" && labels["workflow_type"] == flow.CampaignWorkflow {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// signalEvent sends the webhook event of type typ with payload p about record id
// to its workflow, as the webhook sink does.
func signalEvent(t *testing.T, c client.Client, id string, typ statemachine.EventType, p any) {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		raw = nil
	}
	env := statemachine.Envelope{Type: typ, SchemaVersion: statemachine.SchemaVersion, EventID: fmt.Sprintf("wh-%s-%s", id, typ),
		EntityID: id, OccurredAt: time.Now().UTC(), Actor: "webhook", Payload: raw}
	waitFor(t, 30*time.Second, fmt.Sprintf("signal %s to %s (its workflow started)", typ, id), func() bool {
		return c.SignalWorkflow(t.Context(), flow.WorkflowID(typ.Kind(), id), "", flow.SignalEvent, env) == nil
	})
}

// carriersApprove signals every carrier's approval of campaign id.
func carriersApprove(t *testing.T, c client.Client, id string) {
	t.Helper()
	for _, carrier := range statemachine.Carriers {
		raw, _ := json.Marshal(statemachine.CarrierUpdate{Carrier: carrier})
		env := statemachine.Envelope{Type: statemachine.CampaignCarrierApproved, SchemaVersion: statemachine.SchemaVersion,
			EventID: "wh-" + id + "-" + string(carrier), EntityID: id, OccurredAt: time.Now().UTC(), Actor: "webhook", Payload: raw}
		if err := c.SignalWorkflow(t.Context(), flow.WorkflowID(statemachine.KindCampaign, id), "", flow.SignalEvent, env); err != nil {
			t.Fatal(err)
		}
	}
}

// finish registers the one number of campaign id (the seq-th campaign) and
// returns the campaign's record, which must be ACTIVE.
func finish(t *testing.T, c client.Client, id string, seq int) statemachine.Record {
	t.Helper()
	signalEvent(t, c, fmt.Sprintf("+1202555%04d", seq), statemachine.NumberRegistered, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var rec statemachine.Record
	if err := c.GetWorkflow(ctx, flow.WorkflowID(statemachine.KindCampaign, id), "").Get(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.State != statemachine.Active {
		t.Fatalf("campaign %s ended %s %v, want ACTIVE", id, rec.State, rec.Reason)
	}
	return rec
}

// waitForState waits until campaign id's workflow is in state s.
func waitForState(t *testing.T, c client.Client, id string, s statemachine.State) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("campaign %s in %s", id, s), func() bool {
		v, err := c.QueryWorkflow(t.Context(), flow.WorkflowID(statemachine.KindCampaign, id), "", flow.QueryRecord)
		var rec statemachine.Record
		return err == nil && v.Get(&rec) == nil && rec.State == s
	})
}

// stopWorkers stops ws, as a worker replaced in a deploy stops.
func stopWorkers(ws []worker.Worker) {
	for _, w := range ws {
		w.Stop()
	}
}
