package sweeper

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors of [Sweeper.SweepOnce] about the lease.
var (
	// ErrLeaseHeld: another sweeper holds the lease; this sweep did nothing.
	ErrLeaseHeld = errors.New("another sweeper holds the lease")
	// ErrLeaseLost: renewing the lease failed, so the sweep stopped early
	// rather than work beside the next holder.
	ErrLeaseLost = errors.New("sweeper lease lost")
)

// releaseTimeout bounds the release of the lease at the end of a sweep, which
// runs even when the sweep's context has ended.
const releaseTimeout = 10 * time.Second

// hold takes the lease and renews it every third of its duration until
// release is called. The context it returns ends, with a cause wrapping
// ErrLeaseLost, when a renewal fails: the sweep stops before the lease can
// expire under it. It returns an error wrapping ErrLeaseHeld when another
// sweeper holds the lease, and the lease's error when Acquire fails.
func (s *Sweeper) hold(ctx context.Context) (held context.Context, release func(), err error) {
	ok, err := s.cfg.Lease.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("acquire the sweeper lease: %w", err)
	}
	if !ok {
		return nil, nil, ErrLeaseHeld
	}
	held, stop := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		defer func() {
			if v := recover(); v != nil {
				stop(fmt.Errorf("%w: renewal panicked: %v", ErrLeaseLost, v))
			}
		}()
		s.renew(held, stop)
	}()
	release = func() {
		stop(nil)
		<-renewed
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := s.cfg.Lease.Release(rctx); err != nil {
			s.cfg.Logger.Warn("sweeper lease not released; it expires by itself", "error", err)
		}
	}
	return held, release, nil
}

// renew renews the lease every third of its duration until held ends; a
// failed renewal ends held with a cause wrapping ErrLeaseLost.
func (s *Sweeper) renew(held context.Context, stop context.CancelCauseFunc) {
	tick := time.NewTicker(s.cfg.Lease.Duration() / 3)
	defer tick.Stop()
	for {
		select {
		case <-held.Done():
			return
		case <-tick.C:
			if err := s.cfg.Lease.Renew(held); err != nil {
				if held.Err() == nil {
					stop(fmt.Errorf("%w: %w", ErrLeaseLost, err))
				}
				return
			}
		}
	}
}
