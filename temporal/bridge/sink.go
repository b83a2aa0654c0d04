package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

// Sink routes the webhook handler's events: the registry's decisions on a
// campaign's opt-in evidence (campaign.evidence_approved and _rejected) to
// the campaign's running delegated workflow (flow.SignalEvent), every other
// event to the legacy events queue, as the baseline's webhook shim sends
// them. A decision no running delegated workflow is known to wait for goes
// to the events queue too (route "unrouted"), never dropped: the campaign's
// step was not delegated, visibility has not learned of its workflow yet,
// or the workflow took the decision by look-up already; the record applies
// it, or ignores it as stale. A send Temporal or SQS could not take now is
// tcrhook.ErrUnavailable (the sender retries).
type Sink struct {
	Client    Client
	Namespace string
	Events    flow.EventSender
	// Routed counts the events by route: workflow, unrouted or events.
	Routed *prometheus.CounterVec
}

var _ tcrhook.Sink = (*Sink)(nil)

// NewSink returns a Sink whose counter reg registers (nil: none).
func NewSink(c Client, namespace string, events flow.EventSender, reg prometheus.Registerer) *Sink {
	s := &Sink{Client: c, Namespace: namespace, Events: events, Routed: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tendlc_bridge_webhooks_total",
		Help: "Webhook events the bridge routed, by route: workflow (a delegated step's decision signalled), unrouted (a decision no delegated workflow is known to wait for, sent to the events queue) or events (the legacy events queue).",
	}, []string{"route"})}
	if reg != nil {
		reg.MustRegister(s.Routed)
	}
	return s
}

// Send routes every event of envs, in order.
func (s *Sink) Send(ctx context.Context, envs ...statemachine.Envelope) error {
	for _, env := range envs {
		route := "events"
		if env.Type == statemachine.CampaignEvidenceApproved || env.Type == statemachine.CampaignEvidenceRejected {
			signalled, err := s.signal(ctx, env)
			if err != nil || signalled {
				if err == nil {
					s.Routed.WithLabelValues("workflow").Inc()
				}
				return err
			}
			route = "unrouted"
		}
		if err := s.Events.Send(ctx, env); err != nil {
			if _, ok := errors.AsType[*sqsq.SendError](err); ok {
				return fmt.Errorf("%w: %w", tcrhook.ErrUnavailable, err)
			}
			return err
		}
		s.Routed.WithLabelValues(route).Inc()
	}
	return nil
}

// signal signals decision env to its campaign's running delegated workflow,
// and reports whether one took it.
func (s *Sink) signal(ctx context.Context, env statemachine.Envelope) (bool, error) {
	info, err := latest(ctx, s.Client, s.Namespace, env.EntityID, true)
	if err != nil {
		return false, fmt.Errorf("%w: %v", tcrhook.ErrUnavailable, err)
	}
	if info == nil {
		return false, nil
	}
	id := info.GetExecution().GetWorkflowId()
	err = s.Client.SignalWorkflow(ctx, id, "", flow.SignalEvent, env)
	if _, ok := errors.AsType[*serviceerror.NotFound](err); ok {
		return false, nil // it ended meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("%w: signal %s to %s: %v", tcrhook.ErrUnavailable, env.Type, id, err)
	}
	return true, nil
}
