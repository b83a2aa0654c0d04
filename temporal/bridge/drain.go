package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

// Drainer hands the commands of the temporal queue to workflows: its Handle
// is the queue consumer's handler, under the retry middleware, so a message
// is deleted only once its workflow was started (or signalled, or its
// result re-sent), a failure is retried, and a command that cannot be read
// is dead-lettered with the reason.
type Drainer struct {
	Client Client
	// Events is the legacy events queue, where a command whose workflow
	// ended gets its result again.
	Events flow.EventSender
	// Commands counts the commands by outcome: accepted (a workflow started,
	// or a running one signalled: signal-with-start does not tell) or resent
	// (the workflow had ended: its result sent again).
	Commands *prometheus.CounterVec
}

// NewDrainer returns a Drainer whose counter reg registers (nil: none).
func NewDrainer(c Client, events flow.EventSender, reg prometheus.Registerer) *Drainer {
	d := &Drainer{Client: c, Events: events, Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tendlc_bridge_commands_total",
		Help: "Delegated commands taken from the temporal queue, by outcome: accepted (workflow started or signalled) or resent (the workflow had ended: its result sent again).",
	}, []string{"outcome"})}
	if reg != nil {
		reg.MustRegister(d.Commands)
	}
	return d
}

// Handle starts the workflow of the command m carries with
// signal-with-start (WorkflowIDReusePolicy RejectDuplicate): a duplicate
// command signals the running workflow, which ignores it, and a command
// whose workflow ended re-sends the workflow's result, so the legacy side
// gets the answer it may have lost.
func (d *Drainer) Handle(ctx context.Context, m *message.Message) error {
	cmd, err := handlers.DecodeMessage(m)
	if err != nil {
		return err
	}
	if cmd.Type != statemachine.CmdDelegateEvidence {
		return fmt.Errorf("%w: the temporal queue takes %s, not %s", statemachine.ErrMalformed, statemachine.CmdDelegateEvidence, cmd.Type)
	}
	p, err := statemachine.DecodePayload[statemachine.DelegatedEvidence](cmd.Payload)
	if err != nil {
		return err
	}
	id := flow.DelegatedEvidenceID(p.CampaignID, cmd.EventID)
	_, err = d.Client.SignalWithStartWorkflow(ctx, id, flow.SignalEvent, cmd, client.StartWorkflowOptions{
		ID: id, TaskQueue: flow.TaskQueue, WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, flow.DelegatedEvidenceWorkflow, cmd)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return d.resend(ctx, id, p.CampaignID)
	}
	if err != nil {
		return fmt.Errorf("signal-with-start %s: %w", id, err)
	}
	d.Commands.WithLabelValues("accepted").Inc()
	return nil
}

// resend sends the result of workflow id, which has ended, to the events
// queue again: its DelegatedResult's event when it completed, the give-up
// (campaign.failed, 30901) when it ended without a result.
func (d *Drainer) resend(ctx context.Context, id, campaign string) error {
	res, err := result(ctx, d.Client, id, campaign)
	if err != nil {
		return err
	}
	if err := d.Events.Send(ctx, res.Event); err != nil {
		return fmt.Errorf("re-send the result of %s: %w", id, err)
	}
	d.Commands.WithLabelValues("resent").Inc()
	return nil
}

// errRunning: a workflow that has not ended has no result yet.
var errRunning = errors.New("the workflow is still running")

// result returns the result of the ended workflow id about campaign: the
// workflow's own when it completed, the give-up when it ended otherwise
// (terminated, cancelled, failed, timed out); errRunning while it runs.
func result(ctx context.Context, c Client, id, campaign string) (flow.DelegatedResult, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return flow.DelegatedResult{}, fmt.Errorf("describe %s: %w", id, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return flow.DelegatedResult{}, fmt.Errorf("%s: %w", id, errRunning)
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var res flow.DelegatedResult
		if err := c.GetWorkflow(ctx, id, info.GetExecution().GetRunId()).Get(ctx, &res); err != nil {
			return flow.DelegatedResult{}, fmt.Errorf("result of %s: %w", id, err)
		}
		return res, nil
	}
	reason := statemachine.TimeoutReason
	reason.Description += " (the delegated workflow ended " + info.GetStatus().String() + ")"
	return flow.DelegatedResult{Event: flow.GaveUp(id, campaign, reason, info.GetCloseTime().AsTime())}, nil
}
