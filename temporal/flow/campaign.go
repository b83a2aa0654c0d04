package flow

import (
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// brandEnds are the outcomes a brand tells the campaigns waiting for it.
var brandEnds = []statemachine.EventType{statemachine.BrandVerified, statemachine.BrandUnverified, statemachine.BrandFailed}

// reviewVerdicts are the manual vetting's verdicts.
var reviewVerdicts = []statemachine.EventType{statemachine.CampaignReviewApproved, statemachine.CampaignReviewRejected}

// carrierDecisions are a carrier's answers to a campaign; a review is not a
// decision, but it is applied.
var carrierDecisions = []statemachine.EventType{statemachine.CampaignCarrierApproved, statemachine.CampaignCarrierRejected}

// Campaign is the workflow of one campaign, started by its registration reg:
// it waits for its brand's identity, submits the campaign to the registry,
// waits for the manual vetting's verdict, on flow v2 submits the opt-in
// evidence to the registry and waits for its review, submits the campaign
// to AT&T, T-Mobile and Verizon and waits for each one's decision, then
// registers its numbers as child workflows and ends ACTIVE once every
// number settled. A refusal or a rejection ends it REJECTED with the
// reason; no answer within a state's SLA (after the same look-ups and
// re-sends as the baseline's sweeper) FAILED with 30901.
//
// Its flow is decided by its first command, the version marker of
// ChangeOptInEvidence, and kept for life: a campaign a v1 worker started
// stays on flow v1 when a v2 worker runs it on, even before the step.
func (w Workflows) Campaign(ctx workflow.Context, reg statemachine.Envelope) (statemachine.Record, error) {
	flow := w.flowVersion(ctx)
	p, err := statemachine.DecodePayload[statemachine.CampaignRegistration](reg.Payload)
	if err != nil {
		return statemachine.Record{}, temporal.NewNonRetryableApplicationError("campaign registration: "+err.Error(), ErrTypeMalformed, err)
	}
	r, err := begin(ctx, statemachine.KindCampaign, reg, p.BrandID)
	if err != nil {
		return statemachine.Record{}, err
	}
	r.rec.Flow = flow
	brand, err := r.brandOutcome(ctx, p.BrandID)
	if err != nil {
		return statemachine.Record{}, err
	}
	if brand != statemachine.Verified {
		return r.end(ctx, statemachine.Rejected, &statemachine.Reason{Code: statemachine.CodeInvalidEIN, Description: "brand " + string(brand)})
	}
	if err := r.registry(ctx, reg.Payload); err != nil {
		return r.failed(ctx, err)
	}
	if ev, _ := r.inbox.first(ofType(r.rec.ID, reviewVerdicts...)); ev.Type == statemachine.CampaignReviewRejected {
		return r.end(ctx, statemachine.Rejected, reasonOf(ev))
	}
	// The reviews that may reject it, in order.
	reviews := []func(workflow.Context) (*statemachine.Reason, error){r.carriers}
	if flow == statemachine.FlowV2 {
		evidence := func(ctx workflow.Context) (*statemachine.Reason, error) { return r.evidence(ctx, p) }
		reviews = slices.Insert(reviews, 0, evidence)
	}
	for _, review := range reviews {
		rejection, err := review(ctx)
		if err != nil {
			return r.failed(ctx, err)
		}
		if rejection != nil {
			return r.end(ctx, statemachine.Rejected, rejection)
		}
	}
	if err := r.enter(ctx, statemachine.Approved); err != nil {
		return statemachine.Record{}, err
	}
	if err := r.numbers(ctx, p.Numbers); err != nil {
		return statemachine.Record{}, err
	}
	return r.end(ctx, statemachine.Active, nil)
}

// brandOutcome waits for the brand's workflow to end and returns its state.
// It asks the brand to tell it (SignalWaitForBrand). A brand that ended
// already, or has no workflow yet, cannot be signalled; one that ended
// without telling (cancelled or terminated by an operator) does not tell
// within the campaign's PENDING threshold. Then an activity reads the
// brand's outcome, retried until the brand ended. The brand's own SLA bounds
// the wait.
func (r *run) brandOutcome(ctx workflow.Context, brandID string) (statemachine.State, error) {
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	err := workflow.SignalExternalWorkflow(ctx, WorkflowID(statemachine.KindBrand, brandID), "", SignalWaitForBrand, me).Get(ctx, nil)
	if err == nil {
		match := ofType(brandID, brandEnds...)
		told, err := workflow.AwaitWithTimeout(ctx, r.settings.Threshold(statemachine.KindCampaign, statemachine.Pending),
			func() bool { _, ok := r.inbox.first(match); return ok })
		if err != nil {
			return "", err
		}
		if told {
			ev, _ := r.inbox.first(match)
			return brandStateOf(ev.Type), nil
		}
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: r.settings.scaled(10 * time.Second),
			BackoffCoefficient: 2, MaximumInterval: r.settings.scaled(5 * time.Minute)},
	})
	var a *Activities
	var state statemachine.State
	err = workflow.ExecuteActivity(actx, a.BrandOutcome, brandID).Get(ctx, &state)
	return state, err
}

// brandStateOf is the brand state an outcome event stands for.
func brandStateOf(t statemachine.EventType) statemachine.State {
	switch t {
	case statemachine.BrandVerified:
		return statemachine.Verified
	case statemachine.BrandUnverified:
		return statemachine.Unverified
	}
	return statemachine.Failed
}

// registry submits the campaign to the registry (TCR_PENDING; its
// acceptance, the call's answer, starts the manual vetting: IN_REVIEW) and
// waits for the reviewer's verdict, which is in the inbox when it returns.
func (r *run) registry(ctx workflow.Context, registration json.RawMessage) error {
	submit := func(ctx workflow.Context, n int) error {
		return r.send(ctx, statemachine.ToRegistry, statemachine.CmdSubmitCampaign, registration, n)
	}
	if err := r.enter(ctx, statemachine.TCRPending); err != nil {
		return err
	}
	if err := submit(ctx, 0); err != nil {
		return err
	}
	if err := r.enter(ctx, statemachine.InReview); err != nil {
		return err
	}
	verdict := ofType(r.rec.ID, reviewVerdicts...)
	err := r.await(ctx, wait{
		done: func() bool { _, ok := r.inbox.first(verdict); return ok },
		owed: func() []statemachine.Lookup {
			return []statemachine.Lookup{{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: r.rec.ID}}
		},
		resend: func(ctx workflow.Context, _ statemachine.Lookup, n int) error { return submit(ctx, n) },
	})
	if err != nil {
		return err
	}
	ev, _ := r.inbox.first(verdict)
	r.applied(ev)
	return nil
}

// carriers submits the campaign to every carrier (CARRIER_REVIEW) and waits
// until one rejected it, whose reason it returns, or all approved it. A
// carrier's submission sent again runs beside the wait, so that a carrier
// that is down holds up neither the others' answers nor the SLA timer; while
// it is under way its carrier is not looked up (a backlog, as the baseline
// counts a command still in its queue).
func (r *run) carriers(ctx workflow.Context) (*statemachine.Reason, error) {
	if err := r.enter(ctx, statemachine.CarrierReview); err != nil {
		return nil, err
	}
	r.rec.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{}
	var (
		refused *statemachine.Reason // the first carrier's refusal of a submission
		failed  error                // a submission that could not be made in its window
		sending = map[statemachine.Carrier]bool{}
	)
	submit := func(ctx workflow.Context, c statemachine.Carrier, n int) workflow.Future {
		f, set := workflow.NewFuture(ctx)
		cmd, err := r.command(ctx, c.Destination(), statemachine.CmdCarrierSubmit, statemachine.CarrierUpdate{Carrier: c}, n)
		if err != nil {
			set.SetError(err)
			return f
		}
		sending[c] = true
		workflow.Go(ctx, func(ctx workflow.Context) {
			_, err := r.call(ctx, c.Destination(), cmd)
			sending[c] = false
			if reason, ok := refusal(err); ok {
				r.rec.Carriers[c] = statemachine.CarrierRejected
				refused = cmp.Or(refused, &reason)
			} else if err != nil {
				failed = cmp.Or(failed, err)
			}
			set.SetError(err)
		})
		return f
	}
	calls := make([]workflow.Future, 0, len(statemachine.Carriers))
	for _, c := range statemachine.Carriers {
		r.rec.Carriers[c] = statemachine.CarrierPending
		calls = append(calls, submit(ctx, c, 0))
	}
	// The wait starts once every carrier has the campaign, as the
	// baseline's starts when the carriers accepted their commands.
	for _, f := range calls {
		if err := f.Get(ctx, nil); err != nil {
			if refused != nil {
				return refused, nil
			}
			return nil, err
		}
	}
	err := r.await(ctx, wait{
		done: func() bool {
			return refused != nil || failed != nil || r.carrierVerdict() != nil || len(r.undecided()) == 0
		},
		owed: func() []statemachine.Lookup {
			var ls []statemachine.Lookup
			for _, c := range r.undecided() {
				if !sending[c] {
					ls = append(ls, statemachine.Lookup{To: c.Destination(), Kind: statemachine.KindCampaign, ID: r.rec.ID})
				}
			}
			return ls
		},
		busy: func() bool {
			return slices.ContainsFunc(statemachine.Carriers, func(c statemachine.Carrier) bool { return sending[c] })
		},
		resend: func(ctx workflow.Context, l statemachine.Lookup, n int) error {
			submit(ctx, statemachine.Carrier(l.To), n)
			return nil
		},
	})
	for _, c := range statemachine.Carriers {
		if ev, ok := r.carrierEvent(c); ok {
			r.applied(ev)
		}
	}
	switch {
	case err != nil:
		return nil, err
	case refused != nil:
		return refused, nil
	case failed != nil:
		return nil, failed
	}
	return r.carrierVerdict(), nil
}

// carrierEvent returns carrier c's latest word on the campaign (a decision
// before a review), and keeps its status on the record.
func (r *run) carrierEvent(c statemachine.Carrier) (statemachine.Envelope, bool) {
	of := func(types ...statemachine.EventType) func(statemachine.Envelope) bool {
		match := ofType(r.rec.ID, types...)
		return func(e statemachine.Envelope) bool {
			u, err := statemachine.DecodePayload[statemachine.CarrierUpdate](e.Payload)
			return match(e) && err == nil && u.Carrier == c
		}
	}
	if ev, ok := r.inbox.first(of(carrierDecisions...)); ok {
		r.rec.Carriers[c] = statemachine.CarrierApproved
		if ev.Type == statemachine.CampaignCarrierRejected {
			r.rec.Carriers[c] = statemachine.CarrierRejected
		}
		return ev, true
	}
	if ev, ok := r.inbox.first(of(statemachine.CampaignCarrierReview)); ok {
		r.rec.Carriers[c] = statemachine.CarrierInReview
		return ev, true
	}
	return statemachine.Envelope{}, false
}

// undecided lists the carriers that neither approved nor rejected yet.
func (r *run) undecided() []statemachine.Carrier {
	var cs []statemachine.Carrier
	for _, c := range statemachine.Carriers {
		r.carrierEvent(c)
		if s := r.rec.Carriers[c]; s != statemachine.CarrierApproved && s != statemachine.CarrierRejected {
			cs = append(cs, c)
		}
	}
	return cs
}

// carrierVerdict returns the reason of the first carrier's rejection, nil
// while none rejected.
func (r *run) carrierVerdict() *statemachine.Reason {
	for _, c := range statemachine.Carriers {
		if ev, ok := r.carrierEvent(c); ok && ev.Type == statemachine.CampaignCarrierRejected {
			u, _ := statemachine.DecodePayload[statemachine.CarrierUpdate](ev.Payload)
			code := u.Code
			if code == 0 {
				code = statemachine.CodeCarrierRejection
			}
			return &statemachine.Reason{Code: code, Description: string(c) + ": " + u.Description}
		}
	}
	return nil
}

// numbers registers every number of the campaign as a child workflow
// (NUMBERS_PENDING) and waits until each settled. A number another campaign
// holds (its workflow id is taken) fails at once with 39001, as in the
// baseline. Each number's own SLA bounds the wait.
func (r *run) numbers(ctx workflow.Context, numbers []string) error {
	if err := r.enter(ctx, statemachine.NumbersPending); err != nil {
		return err
	}
	r.rec.Numbers = map[string]statemachine.NumberStatus{}
	children := make([]workflow.ChildWorkflowFuture, 0, len(numbers))
	for _, n := range numbers {
		r.rec.Numbers[n] = statemachine.NumberPendingStatus
		reg, err := r.command(ctx, statemachine.ToNumbers, statemachine.NumberRegister, statemachine.NumberRegistration{CampaignID: r.rec.ID, Number: n}, 0)
		if err != nil {
			return err
		}
		reg.EntityID, reg.EventID = n, reg.EventID+"/"+n
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            WorkflowID(statemachine.KindNumber, n),
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		})
		children = append(children, workflow.ExecuteChildWorkflow(cctx, Number, reg))
	}
	for i, f := range children {
		var rec statemachine.Record
		err := f.Get(ctx, &rec)
		switch {
		case temporal.IsWorkflowExecutionAlreadyStartedError(err):
			r.rec.Numbers[numbers[i]] = statemachine.NumberFailedStatus
		case err != nil:
			return err
		case rec.State == statemachine.Registered:
			r.rec.Numbers[numbers[i]] = statemachine.NumberRegisteredStatus
		default:
			r.rec.Numbers[numbers[i]] = statemachine.NumberFailedStatus
		}
	}
	return nil
}

// reasonOf returns the reason an event's payload carries.
func reasonOf(ev statemachine.Envelope) *statemachine.Reason {
	reason, _ := statemachine.DecodePayload[statemachine.Reason](ev.Payload)
	return &reason
}

// refusal returns the reason of a downstream's refusal that ended a call.
func refusal(err error) (statemachine.Reason, bool) {
	var reason statemachine.Reason
	appErr, ok := errors.AsType[*temporal.ApplicationError](err)
	if !ok || appErr.Type() != ErrTypeRefused || appErr.Details(&reason) != nil {
		return statemachine.Reason{}, false
	}
	return reason, true
}
