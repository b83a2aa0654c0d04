package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// An expired API key makes the registry answer 401 to everything. No
// registration fails for it: the command is retried on the client budget,
// counted as outcome 4xx, and then dead-lettered with the status and the
// body, while the brand's record keeps its state and history.
func TestA401LeavesTheRecordAndDeadLettersTheCommand(t *testing.T) {
	var calls atomic.Int32
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"api key expired"}`)
	}))
	t.Cleanup(registry.Close)
	d := deploytest.New(t)
	policies := fastPolicies
	policies.Client = retry.Policy{MaxAttempts: 3, Base: time.Second, Cap: time.Second}
	r := startRegd(t, d, func(m *Main) {
		m.Config.DownstreamURL = registry.URL
		m.RetryPolicies = &policies
	})
	if err := d.Producer(t).Send(t.Context(), registrations("b1", "c1", nil)[0]); err != nil {
		t.Fatal(err)
	}
	before := waitFor(t, d, statemachine.KindBrand, "b1", 30*time.Second, func(*statemachine.Record) bool { return true })
	pathBefore := strings.Join(statePath(t, d, statemachine.KindBrand, "b1"), " ")

	dl := registryDeadLetter(t, d)
	if dl.Reason != retry.ReasonExhausted || dl.Class != retry.ClassHTTPClient {
		t.Errorf("dead letter reason %q class %q, want %q %q", dl.Reason, dl.Class, retry.ReasonExhausted, retry.ClassHTTPClient)
	}
	if want := "http 401: api key expired"; !strings.Contains(dl.Error, want) {
		t.Errorf("dead letter error %q, want it to name %q", dl.Error, want)
	}
	if dl.EventType != statemachine.CmdSubmitBrand || dl.EntityID != "b1" {
		t.Errorf("dead letter of %s %s, want %s b1", dl.EventType, dl.EntityID, statemachine.CmdSubmitBrand)
	}
	if got, want := calls.Load(), int32(3); got != want {
		t.Errorf("registry called %d times, want the budget's %d", got, want)
	}
	if got, want := r.metric(t, "tendlc_downstream_calls_total", map[string]string{"downstream": "registry", "outcome": "4xx"}), 3.0; got != want {
		t.Errorf("downstream calls with outcome 4xx = %v, want %v", got, want)
	}

	after, err := d.Store(t).Get(t.Context(), statemachine.KindBrand, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if after.State != before.State {
		t.Errorf("brand state %s after the dead letter, want it untouched: %s", after.State, before.State)
	}
	if got := strings.Join(statePath(t, d, statemachine.KindBrand, "b1"), " "); got != pathBefore {
		t.Errorf("brand history %q after the dead letter, want it untouched: %q", got, pathBefore)
	}
}

// registryDeadLetter waits for the one dead letter of the registry queue.
func registryDeadLetter(tb testing.TB, d deploytest.Deployment) sqsq.DeadLetter {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		dls, err := sqsq.ListDeadLetters(tb.Context(), d.SQS, d.URLs[string(statemachine.ToRegistry)+"-dlq"], 10)
		if err != nil {
			tb.Fatal(err)
		}
		if len(dls) == 1 {
			return dls[0]
		}
		if len(dls) > 1 || time.Now().After(deadline) {
			tb.Fatalf("%d dead letters on the registry DLQ, want 1 within 60 s", len(dls))
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
}
