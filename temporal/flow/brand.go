package flow

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// SignalWaitForBrand carries the workflow id of a campaign that waits for
// the brand: the brand signals it its outcome (SignalEvent) when it ends.
const SignalWaitForBrand = "wait_for_brand"

// brandOutcomes are the events that end a brand's identity check.
var brandOutcomes = []statemachine.EventType{statemachine.BrandVerified, statemachine.BrandUnverified}

// Brand is the workflow of one brand, started by its registration reg: it
// submits the brand to the registry, waits for the identity webhook
// (VERIFIED or SELF_DECLARED: VERIFIED; UNVERIFIED), and ends there,
// telling every campaign that waits for it. A refusal (an invalid EIN) fails
// it with the registry's reason; no answer within the SLA with 30901.
func Brand(ctx workflow.Context, reg statemachine.Envelope) (statemachine.Record, error) {
	r, err := begin(ctx, statemachine.KindBrand, reg, "")
	if err != nil {
		return statemachine.Record{}, err
	}
	rec, err := brandFlow(ctx, r, reg)
	if err != nil {
		return rec, err
	}
	// Campaigns signal while the brand runs (their signals wait in the
	// channel) and may still signal while it tells the others: it tells
	// until none is left, and a signal that comes with the completion makes
	// the server run this task again, so none is left untold.
	waiting := workflow.GetSignalChannel(ctx, SignalWaitForBrand)
	for {
		var campaigns []string
		for {
			var id string
			if !waiting.ReceiveAsync(&id) {
				break
			}
			campaigns = append(campaigns, id)
		}
		if len(campaigns) == 0 {
			return rec, nil
		}
		tellCampaigns(ctx, rec, campaigns)
	}
}

// brandFlow runs the brand's steps and returns its last record.
func brandFlow(ctx workflow.Context, r *run, reg statemachine.Envelope) (statemachine.Record, error) {
	submit := func(ctx workflow.Context, n int) error {
		return r.send(ctx, statemachine.ToRegistry, statemachine.CmdSubmitBrand, reg.Payload, n)
	}
	if err := submit(ctx, 0); err != nil {
		return r.failed(ctx, err)
	}
	if err := r.enter(ctx, statemachine.Submitted); err != nil {
		return statemachine.Record{}, err
	}
	err := r.await(ctx, wait{
		done: func() bool { _, ok := r.inbox.first(ofType(r.rec.ID, brandOutcomes...)); return ok },
		owed: func() []statemachine.Lookup {
			return []statemachine.Lookup{{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: r.rec.ID}}
		},
		resend: func(ctx workflow.Context, _ statemachine.Lookup, n int) error { return submit(ctx, n) },
	})
	if err != nil {
		return r.failed(ctx, err)
	}
	ev, _ := r.inbox.first(ofType(r.rec.ID, brandOutcomes...))
	r.applied(ev)
	if ev.Type == statemachine.BrandUnverified {
		return r.end(ctx, statemachine.Unverified, nil)
	}
	return r.end(ctx, statemachine.Verified, nil)
}

// failed ends the record after err, which ended a call or a wait: a
// downstream's refusal rejects it (a brand or number: fails it) with the
// downstream's reason, a call that can never be made (malformed) fails it
// with the error, and anything else fails it with 30901: no answer within
// the SLA, or a call whose retries ran out of time (the server reports the
// last attempt's error, a 503 or a 429, not a timeout).
func (r *run) failed(ctx workflow.Context, err error) (statemachine.Record, error) {
	if reason, ok := refusal(err); ok {
		state := statemachine.Failed
		if r.rec.Kind == statemachine.KindCampaign {
			state = statemachine.Rejected
		}
		return r.end(ctx, state, &reason)
	}
	if ctx.Err() != nil {
		// The workflow was cancelled.
		return statemachine.Record{}, err
	}
	reason := statemachine.TimeoutReason
	if appErr, ok := errors.AsType[*temporal.ApplicationError](err); ok && appErr.Type() == ErrTypeMalformed {
		// A call that can never be made: a bug, not a silence.
		reason = statemachine.Reason{Description: err.Error()}
	}
	return r.end(ctx, statemachine.Failed, &reason)
}

// tellCampaigns signals the brand's outcome to the campaigns waiting for it.
func tellCampaigns(ctx workflow.Context, rec statemachine.Record, campaigns []string) {
	env := statemachine.Envelope{Type: brandOutcomeEvent(rec.State), SchemaVersion: statemachine.SchemaVersion,
		EventID: WorkflowID(rec.Kind, rec.ID) + "/outcome", EntityID: rec.ID, OccurredAt: workflow.Now(ctx),
		Actor: "temporal"}
	futures := make([]workflow.Future, 0, len(campaigns))
	for _, id := range campaigns {
		futures = append(futures, workflow.SignalExternalWorkflow(ctx, id, "", SignalEvent, env))
	}
	for _, f := range futures {
		// A campaign that ended meanwhile (cancelled by an operator) no
		// longer listens; the others have the outcome.
		_ = f.Get(ctx, nil)
	}
}

// brandOutcomeEvent is the event a brand's last state tells its campaigns.
func brandOutcomeEvent(s statemachine.State) statemachine.EventType {
	switch s {
	case statemachine.Verified:
		return statemachine.BrandVerified
	case statemachine.Unverified:
		return statemachine.BrandUnverified
	}
	return statemachine.BrandFailed
}
