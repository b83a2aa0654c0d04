package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// The dispatcher's and the outbound handler's observers are ports of package
// handlers; checked here so that the adapter itself needs no import of it.
var (
	_ handlers.Observer         = (*Metrics)(nil)
	_ handlers.OutboundObserver = (*Metrics)(nil)
)

// fixedCapacity is a CapacitySource with set totals.
type fixedCapacity dynamo.Capacity

func (c fixedCapacity) Snapshot() dynamo.Capacity { return dynamo.Capacity(c) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// populated returns a pedantic registry with every metric of the package
// registered, each with at least one sample, and the Metrics behind it.
func populated(tb testing.TB) (*prometheus.Registry, *Metrics) {
	tb.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := New(Config{
		Registerer: reg,
		Capacity: fixedCapacity{ByOperation: map[string]dynamo.Usage{
			"Get": {Requests: 3, ReadUnits: 3}, "Transition": {Requests: 2, WriteUnits: 8}}},
		Faults: func() map[string]int64 { return map[string]int64{"dup-send": 2, "stale-read": 1} },
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fakeSQS(&fakeAWS{}, m.CountSQS()).DeleteMessage(tb.Context(),
		&sqs.DeleteMessageInput{QueueUrl: aws.String("http://sqs.test/q"), ReceiptHandle: aws.String("r")}); err != nil {
		tb.Fatal(err)
	}
	m.Received("events", 3)
	m.Queued("events", 1200*time.Millisecond)
	m.ReceiveFailed("events", errors.New("boom"))
	m.Handled("events", nil, 20*time.Millisecond)
	m.DeleteFailed("events", 1)
	m.ExtendFailed("events", 1)
	m.Transitioned(statemachine.KindBrand, statemachine.BrandRegister, statemachine.StateNone, statemachine.Pending)
	m.Disposed(statemachine.KindBrand, statemachine.BrandVerified, statemachine.Ignore, "already applied")
	m.Conflicted(statemachine.KindCampaign)
	m.Replayed(statemachine.KindCampaign)
	m.Called("registry", handlers.OutcomeOK, 30*time.Millisecond)
	m.Waited("registry", 400*time.Millisecond)
	m.Retried("events", retry.ClassConflict)
	m.Deferred("events")
	m.FlowDeferred("events")
	m.DeadLettered("events", retry.ReasonExhausted)
	m.Redriven(statemachine.KindBrand, statemachine.Submitted, statemachine.OutcomeResent)
	m.LookedUp(statemachine.ToRegistry, "found")
	m.GaveUp(statemachine.KindNumber, statemachine.Registering)
	m.Swept("index", sweepOK, 10, 1.5, t0, 2*time.Second)
	c := newTestCensus(tb, m, &fakeLease{free: true}, fakeCounter{census: dynamo.Census{
		Records: map[statemachine.Kind]map[statemachine.State]int64{statemachine.KindBrand: {statemachine.Verified: 2}}}})
	c.count(tb.Context())
	return reg, m
}

func TestEveryMetricHasASampleAndPassesPromlint(t *testing.T) {
	reg, m := populated(t)
	collectors := append(m.collectors(), capacityCollector{fixedCapacity{}}, faultCollector{})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// capacityCollector yields three families.
	if got, want := len(families), len(collectors)+2; got != want {
		var names []string
		for _, f := range families {
			names = append(names, f.GetName())
		}
		t.Errorf("%d families with samples, want %d: %v", got, want, names)
	}
	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), namespace+"_") {
			t.Errorf("%s lacks the %s_ prefix", f.GetName(), namespace)
		}
	}
}

func TestNewRefusesADoubleRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Registerer: reg}); err == nil {
		t.Error("a second New on the same registry succeeded")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a Registerer succeeded")
	}
}

func TestObservationsLandOnTheirSeries(t *testing.T) {
	sweep := func(m *Metrics, outcome string) { m.Swept("scan", outcome, 500, 62.5, t0, 3*time.Second) }
	tests := []struct {
		name    string
		observe func(*Metrics)
		series  func(*Metrics) prometheus.Collector
		want    float64
	}{
		{"messages received add up", func(m *Metrics) { m.Received("events", 3); m.Received("events", 4) },
			func(m *Metrics) prometheus.Collector { return m.received.WithLabelValues("events") }, 7},
		{"an empty receive is counted as such", func(m *Metrics) { m.Received("att", 0) },
			func(m *Metrics) prometheus.Collector { return m.receives.WithLabelValues("att", receiveEmpty) }, 1},
		{"a failed receive", func(m *Metrics) { m.ReceiveFailed("att", errors.New("boom")) },
			func(m *Metrics) prometheus.Collector { return m.receives.WithLabelValues("att", receiveError) }, 1},
		{"a handler error", func(m *Metrics) { m.Handled("events", errors.New("boom"), time.Second) },
			func(m *Metrics) prometheus.Collector { return m.handled.WithLabelValues("events", handledError) }, 1},
		{"a handler stopped by shutdown", func(m *Metrics) { m.Handled("events", fmt.Errorf("x: %w", context.Canceled), time.Second) },
			func(m *Metrics) prometheus.Collector { return m.handled.WithLabelValues("events", handledCanceled) }, 1},
		{"a handled message whose delete failed is not ok", func(m *Metrics) {
			m.Handled("events", fmt.Errorf("%w: connection reset", sqsq.ErrNotDeleted), time.Second)
		}, func(m *Metrics) prometheus.Collector { return m.handled.WithLabelValues("events", handledNotDeleted) }, 1},
		{"failed deletes add up", func(m *Metrics) { m.DeleteFailed("events", 3); m.DeleteFailed("events", 1) },
			func(m *Metrics) prometheus.Collector { return m.deleteFailures.WithLabelValues("events") }, 4},
		{"failed visibility extensions add up", func(m *Metrics) { m.ExtendFailed("att", 2) },
			func(m *Metrics) prometheus.Collector { return m.extendFailures.WithLabelValues("att") }, 2},
		{"a transition", func(m *Metrics) {
			m.Transitioned(statemachine.KindCampaign, statemachine.CampaignReviewApproved, statemachine.InReview, statemachine.CarrierReview)
		}, func(m *Metrics) prometheus.Collector {
			return m.transitions.WithLabelValues("campaign", "IN_REVIEW", "CARRIER_REVIEW")
		}, 1},
		{"a deferral keeps the state machine's reason", func(m *Metrics) {
			m.Disposed(statemachine.KindCampaign, statemachine.CampaignCarrierApproved, statemachine.Defer, "review not approved yet")
		}, func(m *Metrics) prometheus.Collector {
			return m.dispositions.WithLabelValues("campaign", "campaign.carrier_approved", "defer", "review not approved yet")
		}, 1},
		{"a 429", func(m *Metrics) { m.Called("att", handlers.OutcomeLimited, time.Millisecond) },
			func(m *Metrics) prometheus.Collector { return m.calls.WithLabelValues("att", "429") }, 1},
		{"a 4xx that refuses nothing", func(m *Metrics) { m.Called("registry", handlers.OutcomeClientError, time.Millisecond) },
			func(m *Metrics) prometheus.Collector { return m.calls.WithLabelValues("registry", "4xx") }, 1},
		{"a retry by class", func(m *Metrics) { m.Retried("registry", retry.ClassThrottled) },
			func(m *Metrics) prometheus.Collector { return m.retries.WithLabelValues("registry", "throttled") }, 1},
		{"a dead letter by reason", func(m *Metrics) { m.DeadLettered("events", string(retry.ClassRejected)) },
			func(m *Metrics) prometheus.Collector { return m.deadLetters.WithLabelValues("events", "rejected") }, 1},
		{"a sweep's examined items", func(m *Metrics) { sweep(m, sweepOK); sweep(m, sweepOK) },
			func(m *Metrics) prometheus.Collector { return m.examined.WithLabelValues("scan") }, 1000},
		{"a sweep's read units", func(m *Metrics) { sweep(m, sweepOK) },
			func(m *Metrics) prometheus.Collector { return m.readUnits.WithLabelValues("scan") }, 62.5},
		{"the last successful sweep's end", func(m *Metrics) { sweep(m, sweepOK); sweep(m, "lease_lost") },
			func(m *Metrics) prometheus.Collector { return m.lastSweep }, float64(t0.Unix() + 3)},
		{"a sweep that lost its lease", func(m *Metrics) { sweep(m, "lease_lost") },
			func(m *Metrics) prometheus.Collector { return m.sweeps.WithLabelValues("scan", "lease_lost") }, 1},
		{"a failed sweep's reads count", func(m *Metrics) { sweep(m, "error") },
			func(m *Metrics) prometheus.Collector { return m.examined.WithLabelValues("scan") }, 500},
		{"a sweep that found the lease held", func(m *Metrics) { sweep(m, sweepLeaseHeld) },
			func(m *Metrics) prometheus.Collector { return m.sweeps.WithLabelValues("scan", sweepLeaseHeld) }, 1},
		{"a sweep that found the lease held read nothing", func(m *Metrics) { sweep(m, sweepLeaseHeld) },
			func(m *Metrics) prometheus.Collector { return m.examined.WithLabelValues("scan") }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(Config{Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			tt.observe(m)
			if got := testutil.ToFloat64(tt.series(m)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHistogramsObserveSeconds(t *testing.T) {
	m, err := New(Config{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	m.Handled("events", nil, 1500*time.Millisecond)
	m.Waited("numbers", 250*time.Millisecond)
	m.Queued("att", 90*time.Second)
	m.Queued("att", -time.Second)
	for _, tt := range []struct {
		name string
		h    *prometheus.HistogramVec
		want string
	}{
		{"tendlc_handler_duration_seconds", m.handlerDuration, `tendlc_handler_duration_seconds_sum{queue="events"} 1.5`},
		{"tendlc_rate_limiter_wait_seconds", m.limiterWait, `tendlc_rate_limiter_wait_seconds_sum{downstream="numbers"} 0.25`},
		{"tendlc_queue_wait_seconds", m.queueWait, `tendlc_queue_wait_seconds_sum{queue="att"} 90`},
		{"tendlc_queue_wait_seconds", m.queueWait, `tendlc_queue_wait_seconds_bucket{queue="att",le="0.01"} 1`},
	} {
		text, err := testutil.CollectAndFormat(tt.h, expfmt.TypeTextPlain, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(text), tt.want) {
			t.Errorf("%s: no %q in\n%s", tt.name, tt.want, text)
		}
	}
}

func TestCapacityIsReadAtScrapeTime(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	usage := map[string]dynamo.Usage{}
	src := capacityFunc(func() dynamo.Capacity { return dynamo.Capacity{ByOperation: usage} })
	if _, err := New(Config{Registerer: reg, Capacity: src}); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "tendlc_dynamodb_requests_total"); err != nil || n != 0 {
		t.Fatalf("before any request: %d series, %v; want none", n, err)
	}
	usage = map[string]dynamo.Usage{"Census": {Requests: 4, ReadUnits: 120.5}, "Transition": {Requests: 1, WriteUnits: 4}}
	want := `
# HELP tendlc_dynamodb_consumed_read_capacity_units_total DynamoDB read capacity units consumed, by operation.
# TYPE tendlc_dynamodb_consumed_read_capacity_units_total counter
tendlc_dynamodb_consumed_read_capacity_units_total{operation="Census"} 120.5
tendlc_dynamodb_consumed_read_capacity_units_total{operation="Transition"} 0
# HELP tendlc_dynamodb_requests_total DynamoDB requests sent, failed ones included, by operation.
# TYPE tendlc_dynamodb_requests_total counter
tendlc_dynamodb_requests_total{operation="Census"} 4
tendlc_dynamodb_requests_total{operation="Transition"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"tendlc_dynamodb_consumed_read_capacity_units_total", "tendlc_dynamodb_requests_total"); err != nil {
		t.Error(err)
	}
}

// capacityFunc is a CapacitySource that calls itself.
type capacityFunc func() dynamo.Capacity

func (f capacityFunc) Snapshot() dynamo.Capacity { return f() }

func TestFaultsAreCountedByFault(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	counts := map[string]int64{"fail-send": 3}
	if _, err := New(Config{Registerer: reg, Faults: func() map[string]int64 { return counts }}); err != nil {
		t.Fatal(err)
	}
	counts = map[string]int64{"fail-send": 5, "5xx": 1}
	want := `
# HELP tendlc_faults_injected_total Faults the fault layer injected into the AWS clients, by fault (dup-send, fail-send, throttle, ...).
# TYPE tendlc_faults_injected_total counter
tendlc_faults_injected_total{fault="5xx"} 1
tendlc_faults_injected_total{fault="fail-send"} 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tendlc_faults_injected_total"); err != nil {
		t.Error(err)
	}
}

// names returns the metric names reg holds samples of, sorted.
func names(tb testing.TB, reg prometheus.Gatherer) []string {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range families {
		out = append(out, f.GetName())
	}
	slices.Sort(out)
	return out
}
