// Package webhook delivers the webhook shim's events to the Temporal
// workflows of their records: the same tcrhook.Handler as the baseline's
// shim (HMAC, size limits, statuses), with a Sink that signals a workflow
// where the baseline's enqueues to the events queue.
package webhook

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

// Signaller is the part of client.Client a Sink uses.
type Signaller interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg interface{}) error
}

var _ Signaller = client.Client(nil)

// Sink signals each event to the workflow of its record (flow.SignalEvent).
// Every webhook answers a call the record's workflow made, so the workflow
// exists by then: a plain signal, not signal-with-start, which would start a
// new workflow for a late duplicate of a record's last answer. An event for a
// workflow that ended (such a duplicate, or an answer to a record that gave
// up) is stale: it is accepted and counted, as the baseline ignores a stale
// answer. A server that cannot take the signal now makes the sender retry
// (503).
type Sink struct {
	Client Signaller
	// Signals counts the events by outcome: delivered or ended.
	Signals *prometheus.CounterVec
}

// NewSink returns a Sink on c whose counter reg registers (nil: none).
func NewSink(c Signaller, reg prometheus.Registerer) *Sink {
	s := &Sink{Client: c, Signals: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tendlc_temporal_signals_total",
		Help: "Webhook events signalled to workflows, by outcome: delivered, or ended (the workflow had ended: a stale event).",
	}, []string{"outcome"})}
	if reg != nil {
		reg.MustRegister(s.Signals)
	}
	return s
}

var _ tcrhook.Sink = (*Sink)(nil)

// Send signals every event of envs, in order.
func (s *Sink) Send(ctx context.Context, envs ...statemachine.Envelope) error {
	for _, env := range envs {
		id := flow.WorkflowID(env.Type.Kind(), env.EntityID)
		err := s.Client.SignalWorkflow(ctx, id, "", flow.SignalEvent, env)
		if _, ok := errors.AsType[*serviceerror.NotFound](err); ok {
			s.Signals.WithLabelValues("ended").Inc()
			continue
		}
		if _, ok := errors.AsType[*serviceerror.InvalidArgument](err); ok {
			return fmt.Errorf("signal %s to %s: %w", env.Type, id, err)
		}
		if err != nil {
			return fmt.Errorf("%w: signal %s to %s: %v", tcrhook.ErrUnavailable, env.Type, id, err)
		}
		s.Signals.WithLabelValues("delivered").Inc()
	}
	return nil
}
