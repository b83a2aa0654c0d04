package sqsq

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/message"
)

func TestGate(t *testing.T) {
	g := newGate(3) // one loop active, two parked
	if g.park() {
		t.Fatal("the one active loop parked")
	}
	g.full() // wakes one parked loop
	g.full() // and the other
	g.full() // none is left parked: no token, no block
	for i := range 2 {
		if !g.wait(t.Context()) {
			t.Fatalf("woken loop %d did not get its token", i)
		}
	}
	if got, want := len(g.wake), 0; got != want {
		t.Errorf("%d tokens left, want %d", got, want)
	}
	// Three active loops: two may park, the last one stays.
	for i, want := range []bool{true, true, false} {
		if got := g.park(); got != want {
			t.Errorf("empty receive %d: park = %v, want %v", i+1, got, want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if g.wait(ctx) {
		t.Error("a parked loop woke without a full batch")
	}
}

// The receive loops follow the traffic: one polls an idle queue, a backlog
// wakes the others, and they park again when their receives come back empty,
// whether the long polls end empty at their wait time (SQS) or at once when
// another receive takes the message that woke them (the emulator).
func TestConsumerScalesPollersToTraffic(t *testing.T) {
	for _, wakeAll := range []bool{false, true} {
		t.Run(fmt.Sprintf("wakeAll=%v", wakeAll), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSQS()
				f.wakeAll = wakeAll
				obs := &countingObserver{}
				cfg := testConfig() // wait time 20 s
				cfg.Pollers, cfg.Concurrency, cfg.Observer = 4, 40, obs
				release := make(chan struct{})
				var running atomic.Int64
				handled := make(chan string, 40)
				stop := start(t, f, cfg, func(_ context.Context, m *message.Message) error {
					if strings.HasPrefix(string(m.Body), "burst") {
						running.Add(1)
						<-release
					}
					handled <- string(m.Body)
					return nil
				})
				polling := func() int {
					f.mu.Lock()
					defer f.mu.Unlock()
					return f.polling
				}
				synctest.Wait()
				if got, want := polling(), 1; got != want {
					t.Fatalf("%d receives in progress on an idle queue, want %d", got, want)
				}

				// Single messages: the one loop takes each, none comes back empty.
				for i := range 20 {
					f.put(fmt.Sprint("single-", i))
					<-handled
					synctest.Wait()
				}
				if got, want := obs.empty.Load(), int64(0); got != want {
					t.Errorf("%d empty receives for 20 single messages, want %d", got, want)
				}
				if got, want := polling(), 1; got != want {
					t.Errorf("%d receives in progress after single messages, want %d", got, want)
				}

				// A backlog of 40 fills four batches of 10, each full batch
				// wakes a parked loop, and all four poll once it is handled.
				burst := make([]string, 40)
				for i := range burst {
					burst[i] = fmt.Sprintf("burst-%02d", i)
				}
				f.put(burst...)
				synctest.Wait()
				if got, want := running.Load(), int64(40); got != want {
					t.Fatalf("%d handlers running, want %d", got, want)
				}
				close(release)
				for range burst {
					<-handled
				}
				synctest.Wait()
				if got, want := polling(), 4; got != want {
					t.Errorf("%d receives in progress after the backlog, want %d: the parked loops did not wake", got, want)
				}

				// One more message: three loops come back empty, at once or at
				// their wait time, and park; one keeps polling, its long polls
				// ending empty every wait time.
				f.put("single-after")
				<-handled
				time.Sleep(3*cfg.WaitTime + time.Second)
				synctest.Wait()
				if got, want := polling(), 1; got != want {
					t.Errorf("%d receives in progress on an idle queue again, want %d", got, want)
				}
				if got, want := obs.empty.Load(), int64(3+3); got != want {
					t.Errorf("%d empty receives after the backlog, want %d: 3 loops parking, 3 long polls of the last", got, want)
				}
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got, want := obs.received.Load(), int64(20+40+1); got != want {
					t.Errorf("received %d messages, want %d", got, want)
				}
			})
		})
	}
}
