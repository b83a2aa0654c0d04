package flow

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// run is one workflow's view of its record: the state it is in, what it has
// applied, and the events signalled to it. Workflows change it only through
// its methods, which keep the search attribute and the query in step.
type run struct {
	rec      statemachine.Record
	settings Settings
	inbox    inbox
}

// errGaveUp ends a wait that ran out of re-drives or checks: the record
// fails with statemachine.TimeoutReason (30901).
var errGaveUp = errors.New("no answer within the SLA")

// begin starts the run of the record that registration reg creates: it reads
// the worker's settings, answers QueryRecord, takes SignalEvent into the
// inbox, and enters PENDING.
func begin(ctx workflow.Context, k statemachine.Kind, reg statemachine.Envelope, parent string) (*run, error) {
	r := &run{inbox: inbox{seen: map[string]bool{}}}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	var a *Activities
	if err := workflow.ExecuteLocalActivity(lctx, a.ReadSettings).Get(ctx, &r.settings); err != nil {
		return nil, err
	}
	now := workflow.Now(ctx)
	r.rec = statemachine.Record{Kind: k, ID: reg.EntityID, ParentID: parent, CreatedAt: now,
		CorrelationID: reg.CorrelationID}
	r.applied(reg)
	if err := workflow.SetQueryHandler(ctx, QueryRecord, func() (statemachine.Record, error) { return r.snapshot(), nil }); err != nil {
		return nil, err
	}
	signals := workflow.GetSignalChannel(ctx, SignalEvent)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var env statemachine.Envelope
			if !signals.Receive(ctx, &env) {
				return
			}
			r.inbox.add(env)
		}
	})
	return r, r.enter(ctx, statemachine.Pending)
}

// enter moves the record to state s: a new wait, with no re-drives or
// checks counted yet.
func (r *run) enter(ctx workflow.Context, s statemachine.State) error {
	now := workflow.Now(ctx)
	r.rec.State, r.rec.StateEnteredAt, r.rec.UpdatedAt, r.rec.WaitSince = s, now, now, now
	r.rec.Redrives, r.rec.Checks = 0, 0
	r.rec.Version++
	return workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword(AttrState).ValueSet(string(s)))
}

// end moves the record to its last state, with reason (nil for none), and
// returns it: the workflow's result.
func (r *run) end(ctx workflow.Context, s statemachine.State, reason *statemachine.Reason) (statemachine.Record, error) {
	r.rec.Reason = reason
	if err := r.enter(ctx, s); err != nil {
		return statemachine.Record{}, err
	}
	return r.snapshot(), nil
}

// applied records that event env decided the record's course.
func (r *run) applied(env statemachine.Envelope) {
	r.rec.LastMessageID = env.EventID
	r.rec.Applied = append(r.rec.Applied, env.EventID)
}

// snapshot returns a copy of the record, safe to hand out of the workflow.
func (r *run) snapshot() statemachine.Record {
	rec := r.rec
	rec.Applied = slices.Clone(r.rec.Applied)
	rec.Carriers = maps.Clone(r.rec.Carriers)
	rec.Numbers = maps.Clone(r.rec.Numbers)
	return rec
}

// command returns the command of type t to downstream to, with payload p,
// under an idempotency key made of the workflow's id, the downstream, the
// step and the re-send: the same on every retry of one call, new for a re-send after a
// look-up found the downstream had lost it.
func (r *run) command(ctx workflow.Context, to statemachine.Destination, t statemachine.EventType, p any, resend int) (statemachine.Envelope, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return statemachine.Envelope{}, err
	}
	key := workflow.GetInfo(ctx).WorkflowExecution.ID + "/" + string(to) + "/" + string(t)
	if resend > 0 {
		key += "/resend-" + strconv.Itoa(resend)
	}
	return statemachine.Envelope{Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: key,
		EntityID: r.rec.ID, OccurredAt: workflow.Now(ctx), CorrelationID: r.rec.CorrelationID,
		Actor: "temporal", Payload: raw}, nil
}

// send performs command t with payload p downstream, as re-send n (0: the
// first), and keeps the external id the downstream answers.
func (r *run) send(ctx workflow.Context, to statemachine.Destination, t statemachine.EventType, p any, n int) error {
	cmd, err := r.command(ctx, to, t, p, n)
	if err != nil {
		return err
	}
	id, err := r.call(ctx, to, cmd)
	if id != "" {
		r.rec.ExternalID = id
	}
	return err
}

// call performs cmd on downstream d's task queue, retried by the activity's
// RetryPolicy (the baseline's downstream retry policy, scaled) until the
// state's recovery window passes: the state's threshold times its re-drives
// and checks and one more, what the baseline's sweeper gives a command that
// waits in its queue behind the rate limit (a backlog for up to MaxChecks
// thresholds) and is then sent again up to MaxRedrives times. The time a
// call waits on its task queue for the rate limit counts in the window.
func (r *run) call(ctx workflow.Context, d statemachine.Destination, cmd statemachine.Envelope) (string, error) {
	window := r.settings.Threshold(r.rec.Kind, r.rec.State) * time.Duration(r.settings.MaxRedrives+r.settings.MaxChecks+1)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              ActivityQueue(d),
		ScheduleToCloseTimeout: window,
		StartToCloseTimeout:    callTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: r.settings.scaled(5 * time.Second),
			BackoffCoefficient: 2, MaximumInterval: r.settings.scaled(time.Hour)},
	})
	var a *Activities
	var id string
	err := workflow.ExecuteActivity(ctx, a.Call, cmd).Get(ctx, &id)
	return id, err
}
