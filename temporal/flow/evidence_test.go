package flow

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// campaignWebhooks signals the answers of a campaign's reviews to it, each
// at its time: the reviewer's approval at 1 h, the evidence's review
// (evidence, when not nil) at 2 h, every carrier's approval at carriersAt,
// and the number's registration an hour later.
func campaignWebhooks(t *testing.T, env *testsuite.TestWorkflowEnvironment, evidence *statemachine.Envelope, carriersAt time.Duration) {
	t.Helper()
	brandVerifiedAt(t, env, time.Minute)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	at(t, env, time.Hour, cw, event(statemachine.CampaignReviewApproved, "c-1", "wh-review", nil))
	if evidence != nil {
		at(t, env, 2*time.Hour, cw, *evidence)
	}
	for _, c := range statemachine.Carriers {
		at(t, env, carriersAt, cw, carrierEvent(statemachine.CampaignCarrierApproved, c, "wh-"+string(c)))
	}
	at(t, env, carriersAt+time.Hour, WorkflowID(statemachine.KindNumber, "+12025550100"),
		event(statemachine.NumberRegistered, "+12025550100", "wh-num", nil))
	env.SetStartWorkflowOptions(startOptions(cw))
}

// evidenceSubmissions returns the payloads of the evidence submissions.
func (w *world) evidenceSubmissions(t *testing.T) []statemachine.Evidence {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var evs []statemachine.Evidence
	for _, c := range w.calls {
		if c.Type == statemachine.CmdSubmitEvidence {
			ev, err := statemachine.DecodePayload[statemachine.Evidence](c.Payload)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
	}
	return evs
}

var evidenceApproved = event(statemachine.CampaignEvidenceApproved, "c-1", "wh-evidence", nil)

// A campaign on flow v2 submits its opt-in evidence to the registry after
// the reviewer's approval, once, with what its registration says, and goes
// on to the carriers when the registry approves it. Carriers' answers that
// come while the registry reviews the evidence wait for the carriers' step.
func TestCampaignV2EvidenceApproved(t *testing.T) {
	for name, carriersAt := range map[string]time.Duration{
		"carriers after the evidence":           3 * time.Hour,
		"carriers during the evidence's review": 90 * time.Minute,
	} {
		t.Run(name, func(t *testing.T) {
			env, w := newFlowEnv(t, statemachine.FlowV2)
			campaignWebhooks(t, env, &evidenceApproved, carriersAt)
			env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
			rec := result(t, env)
			if rec.State != statemachine.Active || rec.Flow != statemachine.FlowV2 {
				t.Fatalf("campaign ended %s %v on flow %v, want ACTIVE on v2", rec.State, rec.Reason, rec.Flow)
			}
			if got, want := w.keys(statemachine.CmdSubmitEvidence), []string{"campaign/c-1/registry/registry.submit_evidence"}; !slices.Equal(got, want) {
				t.Errorf("evidence submissions %v, want %v", got, want)
			}
			if evs := w.evidenceSubmissions(t); len(evs) != 1 || evs[0].UseCase != "2FA" || evs[0].Description != "sign-in codes" ||
				!slices.Equal(evs[0].SampleMessages, []string{"Your code is 123456"}) {
				t.Errorf("evidence %+v, want the registration's use case, description and samples", evs)
			}
			want := []string{"register-c-1", "wh-review", "wh-evidence", "wh-att", "wh-tmobile", "wh-verizon"}
			if !slices.Equal(rec.Applied, want) {
				t.Errorf("applied %v, want %v", rec.Applied, want)
			}
			if len(w.lookups) != 0 {
				t.Errorf("look-ups %v, want none", w.lookups)
			}
		})
	}
}

// The registry's rejection of the evidence ends the campaign REJECTED with
// its reason, 30909 when it gave no code, before any carrier hears of it.
func TestCampaignV2EvidenceRejected(t *testing.T) {
	for name, reason := range map[string]statemachine.Reason{
		"with its code":  {Code: statemachine.CodeOptInUnverified, Description: "the opt-in evidence could not be verified"},
		"without a code": {Description: "no call to action"},
	} {
		t.Run(name, func(t *testing.T) {
			env, w := newFlowEnv(t, statemachine.FlowV2)
			rejected := event(statemachine.CampaignEvidenceRejected, "c-1", "wh-evidence", reason)
			campaignWebhooks(t, env, &rejected, 3*time.Hour)
			env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
			rec := result(t, env)
			if rec.State != statemachine.Rejected || rec.Reason == nil || rec.Reason.Code != statemachine.CodeOptInUnverified ||
				rec.Reason.Description != reason.Description {
				t.Fatalf("campaign ended %s %+v, want REJECTED 30909 %q", rec.State, rec.Reason, reason.Description)
			}
			if got := w.keys(statemachine.CmdCarrierSubmit); len(got) != 0 {
				t.Errorf("carrier submissions %v after the evidence's rejection, want none", got)
			}
		})
	}
}

// The evidence's approval whose webhook was lost: past EVIDENCE_REVIEW's
// threshold the workflow looks the evidence up at the registry, finds the
// decision and takes it, without submitting the evidence again.
func TestCampaignV2LostEvidenceWebhookRecoveredByLookup(t *testing.T) {
	env, w := newFlowEnv(t, statemachine.FlowV2)
	var asked []time.Time
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		asked = append(asked, env.Now())
		return statemachine.Observation{Lookup: l, Found: true, Events: []statemachine.Envelope{evidenceApproved}}
	}
	threshold := production.Threshold(statemachine.KindCampaign, statemachine.EvidenceReview)
	campaignWebhooks(t, env, nil, 2*time.Hour+threshold)
	var submitted time.Time
	env.RegisterDelayedCallback(func() { submitted = env.Now() }, time.Hour)
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Active {
		t.Fatalf("campaign ended %s %v, want ACTIVE", rec.State, rec.Reason)
	}
	if got := w.keys(statemachine.CmdSubmitEvidence); len(got) != 1 {
		t.Errorf("evidence submissions %v, want one: a found decision is not re-sent", got)
	}
	want := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c-1", Of: statemachine.LookupEvidence}
	if len(w.lookups) != 1 || w.lookups[0] != want {
		t.Fatalf("look-ups %v, want one of the campaign's evidence at the registry", w.lookups)
	}
	if got := asked[0].Sub(submitted); got < threshold {
		t.Errorf("looked up %v after the review's approval, want after the %v threshold", got, threshold)
	}
	if !slices.Contains(rec.Applied, "wh-evidence") {
		t.Errorf("applied %v, want the looked-up evidence decision", rec.Applied)
	}
}

// The registry lost the evidence's submission (no webhook, its look-up finds
// nothing): past EVIDENCE_REVIEW's threshold the workflow submits it again
// under a new idempotency key, and goes on when the registry approves that.
func TestCampaignV2LostEvidenceRequestSentAgain(t *testing.T) {
	env, w := newFlowEnv(t, statemachine.FlowV2)
	found := false
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		return statemachine.Observation{Lookup: l, Found: found}
	}
	threshold := production.Threshold(statemachine.KindCampaign, statemachine.EvidenceReview)
	resent := time.Hour + threshold + time.Minute
	env.RegisterDelayedCallback(func() {
		if got := w.keys(statemachine.CmdSubmitEvidence); len(got) != 2 {
			t.Errorf("past the threshold: evidence submissions %v, want the first and one re-send", got)
		}
		found = true
	}, resent)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	campaignWebhooks(t, env, nil, resent+2*time.Hour)
	at(t, env, resent+time.Hour, cw, evidenceApproved)
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Active {
		t.Fatalf("campaign ended %s %v, want ACTIVE", rec.State, rec.Reason)
	}
	keys := w.keys(statemachine.CmdSubmitEvidence)
	if len(keys) != 2 || keys[0] == keys[1] || !strings.HasSuffix(keys[1], "/resend-1") {
		t.Errorf("evidence keys %v, want a first and a re-send under a new key", keys)
	}
}

// EVIDENCE_REVIEW waits the policy's threshold for "campaign/EVIDENCE_REVIEW",
// or the default threshold when the policy has none.
func TestEvidenceReviewThreshold(t *testing.T) {
	s := Settings{DefaultThreshold: time.Hour}
	if got := s.Threshold(statemachine.KindCampaign, statemachine.EvidenceReview); got != time.Hour {
		t.Errorf("threshold %v without one for the state, want the default 1h", got)
	}
	s.Thresholds = map[string]time.Duration{"campaign/EVIDENCE_REVIEW": 2 * time.Hour}
	if got := s.Threshold(statemachine.KindCampaign, statemachine.EvidenceReview); got != 2*time.Hour {
		t.Errorf("threshold %v, want the policy's 2h", got)
	}
}

// A campaign keeps the flow it started on: one that a v1 worker started
// (its history holds the default version) runs flow v1 on a v2 worker, and
// a v1 worker starts campaigns on flow v1.
func TestCampaignKeepsItsFlow(t *testing.T) {
	tests := []struct {
		name    string
		worker  statemachine.Flow
		history workflow.Version // the version the history holds; 0: none, the campaign starts on this worker
		want    statemachine.Flow
	}{
		{"started by a v1 worker", statemachine.FlowV1, 0, statemachine.FlowV1},
		{"started on v1, finished by a v2 worker", statemachine.FlowV2, workflow.DefaultVersion, statemachine.FlowV1},
		{"started by a v2 worker", statemachine.FlowV2, 0, statemachine.FlowV2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, w := newFlowEnv(t, tt.worker)
			if tt.history != 0 {
				env.OnGetVersion(ChangeOptInEvidence, workflow.DefaultVersion, VersionOptInEvidence).Return(tt.history)
			}
			campaignWebhooks(t, env, &evidenceApproved, 3*time.Hour)
			env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
			rec := result(t, env)
			if rec.State != statemachine.Active || rec.Flow != tt.want {
				t.Fatalf("campaign ended %s %v on flow %v, want ACTIVE on %v", rec.State, rec.Reason, rec.Flow, tt.want)
			}
			if got, want := len(w.keys(statemachine.CmdSubmitEvidence)), map[statemachine.Flow]int{statemachine.FlowV1: 0, statemachine.FlowV2: 1}[tt.want]; got != want {
				t.Errorf("%d evidence submissions, want %d", got, want)
			}
		})
	}
}
