package sweeper

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// runFor starts Run in a synctest bubble, lets d of fake time pass, then
// stops it and checks that Run returned nil.
func runFor(t *testing.T, s *Sweeper, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(d) // fake time: the bubble's clock jumps
	synctest.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// searchLog records when the sweeps searched, and lets a test make a search
// panic or take time.
type searchLog struct {
	mu    sync.Mutex
	at    []time.Time
	panic map[int]bool          // searches (from 1) that panic
	take  map[int]time.Duration // searches (from 1) that take this long
}

func (l *searchLog) onFind(ctx context.Context) error {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	n := len(l.at)
	l.mu.Unlock()
	if l.panic[n] {
		panic("search bug")
	}
	return sleep(ctx, l.take[n])
}

func (l *searchLog) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.at)
}

// scheduled returns a scan-mode sweeper on the bubble's clock whose searches
// log reports.
func scheduled(t *testing.T, log *searchLog, edit func(*Config)) *fixture {
	t.Helper()
	store := newMemStore()
	store.onFind = log.onFind
	return newFixture(t, store, func(c *Config) {
		c.Mode, c.Now = ModeScan, time.Now // one search per sweep
		if edit != nil {
			edit(c)
		}
	})
}

func TestRunSweepsOnTheScheduleInUTC(t *testing.T) {
	// A local time zone far from UTC, to tell the two apart.
	local := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	t.Cleanup(func() { time.Local = local })

	tests := []struct {
		schedule string
		run      time.Duration
		want     []string // UTC times of day; every bubble starts at midnight UTC
	}{
		{"", 3*time.Hour + 30*time.Minute, []string{"01:00", "02:00", "03:00"}},
		{"30 2 * * *", 50 * time.Hour, []string{"02:30", "02:30"}},
	}
	for _, tt := range tests {
		t.Run("schedule "+tt.schedule, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &searchLog{}
				f := scheduled(t, log, func(c *Config) { c.Schedule = tt.schedule })
				runFor(t, f.sweeper, tt.run)
				var got []string
				for _, at := range log.times() {
					got = append(got, at.UTC().Format("15:04"))
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("swept at %v UTC, want %v", got, tt.want)
				}
				if got, want := len(f.observer.outcomes()), len(tt.want); got != want {
					t.Errorf("observer told of %d sweeps, want %d", got, want)
				}
			})
		})
	}
}

func TestRunSweepsAgainAfterAPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &searchLog{panic: map[int]bool{1: true}}
		f := scheduled(t, log, nil)
		runFor(t, f.sweeper, 2*time.Hour+30*time.Minute)
		if got, want := len(log.times()), 2; got != want {
			t.Fatalf("%d sweeps ran, want %d: the panic must not stop the schedule", got, want)
		}
		if got, want := f.observer.outcomes(), []string{SweepError, SweepOK}; !slices.Equal(got, want) {
			t.Fatalf("observer told %v, want %v: a panic, then a success", got, want)
		}
		if acquired, _, released := f.lease.counts(); acquired != 2 || released != 2 {
			t.Errorf("lease acquired %d, released %d; want 2 and 2 (the panicking sweep released it too)", acquired, released)
		}
	})
}

func TestRunSkipsASweepWhileThePreviousOneRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &searchLog{take: map[int]time.Duration{1: 90 * time.Minute}}
		f := scheduled(t, log, func(c *Config) { c.Lease = &lease{duration: time.Hour} })
		begin := time.Now()
		runFor(t, f.sweeper, 3*time.Hour+30*time.Minute)
		var got []time.Duration
		for _, at := range log.times() {
			got = append(got, at.Sub(begin))
		}
		// 1:00 runs until 2:30, so 2:00 is skipped.
		if want := []time.Duration{time.Hour, 3 * time.Hour}; !slices.Equal(got, want) {
			t.Errorf("swept at %v, want %v", got, want)
		}
	})
}

func TestRunStopsASweepWhenTheContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &searchLog{take: map[int]time.Duration{1: 10 * time.Hour}}
		f := scheduled(t, log, nil)
		runFor(t, f.sweeper, 90*time.Minute) // the sweep of 1:00 is under way
		if got, want := f.observer.outcomes(), []string{SweepError}; !slices.Equal(got, want) {
			t.Errorf("observer told %v, want %v: the sweep cancelled", got, want)
		}
		if _, _, released := f.lease.counts(); released != 1 {
			t.Errorf("lease released %d times, want 1", released)
		}
	})
}
