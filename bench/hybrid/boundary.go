package hybrid

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/tendlc/tendlc/bench"
)

// boundary kills the hand-off's processes with SIGKILL on a schedule and
// starts each again at once: from first on, every interval, the next of
// victims in turn (the bridge, then a worker, then the bridge, then the
// next worker...). The kills fall at no particular point of a command's
// handling: a bridge killed between a workflow's start and the command's
// deletion, or a worker killed in an activity, happens when the schedule
// meets one.
type boundary struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	kills map[string]int // by victim group
	err   error          // the first restart that failed
}

// victim is a process of the boundary and the group its kills count in.
type victim struct {
	group string
	proc  *bench.Proc
}

// startBoundary starts the schedule under sup until ctx ends or stop.
func startBoundary(ctx context.Context, sup *bench.Supervisor, stdout io.Writer, victims []victim, first, interval time.Duration) *boundary {
	wait, cancel := context.WithCancel(ctx)
	b := &boundary{cancel: cancel, done: make(chan struct{}), kills: map[string]int{}}
	go func() {
		defer close(b.done)
		t := time.NewTimer(first)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-wait.Done():
				return
			case <-t.C:
			}
			v := victims[i%len(victims)]
			sup.Signal(v.proc, syscall.SIGKILL, 0)
			fmt.Fprintf(stdout, "regbench: killed %s with SIGKILL (the hand-off's boundary); restarting it\n", v.proc.Name)
			err := sup.Start(ctx, v.proc)
			b.mu.Lock()
			b.kills[v.group]++
			if err != nil && b.err == nil {
				b.err = fmt.Errorf("restart %s: %w", v.proc.Name, err)
			}
			b.mu.Unlock()
			t.Reset(interval)
		}
	}()
	return b
}

// stop ends the schedule, waiting for a kill under way, and returns the
// kills by group and the first failed restart.
func (b *boundary) stop() (map[string]int, error) {
	b.cancel()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kills, b.err
}
