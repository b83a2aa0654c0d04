package retry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// flowPolicies are testPolicy (3 deferrals of early events) with a newer-flow
// budget of 5 deferrals below 10 s.
var flowPolicies = retry.Policies{Default: testPolicy,
	NewerFlow: retry.Policy{MaxAttempts: 1, MaxDeferrals: 5, DeferBase: 10 * time.Second, DeferCap: 10 * time.Second}}

// TestRollingFlowDeployDefersWhatANewerFlowStarted plays a rolling deploy
// that changes the flow: a replica still on v1 meets a campaign started on
// v2 (waiting in EVIDENCE_REVIEW) and an event only v2 has. It defers the
// message, on the newer-flow budget and its short delay, past the early
// events' budget, never dead-lettering it while the budget lasts; a replica
// on v2 then applies the copy. Past the budget it is dead-lettered as
// unsupported_flow.
func TestRollingFlowDeployDefersWhatANewerFlowStarted(t *testing.T) {
	v2Campaign := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", ParentID: "b1", Flow: statemachine.FlowV2,
		State: statemachine.EvidenceReview, Version: 4}
	v1Campaign := v2Campaign
	v1Campaign.Flow, v1Campaign.State = 0, statemachine.InReview
	tests := []struct {
		name   string
		rec    statemachine.Record
		event  statemachine.EventType
		after  statemachine.State // once a v2 replica applies the copy
		reason string
	}{
		{name: "a v2 record", rec: v2Campaign, event: statemachine.CampaignFailed, after: statemachine.Failed},
		{name: "a v2 event", rec: v1Campaign, event: statemachine.CampaignEvidenceApproved, after: statemachine.InReview},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRigWith(t, flowPolicies, maxRand{})
			store := &records{}
			seedRecord(store, tt.rec)
			sent := &sentMessages{}
			v1 := dispatcher(t, store, sent, statemachine.FlowV1)
			m := flowMessage(t, tt.event)
			// Past the 3 deferrals of an early event: the mix has its own.
			for i := range flowPolicies.NewerFlow.MaxDeferrals {
				if err := g.handler(v1.Handle)(t.Context(), m); err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
				in := g.queues.last(t)
				a := retryAttrs(t, in)
				if in.QueueURL != srcURL || a.FlowDeferrals != i+1 || a.Deferrals != 0 || in.DelaySeconds > 10 {
					t.Fatalf("delivery %d: copy to %s, flow deferrals %d, deferrals %d, delay %d s; want a copy on the source queue, %d newer-flow deferrals, within 10 s",
						i+1, in.QueueURL, a.FlowDeferrals, a.Deferrals, in.DelaySeconds, i+1)
				}
				if !strings.Contains(g.logs.String(), statemachine.ReasonNewerFlow) {
					t.Errorf("the deferral's log does not say %q", statemachine.ReasonNewerFlow)
				}
				m = g.deliverCopy(t)
			}
			if got, want := g.obs.flowDeferred, flowPolicies.NewerFlow.MaxDeferrals; got != want || g.obs.deferred != 0 || len(g.obs.deadLettered) != 0 {
				t.Errorf("observed %d newer-flow deferrals, %d others, dead letters %v; want %d and none", got, g.obs.deferred, g.obs.deadLettered, want)
			}
			if r, _ := store.Get(t.Context(), tt.rec.Kind, tt.rec.ID); r.State != tt.rec.State || sent.n() != 0 {
				t.Fatalf("the v1 replica changed the record (%s) or sent %d messages", r.State, sent.n())
			}

			// A v2 replica takes the next copy.
			v2 := dispatcher(t, store, sent, statemachine.FlowV2)
			if err := g.handler(v2.Handle)(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			r, _ := store.Get(t.Context(), tt.rec.Kind, tt.rec.ID)
			if got := r.State; got != tt.after {
				t.Errorf("after the v2 replica: %s, want %s", got, tt.after)
			}

			// On v1 to the end, the budget runs out.
			g = newRigWith(t, flowPolicies, maxRand{})
			store = &records{}
			seedRecord(store, tt.rec)
			v1 = dispatcher(t, store, sent, statemachine.FlowV1)
			m = flowMessage(t, tt.event)
			for range flowPolicies.NewerFlow.MaxDeferrals {
				if err := g.handler(v1.Handle)(t.Context(), m); err != nil {
					t.Fatal(err)
				}
				m = g.deliverCopy(t)
			}
			if err := g.handler(v1.Handle)(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			if in := g.queues.last(t); in.QueueURL != dlqURL || !strings.HasPrefix(attr(in, retry.AttrDeadLetter), "reason=unsupported_flow;class=deferred") {
				t.Errorf("past the budget: sent to %s with %q, want the dead-letter queue as unsupported_flow", in.QueueURL, attr(in, retry.AttrDeadLetter))
			}
		})
	}
}

func dispatcher(tb testing.TB, store *records, sent *sentMessages, f statemachine.Flow) *handlers.Dispatcher {
	tb.Helper()
	d, err := handlers.NewDispatcher(handlers.DispatcherConfig{Store: store, Sender: sent, Flow: f})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func seedRecord(s *records, r statemachine.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = map[string]statemachine.Record{string(r.Kind) + "#" + r.ID: r}
}

// flowMessage is a first delivery of event t about campaign c1.
func flowMessage(tb testing.TB, t statemachine.EventType) *message.Message {
	tb.Helper()
	e := statemachine.Envelope{Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: "ev-" + string(t), EntityID: "c1",
		OccurredAt: t0, CorrelationID: "corr-1", Actor: "test", Payload: []byte(`{}`)}
	body, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return &message.Message{ID: "orig-1", Queue: "events", QueueURL: srcURL, ReceiptHandle: "rh-1",
		Body: body, Attributes: e.Attributes(), ReceiveCount: 1, SentAt: t0}
}
