package flow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// DelegatedEvidenceWorkflow is the workflow type of the opt-in evidence
// review a legacy replica delegates (regd --delegate evidence): the step's
// command, temporal.evidence_review, starts it through the bridge
// (regtemporal bridge).
const DelegatedEvidenceWorkflow = "DelegatedEvidence"

// BridgeActor is the Actor of the result events a delegated step sends to
// the legacy events queue.
const BridgeActor = "temporal"

// DelegatedEvidenceID is the id of the workflow that reviews campaign's
// evidence for the command whose event id is commandID: one workflow per
// command, so a duplicate command starts nothing new.
func DelegatedEvidenceID(campaign, commandID string) string {
	return DelegatedEvidencePrefix(campaign) + commandID
}

// DelegatedEvidencePrefix is what the ids of campaign's delegated evidence
// reviews start with.
func DelegatedEvidencePrefix(campaign string) string { return "evidence/" + campaign + "/" }

// DelegatedResult is how a delegated step ended: its workflow's result.
type DelegatedResult struct {
	// Event is the result event the workflow sent to the legacy events
	// queue: the registry's decision (campaign.evidence_approved or
	// campaign.evidence_rejected) or, when the workflow gave up,
	// campaign.failed with 30901.
	Event statemachine.Envelope `json:"event"`
	// Decision is the decision as the registry's webhook (nil when the
	// workflow gave up): what the bridge's status look-up answers, which
	// tcr.Translate turns into Event's type, entity and id.
	Decision *tcr.WebhookEvent `json:"decision,omitempty"`
}

// DelegatedEvidence is the workflow of a delegated opt-in evidence review,
// started by the command cmd (temporal.evidence_review, its payload a
// statemachine.DelegatedEvidence): it submits the evidence to the registry
// and waits for the registry's review as the campaign workflow does (the
// look-ups of sla.go past EVIDENCE_REVIEW's threshold, re-submission when
// the registry lost it, 30901 past the SLA). Its last activity,
// ReportResult, sends the result to the legacy events queue, where the
// campaign's record takes it like any other answer.
//
// The result's event id is deterministic: for a decision, the id
// tcr.Translate derives from the webhook in DelegatedResult.Decision (whose
// id is the decision's own), so the copy a legacy look-up of the bridge
// finds is a recognisable duplicate; for a give-up, one derived from the
// workflow id (GaveUp).
func DelegatedEvidence(ctx workflow.Context, cmd statemachine.Envelope) (DelegatedResult, error) {
	p, err := statemachine.DecodePayload[statemachine.DelegatedEvidence](cmd.Payload)
	if err == nil && cmd.Type != statemachine.CmdDelegateEvidence {
		err = fmt.Errorf("command %s is not %s", cmd.Type, statemachine.CmdDelegateEvidence)
	}
	if err != nil {
		return DelegatedResult{}, temporal.NewNonRetryableApplicationError("delegated evidence: "+err.Error(), ErrTypeMalformed, err)
	}
	cmd.EntityID = p.CampaignID
	r, err := begin(ctx, statemachine.KindCampaign, cmd, "")
	if err != nil {
		return DelegatedResult{}, err
	}
	decision, err := r.delegatedEvidence(ctx, p.Evidence)
	var res DelegatedResult
	switch {
	case err == nil:
		if res, err = decided(decision, workflow.Now(ctx)); err != nil {
			return DelegatedResult{}, temporal.NewNonRetryableApplicationError("delegated evidence: "+err.Error(), ErrTypeMalformed, err)
		}
	case ctx.Err() != nil:
		return DelegatedResult{}, err // cancelled
	default:
		reason := statemachine.TimeoutReason
		if appErr, ok := errors.AsType[*temporal.ApplicationError](err); ok && appErr.Type() == ErrTypeMalformed {
			reason = statemachine.Reason{Code: statemachine.CodeTimeout, Description: err.Error()}
		}
		res = DelegatedResult{Event: GaveUp(workflow.GetInfo(ctx).WorkflowExecution.ID, p.CampaignID, reason, workflow.Now(ctx))}
	}
	res.Event.CorrelationID = cmp.Or(cmd.CorrelationID, cmd.EventID)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: callTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: r.settings.scaled(time.Second),
			BackoffCoefficient: 2, MaximumInterval: r.settings.scaled(5 * time.Minute)},
	})
	var a *Activities
	if err := workflow.ExecuteActivity(actx, a.ReportResult, res.Event).Get(ctx, nil); err != nil {
		return DelegatedResult{}, err
	}
	return res, nil
}

// delegatedEvidence submits ev to the registry (EVIDENCE_REVIEW) and waits
// for its review; it returns the decision: the registry's webhook, a
// look-up's copy of it, or the rejection a refusal of the submission stands
// for (statemachine.Refused). Its error is the end of the SLA or a call
// that could not be made in its window.
func (r *run) delegatedEvidence(ctx workflow.Context, ev statemachine.Evidence) (statemachine.Envelope, error) {
	var refusedBy statemachine.Envelope // the submission a refusal answered
	submit := func(ctx workflow.Context, n int) error {
		cmd, err := r.command(ctx, statemachine.ToRegistry, statemachine.CmdSubmitEvidence, ev, n)
		if err != nil {
			return err
		}
		refusedBy = cmd
		_, err = r.call(ctx, statemachine.ToRegistry, cmd)
		return err
	}
	d, err := r.reviewEvidence(ctx, submit)
	reason, refused := refusal(err)
	if err == nil || !refused {
		return d, err
	}
	answer, _ := statemachine.Refused(refusedBy, reason.Code, reason.Description, BridgeActor, workflow.Now(ctx))
	return answer, nil
}

// decided returns the result of decision d (campaign.evidence_approved or
// campaign.evidence_rejected): d as the registry's webhook, whose event id
// is d's, and the event that webhook translates to, sent by the bridge. A
// decision without a time is dated now.
func decided(d statemachine.Envelope, now time.Time) (DelegatedResult, error) {
	wh := tcr.WebhookEvent{EventType: tcr.EventCampaignEvidenceApproved, EventID: d.EventID, CampaignID: d.EntityID,
		Timestamp: cmp.Or(d.OccurredAt, now).UTC()}
	if d.Type == statemachine.CampaignEvidenceRejected {
		reason := reasonOf(d)
		wh.EventType, wh.Code, wh.Description = tcr.EventCampaignEvidenceRejected, reason.Code, reason.Description
	}
	envs, err := tcr.Translate(wh)
	if err != nil {
		return DelegatedResult{}, fmt.Errorf("decision %s: %w", d.EventID, err)
	}
	env := envs[0]
	env.Actor = BridgeActor
	return DelegatedResult{Event: env, Decision: &wh}, nil
}

// GaveUp is the result event of the delegated step of workflowID about
// campaign that ended without a decision (its SLA passed, or it was
// terminated): campaign.failed with reason, under an id derived from the
// workflow id, the same whoever sends it.
func GaveUp(workflowID, campaign string, reason statemachine.Reason, now time.Time) statemachine.Envelope {
	raw, _ := json.Marshal(reason) // a Reason always encodes
	return statemachine.Envelope{Type: statemachine.CampaignFailed, SchemaVersion: statemachine.SchemaVersion,
		EventID: workflowID + "/failed", EntityID: campaign, OccurredAt: now.UTC(), Actor: BridgeActor, Payload: raw}
}

// EventSender sends events to the legacy events queue: infra/sqsq's
// Producer.
type EventSender interface {
	Send(ctx context.Context, envs ...statemachine.Envelope) error
}

// errNoEventsQueue: the worker was started without the events queue, so a
// delegated step cannot report; retried until a worker that has it runs the
// activity.
var errNoEventsQueue = errors.New("this worker has no events queue (regtemporal worker --prefix or --events-queue-url)")

// ReportResult sends a delegated step's result event to the legacy events
// queue, the last activity of its workflow. Retried until the queue takes
// it; the event's id makes a repeated send a duplicate the legacy side
// recognises.
func (a *Activities) ReportResult(ctx context.Context, env statemachine.Envelope) error {
	if a.Events == nil {
		return errNoEventsQueue
	}
	if err := a.Events.Send(ctx, env); err != nil {
		return fmt.Errorf("send %s %s to the events queue: %w", env.Type, env.EventID, err)
	}
	return nil
}
