package flow

import (
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// evidenceDecisions are the registry's answers to the opt-in evidence.
var evidenceDecisions = []statemachine.EventType{statemachine.CampaignEvidenceApproved, statemachine.CampaignEvidenceRejected}

// evidence submits the campaign's opt-in evidence, from its registration p,
// to the registry (EVIDENCE_REVIEW, flow v2) and waits for the registry's
// review as for its other answers: past the state's threshold it looks the
// evidence up at the registry, takes a decision whose webhook was lost, and
// submits again when the registry has no record of it. It returns the
// rejection's reason (30909 when the registry gave no code), nil when the
// evidence was approved; a refusal of the submission or the end of the SLA
// is its error.
func (r *run) evidence(ctx workflow.Context, p statemachine.CampaignRegistration) (*statemachine.Reason, error) {
	ev := statemachine.Evidence{UseCase: p.UseCase, Description: p.Description, SampleMessages: p.SampleMessages}
	submit := func(ctx workflow.Context, n int) error {
		return r.send(ctx, statemachine.ToRegistry, statemachine.CmdSubmitEvidence, ev, n)
	}
	d, err := r.reviewEvidence(ctx, submit)
	if err != nil {
		return nil, err
	}
	if d.Type == statemachine.CampaignEvidenceApproved {
		return nil, nil
	}
	reason := reasonOf(d)
	if reason.Code == 0 {
		reason.Code = statemachine.CodeOptInUnverified
	}
	return reason, nil
}

// reviewEvidence enters EVIDENCE_REVIEW, submits the evidence with submit
// (n: the re-sends before it) and waits for the registry's review as for
// its other answers: past the state's threshold it looks the evidence up
// at the registry, takes a decision whose webhook was lost, and submits
// again when the registry has no record of it. It returns the decision,
// applied; its error is submit's or the end of the SLA.
func (r *run) reviewEvidence(ctx workflow.Context, submit func(ctx workflow.Context, n int) error) (statemachine.Envelope, error) {
	if err := r.enter(ctx, statemachine.EvidenceReview); err != nil {
		return statemachine.Envelope{}, err
	}
	if err := submit(ctx, 0); err != nil {
		return statemachine.Envelope{}, err
	}
	decision := ofType(r.rec.ID, evidenceDecisions...)
	err := r.await(ctx, wait{
		done: func() bool { _, ok := r.inbox.first(decision); return ok },
		owed: func() []statemachine.Lookup {
			return []statemachine.Lookup{{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: r.rec.ID, Of: statemachine.LookupEvidence}}
		},
		resend: func(ctx workflow.Context, _ statemachine.Lookup, n int) error { return submit(ctx, n) },
	})
	if err != nil {
		return statemachine.Envelope{}, err
	}
	d, _ := r.inbox.first(decision)
	r.applied(d)
	return d, nil
}
