package flow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// reported records the events ReportResult sent.
type reported struct {
	mu     sync.Mutex
	events []statemachine.Envelope
	// dies, when set, fails the first send after the events were sent, as
	// when the worker dies before it completes the activity.
	dies bool
}

func (r *reported) Send(_ context.Context, envs ...statemachine.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, envs...)
	if r.dies {
		r.dies = false
		return errors.New("the worker died after sending")
	}
	return nil
}

// delegatedEnv is newFlowEnv with the delegated review's workflow id set and
// its ReportResult recording into the returned reported.
func delegatedEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *world, *reported) {
	t.Helper()
	env, w := newFlowEnv(t, statemachine.FlowV2)
	rep := &reported{}
	a := &Activities{Events: rep}
	env.OnActivity(a.ReportResult, mock.Anything, mock.Anything).Return(func(ctx context.Context, ev statemachine.Envelope) error {
		return a.ReportResult(ctx, ev)
	}).Maybe()
	env.SetStartWorkflowOptions(startOptions(DelegatedEvidenceID("c-1", "cmd-1")))
	return env, w, rep
}

// delegateCommand is the command a legacy replica sends to the temporal queue.
func delegateCommand() statemachine.Envelope {
	cmd := event(statemachine.CmdDelegateEvidence, "c-1", "cmd-1", statemachine.DelegatedEvidence{CampaignID: "c-1",
		Evidence: statemachine.Evidence{UseCase: "2FA", Description: "sign-in codes", SampleMessages: []string{"Your code is 123456"}}})
	cmd.Actor, cmd.CorrelationID = "regd", "corr-1"
	return cmd
}

// delegatedResult returns the workflow's result, checking it sent exactly
// that event to the events queue, once, as its last activity.
func delegatedResult(t *testing.T, env *testsuite.TestWorkflowEnvironment, rep *reported) DelegatedResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res DelegatedResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(rep.events) != 1 || rep.events[0].EventID != res.Event.EventID {
		t.Fatalf("reported %+v, want once the result %s", rep.events, res.Event.EventID)
	}
	if got := res.Event; got.EntityID != "c-1" || got.Actor != BridgeActor || got.CorrelationID != "corr-1" || got.Validate() != nil {
		t.Errorf("result event %+v (%v), want a valid event about c-1 by %s in the command's correlation", got, got.Validate(), BridgeActor)
	}
	return res
}

var evidenceAt = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// A delegated review submits the evidence to the registry once under a key
// of its workflow id, takes the registry's decision, and reports it with
// the id the status look-up's copy of it translates to.
func TestDelegatedEvidenceDecided(t *testing.T) {
	rejection := statemachine.Reason{Code: statemachine.CodeOptInUnverified, Description: "no call to action"}
	tests := []struct {
		name     string
		decision statemachine.Envelope
		wantType statemachine.EventType
	}{
		{"approved", event(statemachine.CampaignEvidenceApproved, "c-1", "wh-evidence", nil), statemachine.CampaignEvidenceApproved},
		{"rejected", event(statemachine.CampaignEvidenceRejected, "c-1", "wh-evidence", rejection), statemachine.CampaignEvidenceRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, w, rep := delegatedEnv(t)
			tt.decision.OccurredAt = evidenceAt
			at(t, env, time.Hour, DelegatedEvidenceID("c-1", "cmd-1"), tt.decision)
			env.ExecuteWorkflow(DelegatedEvidenceWorkflow, delegateCommand())
			res := delegatedResult(t, env, rep)
			if got, want := w.keys(statemachine.CmdSubmitEvidence), []string{"evidence/c-1/cmd-1/registry/registry.submit_evidence"}; len(got) != 1 || got[0] != want[0] {
				t.Errorf("evidence submissions %v, want %v", got, want)
			}
			if res.Event.Type != tt.wantType || res.Decision == nil || res.Decision.EventID != "wh-evidence" {
				t.Fatalf("result %+v, want %s with the decision as a webhook", res, tt.wantType)
			}
			copies, err := tcr.Translate(*res.Decision)
			if err != nil || len(copies) != 1 || copies[0].EventID != res.Event.EventID || !copies[0].OccurredAt.Equal(evidenceAt) {
				t.Errorf("the look-up's copy %+v (%v), want the result's id %s dated %v", copies, err, res.Event.EventID, evidenceAt)
			}
			if tt.wantType == statemachine.CampaignEvidenceRejected {
				if r := reasonOf(res.Event); *r != rejection {
					t.Errorf("reason %+v, want %+v", *r, rejection)
				}
			}
			if len(w.lookups) != 0 {
				t.Errorf("look-ups %v, want none", w.lookups)
			}
		})
	}
}

// A decision whose webhook was lost: past EVIDENCE_REVIEW's threshold the
// workflow looks the evidence up at the registry and reports what it found.
func TestDelegatedEvidenceLostWebhookRecoveredByLookup(t *testing.T) {
	env, w, rep := delegatedEnv(t)
	found := event(statemachine.CampaignEvidenceApproved, "c-1", "wh-evidence", nil)
	found.OccurredAt = evidenceAt
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		return statemachine.Observation{Lookup: l, Found: true, Events: []statemachine.Envelope{found}}
	}
	env.ExecuteWorkflow(DelegatedEvidenceWorkflow, delegateCommand())
	res := delegatedResult(t, env, rep)
	want := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c-1", Of: statemachine.LookupEvidence}
	if len(w.lookups) != 1 || w.lookups[0] != want {
		t.Fatalf("look-ups %v, want one of the campaign's evidence at the registry", w.lookups)
	}
	if res.Event.Type != statemachine.CampaignEvidenceApproved || res.Decision == nil || res.Decision.EventID != "wh-evidence" {
		t.Errorf("result %+v, want the looked-up approval", res)
	}
	if got := w.keys(statemachine.CmdSubmitEvidence); len(got) != 1 {
		t.Errorf("evidence submissions %v, want one", got)
	}
}

// No decision within the SLA: the workflow gives up and reports
// campaign.failed 30901 under an id derived from its workflow id; a refused
// submission is reported as the registry's rejection, as the baseline's
// dispatcher answers it.
func TestDelegatedEvidenceGivesUp(t *testing.T) {
	env, w, rep := delegatedEnv(t)
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		return statemachine.Observation{Lookup: l, Found: true}
	}
	env.ExecuteWorkflow(DelegatedEvidenceWorkflow, delegateCommand())
	res := delegatedResult(t, env, rep)
	if got := res.Event; got.Type != statemachine.CampaignFailed || got.EventID != "evidence/c-1/cmd-1/failed" || res.Decision != nil {
		t.Fatalf("result %+v, want campaign.failed evidence/c-1/cmd-1/failed without a decision", res)
	}
	if r := reasonOf(res.Event); r.Code != statemachine.CodeTimeout {
		t.Errorf("reason %+v, want 30901", *r)
	}
	if got, want := len(w.lookups), production.MaxChecks+1; got != want {
		t.Errorf("%d look-ups, want %d (the checks, then the give-up)", got, want)
	}
}

// A command that is not temporal.evidence_review, or whose payload does not
// name a campaign, fails the workflow without reporting anything.
func TestDelegatedEvidenceMalformed(t *testing.T) {
	env, _, rep := delegatedEnv(t)
	cmd := delegateCommand()
	cmd.Type = statemachine.CmdSubmitEvidence
	env.ExecuteWorkflow(DelegatedEvidenceWorkflow, cmd)
	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("workflow error nil, want a malformed command's")
	}
	if len(rep.events) != 0 {
		t.Errorf("reported %v, want nothing", rep.events)
	}
}

// A submission the registry refuses is reported as its rejection of the
// evidence, with the refusal's reason, as the baseline's dispatcher answers
// a refused command (statemachine.Refused).
func TestDelegatedEvidenceRefused(t *testing.T) {
	env, w, rep := delegatedEnv(t)
	reason := statemachine.Reason{Code: statemachine.CodeSampleMismatch, Description: "samples do not match"}
	w.callErr = temporal.NewNonRetryableApplicationError("400", ErrTypeRefused, nil, reason)
	env.ExecuteWorkflow(DelegatedEvidenceWorkflow, delegateCommand())
	res := delegatedResult(t, env, rep)
	if res.Event.Type != statemachine.CampaignEvidenceRejected || res.Decision == nil || *reasonOf(res.Event) != reason {
		t.Fatalf("result %+v, want the evidence rejected with %+v", res, reason)
	}
}

// The worker dies mid-step: ReportResult sent the result and failed before
// completing. The activity is retried and sends the result again under the
// same event id, a duplicate the legacy side drops; the workflow completes
// once, with that result.
func TestDelegatedEvidenceReportRetriedAfterTheWorkerDied(t *testing.T) {
	env, _, rep := delegatedEnv(t)
	rep.dies = true
	decision := event(statemachine.CampaignEvidenceApproved, "c-1", "wh-evidence", nil)
	at(t, env, time.Hour, DelegatedEvidenceID("c-1", "cmd-1"), decision)
	env.ExecuteWorkflow(DelegatedEvidenceWorkflow, delegateCommand())
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v; want completed", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res DelegatedResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(rep.events) != 2 {
		t.Fatalf("sent %d results, want 2 (the send before the death, the retry's)", len(rep.events))
	}
	for i, ev := range rep.events {
		if ev.EventID != res.Event.EventID || ev.Type != statemachine.CampaignEvidenceApproved {
			t.Errorf("send %d: %s %s, want the result %s %s", i, ev.Type, ev.EventID, res.Event.Type, res.Event.EventID)
		}
	}
}
