package dynamo

import (
	"context"
	"math/rand/v2"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLimiterSpacesSlotsAcrossProcesses runs three limiters (three replicas)
// on one table, each with several concurrent callers, and checks that the
// reserved slots never come closer than the interval.
func TestLimiterSpacesSlotsAcrossProcesses(t *testing.T) {
	api, s := provisionTable(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var slots []time.Time
	newLimiter := func() *Limiter {
		l, err := NewLimiter(api, LimiterConfig{
			Table: s.TableName(),
			Rates: map[string]float64{"registry": 2},
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
				for range 5 {
					if _, err := l.Wait(t.Context(), "registry"); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	// The first slot is "now" and sleeps no time, so 59 sleeps for 60 calls.
	if got, want := len(slots), 59; got != want {
		t.Fatalf("%d callers slept, want %d", got, want)
	}
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	interval := newLimiter().Interval("registry")
	if interval < 500*time.Millisecond {
		t.Fatalf("interval %v is shorter than 1/rate", interval)
	}
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < interval-time.Millisecond {
			t.Fatalf("slots %d and %d are %v apart, want at least %v", i-1, i, gap, interval)
		}
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

// slowWrites delays every UpdateItem by a random time up to max.
type slowWrites struct {
	API
	max time.Duration
}

func (s slowWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	time.Sleep(time.Duration(rand.Int64N(int64(s.max)))) // simulated service latency
	return s.API.UpdateItem(ctx, in, opts...)
}
