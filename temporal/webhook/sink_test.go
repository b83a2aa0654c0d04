package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/api/serviceerror"

	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/statemachine"
)

// signaller records signals and answers each with the error for its
// workflow id.
type signaller struct {
	sent []string
	errs map[string]error
}

func (s *signaller) SignalWorkflow(_ context.Context, id, runID, name string, arg interface{}) error {
	env := arg.(statemachine.Envelope)
	s.sent = append(s.sent, id+" "+name+" "+env.EventID)
	return s.errs[id]
}

func TestSinkSend(t *testing.T) {
	approved := statemachine.Envelope{Type: statemachine.CampaignCarrierApproved, EventID: "e-1", EntityID: "c-1"}
	registered := statemachine.Envelope{Type: statemachine.NumberRegistered, EventID: "e-2", EntityID: "+12025550100"}
	for _, tc := range []struct {
		name      string
		errs      map[string]error
		wantErr   error // nil: none; else errors.Is target, or any error when errAny
		errAny    bool
		delivered float64
		ended     float64
	}{
		{name: "each event to its record's workflow", delivered: 2},
		{name: "an ended workflow: stale, accepted", errs: map[string]error{"number/+12025550100": serviceerror.NewNotFound("workflow execution already completed")},
			delivered: 1, ended: 1},
		{name: "server unavailable: the sender retries", errs: map[string]error{"campaign/c-1": serviceerror.NewUnavailable("restarting")},
			wantErr: tcrhook.ErrUnavailable},
		{name: "a bad request is a bug", errs: map[string]error{"campaign/c-1": serviceerror.NewInvalidArgument("bad")}, errAny: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := &signaller{errs: tc.errs}
			s := NewSink(sig, prometheus.NewRegistry())
			err := s.Send(t.Context(), approved, registered)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Send: %v, want %v", err, tc.wantErr)
			case tc.errAny && (err == nil || errors.Is(err, tcrhook.ErrUnavailable)):
				t.Fatalf("Send: %v, want an error that is not ErrUnavailable", err)
			case tc.wantErr == nil && !tc.errAny && err != nil:
				t.Fatalf("Send: %v", err)
			}
			if tc.wantErr == nil && !tc.errAny {
				want := []string{"campaign/c-1 event e-1", "number/+12025550100 event e-2"}
				if len(sig.sent) != 2 || sig.sent[0] != want[0] || sig.sent[1] != want[1] {
					t.Errorf("signals %v, want %v", sig.sent, want)
				}
			}
			if got := testutil.ToFloat64(s.Signals.WithLabelValues("delivered")); got != tc.delivered {
				t.Errorf("delivered %v, want %v", got, tc.delivered)
			}
			if got := testutil.ToFloat64(s.Signals.WithLabelValues("ended")); got != tc.ended {
				t.Errorf("ended %v, want %v", got, tc.ended)
			}
		})
	}
}
