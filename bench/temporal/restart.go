package temporal

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/tendlc/tendlc/bench"
)

// ServerRestart is the fault only the Temporal side has: its embedded
// server killed with SIGKILL once, mid-run, and started again on the same
// SQLite file and port. The workers and the webhook receiver must ride it
// out: the SDK retries its calls, the webhook answers 503 meanwhile and
// carriersim delivers again. It happens in runs whose scenario kills
// replicas, at half the kill interval after the seeding, so that it falls
// between the seeding and the first replica kill.
type ServerRestart struct {
	after  time.Duration // from the seeding
	sup    *bench.Supervisor
	server *bench.Proc
	stdout io.Writer

	cancel context.CancelFunc // ends the wait for the restart's time
	done   chan struct{}

	mu     sync.Mutex
	report RestartFigures
}

// RestartFigures are report.json's server_restart.
type RestartFigures struct {
	// AfterSeconds is when, from the seeding, the restart was due.
	AfterSeconds float64 `json:"after_seconds"`
	// Done is whether the server was killed; a run that ended earlier has
	// no restart.
	Done bool `json:"done"`
	// AtSeconds is when, from the seeding, the server was killed, and
	// DownSeconds how long it took until it served again.
	AtSeconds   float64 `json:"at_seconds,omitempty"`
	DownSeconds float64 `json:"down_seconds,omitempty"`
	// Error says why the server did not start again; the run's processes
	// then fail it.
	Error string `json:"error,omitempty"`
}

// StartRestart schedules the restart of server under sup, after the given
// time from began (the seeding), until ctx ends.
func StartRestart(ctx context.Context, sup *bench.Supervisor, server *bench.Proc, stdout io.Writer, began time.Time,
	after time.Duration) *ServerRestart {
	r := &ServerRestart{after: after, sup: sup, server: server, stdout: stdout, done: make(chan struct{}),
		report: RestartFigures{AfterSeconds: after.Seconds()}}
	wait, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		t := time.NewTimer(time.Until(began.Add(after)))
		defer t.Stop()
		select {
		case <-wait.Done():
			return
		case <-t.C:
		}
		r.restart(ctx, began)
	}()
	return r
}

// restart kills the server and starts it again, within ctx.
func (r *ServerRestart) restart(ctx context.Context, began time.Time) {
	killed := time.Now()
	r.sup.Signal(r.server, syscall.SIGKILL, 0)
	fmt.Fprintf(r.stdout, "regbench: killed the Temporal server with SIGKILL; restarting it on the same file\n")
	err := r.sup.Start(ctx, r.server)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Done, r.report.AtSeconds = true, killed.Sub(began).Seconds()
	if err != nil {
		r.report.Error = err.Error()
		fmt.Fprintf(r.stdout, "regbench: the Temporal server did not start again: %v\n", err)
		return
	}
	r.report.DownSeconds = time.Since(killed).Seconds()
	fmt.Fprintf(r.stdout, "regbench: the Temporal server serves again after %.1f s\n", r.report.DownSeconds)
}

// Stop cancels the restart if it is not due yet, or waits until it ended,
// and returns what happened.
func (r *ServerRestart) Stop() RestartFigures {
	r.cancel()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.report
}
