package metrics

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
)

// fakeLease is held by this replica when free; it counts acquisitions and
// releases.
type fakeLease struct {
	mu       sync.Mutex
	free     bool
	err      error
	acquired int
	released int
}

func (l *fakeLease) Acquire(context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return false, l.err
	}
	if l.free {
		l.acquired++
	}
	return l.free, nil
}

func (l *fakeLease) Release(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released++
	return nil
}

func (l *fakeLease) Duration() time.Duration { return 2 * DefaultCensusInterval }

func (l *fakeLease) set(free bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free = free
}

// fakeCounter returns census, or err, or panics when asked to.
type fakeCounter struct {
	census dynamo.Census
	err    error
	panics bool
}

func (c fakeCounter) Census(context.Context) (dynamo.Census, error) {
	if c.panics {
		panic("census exploded")
	}
	return c.census, c.err
}

func newTestCensus(tb testing.TB, m *Metrics, l Lease, rc RecordCounter) *Census {
	tb.Helper()
	c, err := NewCensus(CensusConfig{Records: rc, Lease: l, Metrics: m, Now: func() time.Time { return t0 }})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func newMetrics(tb testing.TB) *Metrics {
	tb.Helper()
	m, err := New(Config{Registerer: prometheus.NewRegistry()})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

var someRecords = dynamo.Census{Records: map[statemachine.Kind]map[statemachine.State]int64{
	statemachine.KindCampaign: {statemachine.Active: 3, statemachine.InReview: 1},
	statemachine.KindNumber:   {statemachine.Registered: 7},
}}

func TestCensusReportsEveryStateOfEveryKind(t *testing.T) {
	m := newMetrics(t)
	newTestCensus(t, m, &fakeLease{free: true}, fakeCounter{census: someRecords}).count(t.Context())
	for _, tt := range []struct {
		kind  statemachine.Kind
		state statemachine.State
		want  float64
	}{
		{statemachine.KindCampaign, statemachine.Active, 3},
		{statemachine.KindCampaign, statemachine.InReview, 1},
		{statemachine.KindNumber, statemachine.Registered, 7},
		{statemachine.KindBrand, statemachine.Verified, 0}, // no brands at all: zero, not absent
	} {
		if got := testutil.ToFloat64(m.records.WithLabelValues(string(tt.kind), string(tt.state))); got != tt.want {
			t.Errorf("%s %s = %v, want %v", tt.kind, tt.state, got, tt.want)
		}
	}
	var states int
	for _, k := range statemachine.Kinds {
		states += len(statemachine.States(k))
	}
	if got := testutil.CollectAndCount(m.records); got != states {
		t.Errorf("%d series, want one per state of every kind (%d)", got, states)
	}
	if got, want := testutil.ToFloat64(m.censusMetrics.lastCensus), float64(t0.Unix()); got != want {
		t.Errorf("last success %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(m.censusMetrics.censuses.WithLabelValues(censusOK)); got != 1 {
		t.Errorf("%v ok runs, want 1", got)
	}
}

func TestCensusOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		lease   *fakeLease
		counter fakeCounter
		outcome string
		series  int // records series after the attempt
	}{
		{"lease held elsewhere", &fakeLease{free: false}, fakeCounter{census: someRecords}, censusSkipped, 0},
		{"lease error", &fakeLease{err: errors.New("throttled")}, fakeCounter{census: someRecords}, censusError, 0},
		{"scan error", &fakeLease{free: true}, fakeCounter{err: errors.New("throttled")}, censusError, 0},
		{"scan panic", &fakeLease{free: true}, fakeCounter{panics: true}, censusError, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetrics(t)
			newTestCensus(t, m, tt.lease, tt.counter).count(t.Context())
			if got := testutil.ToFloat64(m.censusMetrics.censuses.WithLabelValues(tt.outcome)); got != 1 {
				t.Errorf("%v %s runs, want 1", got, tt.outcome)
			}
			if got := testutil.CollectAndCount(m.records); got != tt.series {
				t.Errorf("%d records series, want %d", got, tt.series)
			}
		})
	}
}

func TestCensusRunsEveryIntervalWhileItHoldsTheLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMetrics(t)
		lease := &fakeLease{free: true}
		c := newTestCensus(t, m, lease, fakeCounter{census: someRecords})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()

		synctest.Wait()
		runs := func() float64 { return testutil.ToFloat64(m.censusMetrics.censuses.WithLabelValues(censusOK)) }
		if got := runs(); got != 1 {
			t.Fatalf("%v counts at start, want 1", got)
		}
		time.Sleep(DefaultCensusInterval)
		synctest.Wait()
		if got := runs(); got != 2 {
			t.Fatalf("%v counts after one interval, want 2", got)
		}
		// Another replica takes the lease over: this one stops reporting.
		lease.set(false)
		time.Sleep(DefaultCensusInterval)
		synctest.Wait()
		if got := testutil.CollectAndCount(m.records); got != 0 {
			t.Errorf("%d records series after losing the lease, want none", got)
		}
		lease.set(true)
		time.Sleep(DefaultCensusInterval)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
		if got, want := lease.released, 1; got != want {
			t.Errorf("released %d times at shutdown, want %d", got, want)
		}
		if got, want := lease.acquired, 3; got != want {
			t.Errorf("acquired %d times, want %d", got, want)
		}
	})
}

func TestNewCensusValidates(t *testing.T) {
	m := newMetrics(t)
	short := shortLease{&fakeLease{}}
	tests := []struct {
		name string
		cfg  CensusConfig
	}{
		{"nothing", CensusConfig{}},
		{"no metrics", CensusConfig{Records: fakeCounter{}, Lease: &fakeLease{}}},
		{"negative interval", CensusConfig{Records: fakeCounter{}, Lease: &fakeLease{}, Metrics: m, Interval: -time.Second}},
		{"lease shorter than the interval", CensusConfig{Records: fakeCounter{}, Lease: short, Metrics: m}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCensus(tt.cfg); err == nil {
				t.Error("NewCensus accepted it")
			}
		})
	}
}

// shortLease lasts one minute.
type shortLease struct{ *fakeLease }

func (shortLease) Duration() time.Duration { return time.Minute }
