package dynamo

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestLimiterSpacesSlotsAcrossProcesses runs three limiters (three replicas)
// on one table, each with several concurrent callers, and checks that the
// reserved slots never come closer than the interval: at a low rate with a
// write per call, at a high rate with slots leased in batches, far fewer
// writes than calls.
func TestLimiterSpacesSlotsAcrossProcesses(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		calls int // per caller; 3 limiters with 4 callers each
		check func(t *testing.T, calls int, api *countingAPI)
	}{
		{name: "a write per call at 2 per second", rate: 2, calls: 5, check: func(t *testing.T, calls int, api *countingAPI) {
			if got := int(api.written.Load()); got != calls {
				t.Errorf("%d slots reserved by %d writes, want one write per call", calls, got)
			}
		}},
		{name: "leased in batches at 10000 per second", rate: 10000, calls: 50, check: func(t *testing.T, calls int, api *countingAPI) {
			// Leases of up to 64 slots; a lease that lost the race to
			// another process writes again.
			if got, limit := int(api.written.Load()), calls/16; got > limit {
				t.Errorf("%d slots reserved by %d leases, want at most %d", calls, got, limit)
			}
			if got, limit := int(api.updates.Load()), calls/4; got > limit {
				t.Errorf("%d slots reserved by %d UpdateItems, conflicts included, want at most %d", calls, got, limit)
			}
			t.Logf("%d calls: %d UpdateItems (%d succeeded), %d GetItems", calls, api.updates.Load(), api.written.Load(), api.gets.Load())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, s := provisionTable(t)
			api := &countingAPI{API: db}
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			var slots []time.Time
			newLimiter := func() *Limiter {
				l, err := NewLimiter(api, LimiterConfig{
					Table: s.TableName(),
					Rates: map[string]float64{"registry": tt.rate},
					Now:   func() time.Time { return now },
					Sleep: func(_ context.Context, d time.Duration) error {
						mu.Lock()
						defer mu.Unlock()
						slots = append(slots, now.Add(d))
						return nil
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			var wg sync.WaitGroup
			for range 3 {
				l := newLimiter()
				for range 4 {
					wg.Go(func() {
						for range tt.calls {
							if _, err := l.Wait(t.Context(), "registry"); err != nil {
								t.Error(err)
							}
						}
					})
				}
			}
			wg.Wait()
			calls := 3 * 4 * tt.calls
			// The first slot is "now" and sleeps no time.
			if got, want := len(slots), calls-1; got != want {
				t.Fatalf("%d callers slept, want %d", got, want)
			}
			slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
			interval := newLimiter().Interval("registry")
			if want := time.Duration(float64(time.Second) / tt.rate); interval < want {
				t.Fatalf("interval %v is shorter than 1/rate", interval)
			}
			for i := 1; i < len(slots); i++ {
				if gap := slots[i].Sub(slots[i-1]); gap < interval {
					t.Fatalf("slots %d and %d are %v apart, want at least %v", i-1, i, gap, interval)
				}
			}
			tt.check(t, calls, api)
		})
	}
}

// A lease's slots go out in order, one per call, with no write; a caller
// that comes after its slot passed sends at once, an interval after the one
// before, and a span that ran out takes a new lease.
func TestLimiterHandsOutLeasedSlotsInOrder(t *testing.T) {
	db, s := provisionTable(t)
	api := &countingAPI{API: db}
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := clockedLimiter(t, api, s.TableName(), 1000, &clock)
	interval := l.Interval("att") // 1.2 ms
	fit := int(leaseWindow / interval)
	wait := func() time.Time {
		t.Helper()
		return clock.Add(mustWait(t, l, "att"))
	}
	var slots []time.Time
	for range fit {
		slots = append(slots, wait())
	}
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap != interval {
			t.Fatalf("slot %d is %v after the one before, want %v", i, gap, interval)
		}
	}
	if got := api.updates.Load(); got != 1 {
		t.Fatalf("%d calls at 1000 per second took %d UpdateItems, want 1 lease", fit, got)
	}
	// The next does not fit in the span: a new lease, an interval on at least.
	if got := wait(); got.Sub(slots[fit-1]) < interval || api.updates.Load() != 2 {
		t.Fatalf("the call after the span's got a slot %v after the last with %d UpdateItems in all; want a second lease, at least %v on",
			got.Sub(slots[fit-1]), api.updates.Load(), interval)
	}
	// Late callers: the first sends now, the next an interval after it.
	first := wait()
	clock = first.Add(5 * interval)
	if got := wait(); !got.Equal(clock) {
		t.Errorf("a caller after its slot passed got %v, want now", got.Sub(clock))
	}
	if got, want := wait(), clock.Add(interval); !got.Equal(want) {
		t.Errorf("the caller after it got %v after now, want %v", got.Sub(clock), interval)
	}
	if got := api.updates.Load(); got != 2 {
		t.Errorf("late callers took %d UpdateItems in all, want still 2", got)
	}
	// Past the span's end: a new lease, a slot not in the past.
	clock = clock.Add(time.Minute)
	if got := wait(); got.Before(clock) || api.updates.Load() != 3 {
		t.Errorf("after the span ended a caller got a slot %v from now with %d UpdateItems in all; want a new lease and no slot in the past",
			got.Sub(clock), api.updates.Load())
	}
}

// The schedule counts whole milliseconds; a lease asked for between two
// starts at the later one, not at a slot already passed at 10000 per second.
func TestLimiterLeasesNoPassedSlot(t *testing.T) {
	db, s := provisionTable(t)
	api := &countingAPI{API: db}
	now := time.Date(2026, 11, 23, 12, 0, 0, 500_000, time.UTC)
	l := clockedLimiter(t, api, s.TableName(), 10000, &now)
	if got, want := mustWait(t, l, "numbers"), 500*time.Microsecond; got != want {
		t.Errorf("the first slot is %v after the call, want %v (the next whole millisecond)", got, want)
	}
	if got := api.written.Load(); got != 1 {
		t.Errorf("one call took %d leases, want 1", got)
	}
}

// Backoff drops the slots this process leased: the next caller waits for the
// pushed schedule, not for a slot leased before the 429.
func TestLimiterBackoffDropsLeasedSlots(t *testing.T) {
	api, s := provisionTable(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := clockedLimiter(t, api, s.TableName(), 100, &now)
	// Leases of 1, 2 and 4 slots: three of the last are left.
	for range 4 {
		mustWait(t, l, "tmobile")
	}
	if err := l.Backoff(t.Context(), "tmobile", 7*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := mustWait(t, l, "tmobile"); d != 7*time.Second {
		t.Errorf("after a 7 s backoff the process that leased slots waits %v, want 7s", d)
	}
}

// beforeWrite runs hook once, before the first UpdateItem it sees.
type beforeWrite struct {
	API
	hook func()
}

func (b *beforeWrite) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if h := b.hook; h != nil {
		b.hook = nil
		h()
	}
	return b.API.UpdateItem(ctx, in, opts...)
}

// A lease that lands while a Backoff's write is on its way holds slots from
// before the backoff's end: this process hands none of them out.
func TestLimiterLeaseDuringABackoffSendsNothingBeforeItsEnd(t *testing.T) {
	db, s := provisionTable(t)
	api := &beforeWrite{API: db}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	l := clockedLimiter(t, api, s.TableName(), 1000, &now)
	var during time.Duration
	api.hook = func() { during = mustWait(t, l, "registry") } // the caller leases before the Backoff writes
	if err := l.Backoff(t.Context(), "registry", 7*time.Second); err != nil {
		t.Fatal(err)
	}
	if during < 7*time.Second {
		t.Errorf("a caller leasing during the Backoff got a slot %v from now, want none before 7s", during)
	}
}

func TestLimiterBackoffDelaysEveryone(t *testing.T) {
	api, s := provisionTable(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var waited []time.Duration
	l, err := NewLimiter(api, LimiterConfig{Table: s.TableName(), Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewLimiter(api, LimiterConfig{Table: s.TableName(), Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Backoff(t.Context(), "att", 7*time.Second); err != nil {
		t.Fatal(err)
	}
	d, err := other.Wait(t.Context(), "att")
	if err != nil {
		t.Fatal(err)
	}
	if d != 7*time.Second {
		t.Errorf("after a 7 s backoff another process waits %v, want 7s", d)
	}
	if _, err := l.Wait(t.Context(), "verizon"); err != nil {
		t.Fatal(err)
	}
	if got := len(waited); got != 1 {
		t.Errorf("a backoff on att delayed %d waits in all, want only the att one", got)
	}
}

// A Retry-After of years (or a negative one) must not stop every replica's
// calls to a downstream: the shared schedule is pushed back at most
// MaxBackoff, and not at all by a negative delay.
func TestLimiterBackoffIsBounded(t *testing.T) {
	api, s := provisionTable(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		backoff time.Duration
		want    time.Duration
	}{
		{name: "within the bound", backoff: 7 * time.Second, want: 7 * time.Second},
		{name: "285 years", backoff: 9_000_000_000 * time.Second, want: time.Minute},
		{name: "the longest duration", backoff: time.Duration(1<<63 - 1), want: time.Minute},
		{name: "negative", backoff: -time.Hour, want: 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "att-" + strconv.Itoa(i)
			l, err := NewLimiter(api, LimiterConfig{Table: s.TableName(), Now: func() time.Time { return now },
				Sleep: func(context.Context, time.Duration) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Backoff(t.Context(), key, tt.backoff); err != nil {
				t.Fatal(err)
			}
			d, err := l.Wait(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if d != tt.want {
				t.Errorf("after a backoff of %v a caller waits %v, want %v", tt.backoff, d, tt.want)
			}
		})
	}
}

func TestNewLimiterValidates(t *testing.T) {
	if _, err := NewLimiter(nil, LimiterConfig{Rates: map[string]float64{"x": 0}}); err == nil {
		t.Error("NewLimiter accepted a nil api, no table and a zero rate")
	}
}

// TestLimiterHoldsTheRateInRealTime sends through three limiters (three
// replicas) with the real clock and checks the times callers were let go: no
// one-second window holds more than the rate.
func TestLimiterHoldsTheRateInRealTime(t *testing.T) {
	api, s := provisionTable(t)
	const rate = 10
	var mu sync.Mutex
	var sent []time.Time
	var wg sync.WaitGroup
	for range 3 {
		// A loaded DynamoDB: writes take up to 300 ms, longer than the
		// interval, so a reservation can complete after its slot.
		slow := slowWrites{API: api, max: 300 * time.Millisecond}
		l, err := NewLimiter(slow, LimiterConfig{Table: s.TableName(), DefaultRate: rate})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			wg.Go(func() {
				for range 4 {
					if _, err := l.Wait(t.Context(), "registry"); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					sent = append(sent, time.Now())
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	for i := range sent {
		n := 0
		for j := i; j < len(sent) && sent[j].Sub(sent[i]) < time.Second; j++ {
			n++
		}
		if n > rate {
			t.Fatalf("%d callers let go within one second from %v, want at most %d", n, sent[i].Format("15:04:05.000"), rate)
		}
	}
}

// BenchmarkLimiterWait counts the limiter's requests per call as regd makes
// them in the ceiling profile (rate 10000) and in a throttled one (rate 5):
// three limiters (replicas) with 16 callers each (regd's
// --outbound-concurrency), each call followed by a downstream call of 10-50
// ms, against the emulator, with the real clock.
func BenchmarkLimiterWait(b *testing.B) {
	for _, rate := range []float64{10000, 5} {
		b.Run("rate="+strconv.FormatFloat(rate, 'f', -1, 64), func(b *testing.B) {
			db, s := provisionTable(b)
			api := &countingAPI{API: db}
			var limiters []*Limiter
			for range 3 {
				l, err := NewLimiter(api, LimiterConfig{Table: s.TableName(), DefaultRate: rate})
				if err != nil {
					b.Fatal(err)
				}
				limiters = append(limiters, l)
			}
			var left, waited atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, l := range limiters {
				for range 16 {
					wg.Go(func() {
						for left.Add(-1) >= 0 {
							d, err := l.Wait(b.Context(), "registry")
							if err != nil {
								b.Error(err)
								return
							}
							waited.Add(int64(d))
							time.Sleep(10*time.Millisecond + rand.N(40*time.Millisecond)) // the downstream call
						}
					})
				}
			}
			wg.Wait()
			b.ReportMetric(float64(api.updates.Load())/float64(b.N), "updates/call")
			b.ReportMetric(float64(api.gets.Load())/float64(b.N), "gets/call")
			b.ReportMetric(float64(waited.Load())/float64(b.N)/1e6, "waited-ms/call")
		})
	}
}

// slowWrites delays every UpdateItem by a random time up to max.
type slowWrites struct {
	API
	max time.Duration
}

func (s slowWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	time.Sleep(time.Duration(rand.Int64N(int64(s.max)))) // simulated service latency
	return s.API.UpdateItem(ctx, in, opts...)
}

// clockedLimiter returns a limiter of rate per second for every key whose
// clock reads *now and whose sleeps return at once.
func clockedLimiter(tb testing.TB, api API, table string, rate float64, now *time.Time) *Limiter {
	tb.Helper()
	l, err := NewLimiter(api, LimiterConfig{Table: table, DefaultRate: rate,
		Now: func() time.Time { return *now }, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// mustWait returns how long l.Wait waited for a slot of key.
func mustWait(tb testing.TB, l *Limiter, key string) time.Duration {
	tb.Helper()
	d, err := l.Wait(tb.Context(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// countingAPI counts the limiter's requests: UpdateItems sent, those that
// succeeded, and GetItems.
type countingAPI struct {
	API
	updates, written, gets atomic.Int64
}

func (c *countingAPI) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates.Add(1)
	out, err := c.API.UpdateItem(ctx, in, opts...)
	if err == nil {
		c.written.Add(1)
	}
	return out, err
}

func (c *countingAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.API.GetItem(ctx, in, opts...)
}
