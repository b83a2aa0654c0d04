package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// bridgeQueue drains the bridge's queue of d as the bridge would, and
// keeps the commands it received.
type bridgeQueue struct {
	mu       sync.Mutex
	commands []statemachine.Envelope
}

func drainBridge(tb testing.TB, d deploytest.Deployment) *bridgeQueue {
	tb.Helper()
	q := string(statemachine.ToTemporal)
	c, err := sqsq.NewConsumer(d.SQS, sqsq.ConsumerConfig{QueueURL: d.URLs[q], Queue: q, WaitTime: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	b := &bridgeQueue{}
	ctx, cancel := context.WithCancel(context.WithoutCancel(tb.Context()))
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = c.Run(ctx, func(_ context.Context, m *message.Message) error {
			cmd, err := handlers.DecodeMessage(m)
			if err != nil {
				tb.Errorf("bridge: %v", err)
				return nil
			}
			b.mu.Lock()
			b.commands = append(b.commands, cmd)
			b.mu.Unlock()
			return nil
		})
	})
	tb.Cleanup(func() { cancel(); wg.Wait() })
	return b
}

func (b *bridgeQueue) received() []statemachine.Envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.commands)
}

// TestDelegatedEvidenceReviewGoesThroughTheBridge runs regd --flow v2
// --delegate evidence: the campaign's evidence review is a
// temporal.evidence_review command on the bridge's queue, nothing goes to
// the registry for it, and the workflow's result, sent to the events queue
// twice under one id (as a workflow that re-sends it would), moves the
// campaign on once, to ACTIVE.
func TestDelegatedEvidenceReviewGoesThroughTheBridge(t *testing.T) {
	d := deploytest.New(t)
	bridge := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(bridge.Close)
	cfg, err := ParseConfig([]string{"--flow", "v2", "--delegate", "evidence", "--bridge-url", bridge.URL},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	startRegd(t, d, func(m *Main) {
		m.Config.Flow, m.Config.Delegate, m.Config.BridgeURL = cfg.Flow, cfg.Delegate, cfg.BridgeURL
	})
	downstreams := play(t, d, approveAll)
	b := drainBridge(t, d)
	numbers := []string{"+12025550131"}
	if err := d.Producer(t).Send(t.Context(), registrations("b1", "c1", numbers)...); err != nil {
		t.Fatal(err)
	}

	c := waitFor(t, d, statemachine.KindCampaign, "c1", 30*time.Second, inState(statemachine.EvidenceReview))
	var cmds []statemachine.Envelope
	for deadline := time.Now().Add(10 * time.Second); len(cmds) == 0 && time.Now().Before(deadline); {
		cmds = b.received()
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	if len(cmds) != 1 || cmds[0].Type != statemachine.CmdDelegateEvidence || cmds[0].EntityID != "c1" {
		t.Fatalf("the bridge's queue holds %v, want one temporal.evidence_review for c1", cmds)
	}
	cmd := cmds[0]
	p, err := statemachine.DecodePayload[statemachine.DelegatedEvidence](cmd.Payload)
	if err != nil || p.CampaignID != "c1" || p.Evidence.UseCase != "2FA" || len(p.Evidence.SampleMessages) != 1 {
		t.Errorf("payload %+v (%v), want c1's evidence", p, err)
	}
	if ref := c.Commands[statemachine.ToTemporal]; ref.EventID != cmd.EventID || !statemachine.Delegated(*c) {
		t.Errorf("the record's commands %+v, want the bridge's command %s", c.Commands, cmd.EventID)
	}

	result := ev(statemachine.CampaignEvidenceApproved, "c1", nil)
	result.EventID, result.CorrelationID, result.Actor = "evidence-result-c1", cmd.CorrelationID, "temporal:evidence"
	prod := d.Producer(t)
	for range 2 {
		if err := prod.Send(t.Context(), result); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, d, statemachine.KindCampaign, "c1", 60*time.Second, inState(statemachine.Active))
	steps := 0
	for _, s := range statePath(t, d, statemachine.KindCampaign, "c1") {
		if s == "campaign.evidence_approved>CARRIER_REVIEW" {
			steps++
		}
	}
	if steps != 1 {
		t.Errorf("the result applied %d times, want once: %v", steps, statePath(t, d, statemachine.KindCampaign, "c1"))
	}
	if n := downstreams.count()["registry registry.submit_evidence c1"]; n != 0 {
		t.Errorf("the registry got the evidence %d times, want never", n)
	}
	if got := b.received(); len(got) != 1 {
		t.Errorf("the bridge's queue got %d commands, want 1", len(got))
	}
}
