package sweeper

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Report is what one sweep found and did. In a dry run the counts say what
// the sweep would have done, and Planned lists it.
type Report struct {
	Mode     Mode          `json:"mode"`
	DryRun   bool          `json:"dry_run"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`

	// Examined counts the items DynamoDB read to find the stuck records, and
	// ReadUnits the read capacity that consumed (the re-drives' own reads and
	// writes are not included).
	Examined  int64   `json:"examined"`
	ReadUnits float64 `json:"read_units"`

	Stuck     int `json:"stuck"`     // records found waiting past their threshold
	Redriven  int `json:"redriven"`  // a command or follow-up re-sent: no downstream had it
	Recovered int `json:"recovered"` // answers a downstream had made, or an unsent outbox, sent
	Checked   int `json:"checked"`   // the downstream has the request and is still deciding
	Waiting   int `json:"waiting"`   // waits on records that are swept themselves
	Backlog   int `json:"backlog"`   // the command may still be queued: left alone, nothing counted
	Idle      int `json:"idle"`      // nothing to look up or send (counts toward the give-up)
	GaveUp    int `json:"gave_up"`   // failed events sent after the maximum of re-drives or checks
	Skipped   int `json:"skipped"`   // lost the race: moved on or re-driven by another sweeper
	// NewerFlow counts the records left alone because they started on a
	// newer flow than this replica runs, which decides them otherwise: a
	// replica on their flow re-drives them.
	NewerFlow int `json:"newer_flow"`
	Failed    int `json:"failed"` // a read, write or send failed; the next sweep finds the record again

	Planned []Planned `json:"planned,omitempty"` // dry run only
}

// Planned is what a dry run would do with one stuck record.
type Planned struct {
	Kind           statemachine.Kind           `json:"kind"`
	ID             string                      `json:"id"`
	State          statemachine.State          `json:"state"`
	StateEnteredAt time.Time                   `json:"state_entered_at"`
	WaitSince      time.Time                   `json:"wait_since"`
	Outcome        statemachine.RedriveOutcome `json:"outcome"`
	Redrives       int                         `json:"redrives"` // the counters once this re-drive is counted
	Checks         int                         `json:"checks"`
	Lookups        []statemachine.Observation  `json:"lookups,omitempty"` // what the downstreams answered
	Emit           []statemachine.Outgoing     `json:"emit,omitempty"`
}

// SweepOnce runs one sweep: it takes the lease (unless DryRun), finds the
// records waiting past their thresholds, oldest first, and re-drives each:
// first the conditional re-drive count (a record another sweeper re-drove, or
// that moved on, is skipped), then the sends. A record whose write or send
// fails is logged and counted in Report.Failed; the next sweep finds it again.
// The lease is renewed while the sweep runs and released at the end.
//
// It returns the report, also when it stops early, with an error wrapping
// ErrLeaseHeld when another sweeper holds the lease (nothing was read),
// ErrLeaseLost when a renewal failed (the sweep stopped early), the context's
// cause when ctx ended, or the store's errors when a search failed: in index
// mode, the records the other states' queries found are re-driven first.
func (s *Sweeper) SweepOnce(ctx context.Context) (Report, error) {
	rep, err := s.sweep(ctx)
	s.observe(rep, err)
	return rep, err
}

func (s *Sweeper) sweep(ctx context.Context) (rep Report, err error) {
	start := s.cfg.Now()
	rep = Report{Mode: s.cfg.Mode, DryRun: s.cfg.DryRun, Started: start.UTC()}
	defer func() { rep.Duration = s.cfg.Now().Sub(start) }()
	if !s.cfg.DryRun {
		held, release, err := s.hold(ctx)
		if err != nil {
			return rep, err
		}
		defer release()
		ctx = held
	}

	found, searchErr := s.find(ctx, start)
	rep.Examined, rep.ReadUnits, rep.Stuck = found.Examined, found.ReadUnits, len(found.Records)
	if cause := context.Cause(ctx); cause != nil {
		return rep, cause
	}
	queued := s.queues(ctx)
	for _, rec := range found.Records {
		if cause := context.Cause(ctx); cause != nil {
			return rep, cause
		}
		s.redrive(ctx, rec, queued, &rep)
	}
	return rep, searchErr
}

// find returns the records waiting past their thresholds at now, oldest
// first, and what finding them cost.
func (s *Sweeper) find(ctx context.Context, now time.Time) (_ statemachine.Stuck, searchErr error) {
	var qs []statemachine.StuckQuery
	for _, k := range statemachine.Kinds {
		for _, st := range statemachine.WatchedStates(k) {
			cutoff := now.Add(-s.threshold(StateKey{k, st}))
			qs = append(qs, statemachine.StuckQuery{Kind: k, State: st, Cutoff: cutoff})
		}
	}
	var found statemachine.Stuck
	if s.cfg.Mode == ModeScan {
		var err error
		if found, err = s.cfg.Store.ScanStuck(ctx, qs); err != nil {
			return found, fmt.Errorf("find stuck records: %w", err)
		}
	} else {
		// One state's query failing (a throttle, a 500) does not keep the
		// others' stuck records waiting for the next sweep.
		var errs []error
		for _, q := range qs {
			got, err := s.cfg.Store.QueryStuck(ctx, q)
			found.Examined += got.Examined
			found.ReadUnits += got.ReadUnits
			if err != nil {
				if ctx.Err() != nil {
					return found, fmt.Errorf("find stuck records: %w", err)
				}
				errs = append(errs, err)
				continue
			}
			found.Records = append(found.Records, got.Records...)
		}
		if err := errors.Join(errs...); err != nil {
			searchErr = fmt.Errorf("find stuck records: %w", err)
		}
	}
	slices.SortStableFunc(found.Records, func(a, b statemachine.Record) int {
		return cmp.Or(a.WaitSince.Compare(b.WaitSince), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return found, searchErr
}

// redrive reconciles one stuck record, plans its re-drive and carries it
// out: the conditional count (a record that moved on or that another sweeper
// re-drove is skipped), then the sends, then the clearing of a replayed
// outbox. A backlog writes and sends nothing.
func (s *Sweeper) redrive(ctx context.Context, rec statemachine.Record, queued *queueCache, rep *Report) {
	log := s.cfg.Logger.With("kind", rec.Kind, "record_id", rec.ID, "state", rec.State,
		"redrives", rec.Redrives, "checks", rec.Checks)
	if !s.cfg.Flow.Decides(rec) {
		log.Info("left alone: the record is on a newer flow than this replica's", "record_flow", rec.Flow.OrV1(), "flow", s.cfg.Flow.OrV1())
		rep.NewerFlow++
		return
	}
	now := s.cfg.Now().UTC()
	in := statemachine.Recovery{Busy: queued.get(ctx, rec)}
	var err error
	if in.Numbers, err = s.numbers(ctx, statemachine.RedriveNumbers(rec)); err != nil {
		log.Error("re-drive not planned", "error", err)
		rep.Failed++
		return
	}
	in.Observations = s.lookup(ctx, log, statemachine.Lookups(rec))
	plan, err := statemachine.Redrive(rec, in, s.limits(rec), now)
	if err != nil {
		log.Error("re-drive not planned", "error", err)
		rep.Failed++
		return
	}
	if s.cfg.DryRun {
		rep.Planned = append(rep.Planned, Planned{
			Kind: rec.Kind, ID: rec.ID, State: rec.State, StateEnteredAt: rec.StateEnteredAt, WaitSince: rec.WaitSince,
			Outcome: plan.Outcome, Redrives: plan.Redrives, Checks: plan.Checks, Lookups: in.Observations, Emit: plan.Emit,
		})
		countOutcome(rep, plan.Outcome)
		return
	}
	if !plan.Counts() {
		log.Debug("the command may still be queued: left alone")
		countOutcome(rep, plan.Outcome)
		return
	}
	if _, err := s.cfg.Store.RecordRedrive(ctx, rec, plan, now); err != nil {
		if errors.Is(err, statemachine.ErrConflict) {
			log.Debug("re-drive skipped: the record moved on or another sweeper re-drove it")
			rep.Skipped++
			return
		}
		log.Error("re-drive not counted", "error", err)
		rep.Failed++
		return
	}
	if len(plan.Emit) > 0 {
		if err := s.cfg.Sender.Send(ctx, plan.Emit); err != nil {
			// The count stays: counting first is what keeps two sweepers from
			// re-driving one record twice. So an SQS outage that outlasts the
			// maximum fails the record with 30901 like a downstream that never
			// answered; the give-up itself is a send, and waits.
			log.Warn("re-drive counted but not sent; the next sweep finds the record again", "error", err)
			rep.Failed++
			return
		}
	}
	for _, id := range plan.Replayed {
		if err := s.cfg.Store.ClearOutbox(ctx, rec.Kind, rec.ID, id); err != nil {
			log.Warn("outbox re-sent but the entry stays", "event_id", id, "error", err)
		}
	}
	countOutcome(rep, plan.Outcome)
	if plan.Outcome == statemachine.OutcomeGaveUp {
		s.cfg.Observer.GaveUp(rec.Kind, rec.State)
		log.Warn("gave up: failed with a timeout", "code", statemachine.CodeTimeout)
		return
	}
	s.cfg.Observer.Redriven(rec.Kind, rec.State, plan.Outcome)
	log.Info("re-driven", "outcome", plan.Outcome, "sent", len(plan.Emit))
}

// limits are the maximum counts of the configuration, and how long rec's
// command may wait in its queue: MaxChecks thresholds of its state.
func (s *Sweeper) limits(rec statemachine.Record) statemachine.Limits {
	return statemachine.Limits{MaxRedrives: s.cfg.MaxRedrives, MaxChecks: s.cfg.MaxChecks,
		MaxBacklog: time.Duration(s.cfg.MaxChecks) * s.threshold(StateKey{rec.Kind, rec.State})}
}

func countOutcome(rep *Report, o statemachine.RedriveOutcome) {
	switch o {
	case statemachine.OutcomeGaveUp:
		rep.GaveUp++
	case statemachine.OutcomeResent:
		rep.Redriven++
	case statemachine.OutcomeRecovered:
		rep.Recovered++
	case statemachine.OutcomeChecked:
		rep.Checked++
	case statemachine.OutcomeWaiting:
		rep.Waiting++
	case statemachine.OutcomeBacklog:
		rep.Backlog++
	case statemachine.OutcomeIdle:
		rep.Idle++
	}
}

// numbers reads the number records a re-drive needs, by number; an absent
// record is left out.
func (s *Sweeper) numbers(ctx context.Context, ids []string) (map[string]*statemachine.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	recs := make(map[string]*statemachine.Record, len(ids))
	for _, id := range ids {
		r, err := s.cfg.Store.Get(ctx, statemachine.KindNumber, id)
		switch {
		case errors.Is(err, statemachine.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("load number %s: %w", id, err)
		default:
			recs[id] = r
		}
	}
	return recs, nil
}

// logAttrs are a report's fields for a log line.
func (r Report) logAttrs() []any {
	return []any{
		slog.String("mode", string(r.Mode)), slog.Bool("dry_run", r.DryRun),
		slog.Int64("examined", r.Examined), slog.Float64("read_units", r.ReadUnits),
		slog.Int("stuck", r.Stuck), slog.Int("redriven", r.Redriven), slog.Int("recovered", r.Recovered),
		slog.Int("checked", r.Checked), slog.Int("waiting", r.Waiting), slog.Int("backlog", r.Backlog),
		slog.Int("idle", r.Idle), slog.Int("gave_up", r.GaveUp), slog.Int("skipped", r.Skipped), slog.Int("newer_flow", r.NewerFlow),
		slog.Int("failed", r.Failed),
		slog.Duration("duration", r.Duration),
	}
}
