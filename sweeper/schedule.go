package sweeper

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tendlc/tendlc/message"
)

// Run sweeps on the configured schedule, in UTC, until ctx ends; then it
// stops the schedule and waits for a running sweep, which ctx also ends
// early, to release its lease. It returns nil: a failed sweep is logged and
// told to the Observer, and the next one runs as scheduled.
//
// A sweep that panics is recovered, logged as a *message.PanicError with its
// stack and told to the Observer as SweepError. A scheduled sweep that finds
// the previous one of this process still running is skipped.
func (s *Sweeper) Run(ctx context.Context) error {
	c := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{s.cfg.Logger}))
	c.Schedule(s.schedule, s.job(ctx))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// job is the scheduled sweep. Its overlap guard is a mutex released by a
// deferred call, so a panicking sweep cannot leave it held: robfig/cron
// v3.0.1's SkipIfStillRunning, wrapped in Recover, never gets its token back
// after a panic and skips the job forever.
func (s *Sweeper) job(ctx context.Context) cron.Job {
	var running sync.Mutex
	return cron.FuncJob(func() {
		if !running.TryLock() {
			s.cfg.Logger.Warn("scheduled sweep skipped: the previous one is still running")
			return
		}
		defer running.Unlock()
		defer func() {
			if v := recover(); v != nil {
				err := &message.PanicError{Value: v, Stack: debug.Stack()}
				s.cfg.Logger.Error("sweep panicked", "error", err, "stack", string(err.Stack))
				s.observe(Report{Mode: s.cfg.Mode}, err)
			}
		}()
		rep, err := s.SweepOnce(ctx)
		switch {
		case err == nil:
			s.cfg.Logger.Info("sweep done", rep.logAttrs()...)
		case errors.Is(err, ErrLeaseHeld):
			s.cfg.Logger.Info("sweep skipped: another sweeper is at work")
		case ctx.Err() != nil:
			s.cfg.Logger.Info("sweep stopped by shutdown", rep.logAttrs()...)
		default:
			s.cfg.Logger.Error("sweep failed", append(rep.logAttrs(), slog.Any("error", err))...)
		}
	})
}

// cronLogger writes robfig/cron's log lines to slog: its chatty Info lines
// (every wake-up) at debug level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append([]any{"error", err}, keysAndValues...)...)
}
