package sweeper

import (
	"context"
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// Redrive re-drives recs, records as read from the store, at once and however
// long they have waited: an operator's re-drive of records known to be stuck.
// Each goes through what a sweep does with a stuck record it found: the
// conditional re-drive count (a record that moved on or that another sweeper
// re-drove since it was read is skipped), then the sends; past MaxRedrives it
// gives up with the record's failed event. With DryRun it writes and sends
// nothing and the report's Planned lists what it would do.
//
// It takes no lease: the conditional count already makes a concurrent sweep
// and this re-drive agree on who re-drives a record. The report counts the
// outcomes as a sweep's does; Stuck is the number of records in a waiting
// state, and Examined and ReadUnits are zero (nothing was searched), as is
// Mode.
//
// A record that is not in a waiting state is left alone: the error joins one
// error wrapping statemachine.ErrNotWaiting per such record. It returns the
// context's cause when ctx ended before every record was re-driven.
func (s *Sweeper) Redrive(ctx context.Context, recs []statemachine.Record) (rep Report, err error) {
	start := s.cfg.Now()
	rep = Report{DryRun: s.cfg.DryRun, Started: start.UTC()}
	defer func() { rep.Duration = s.cfg.Now().Sub(start) }()
	var errs []error
	queued := s.queues(ctx)
	for _, rec := range recs {
		if cause := context.Cause(ctx); cause != nil {
			return rep, cause
		}
		if !statemachine.IsWatched(rec.Kind, rec.State) {
			errs = append(errs, fmt.Errorf("redrive %s %s in %s: %w", rec.Kind, rec.ID, rec.State, statemachine.ErrNotWaiting))
			continue
		}
		rep.Stuck++
		s.redrive(ctx, rec, queued, &rep)
	}
	return rep, errors.Join(errs...)
}
