package sweeper

import (
	"context"
	"log/slog"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Downstream answers status look-ups; infra/tcr.Client satisfies it.
type Downstream interface {
	// Lookup asks the downstream what it decided about a record. It returns
	// an Observation with Found false when the downstream has no record of a
	// request, and an error when it could not be asked.
	Lookup(ctx context.Context, l statemachine.Lookup) (statemachine.Observation, error)
}

// Limiter spaces the calls to a downstream; infra/dynamo.Limiter satisfies
// it. Look-ups share the limit of the downstream's other calls.
type Limiter interface {
	Wait(ctx context.Context, key string) (time.Duration, error)
}

// Queues tells whether an outbound queue still holds messages (visible, in
// flight or delayed); infra/sqsq.Depths satisfies it.
type Queues interface {
	Busy(ctx context.Context, d statemachine.Destination) (bool, error)
}

// lookup asks the downstreams for ls, each after its rate limit. A look-up
// that fails is left out, with a warning: its part of the re-drive waits for
// the next sweep instead of re-sending blind.
func (s *Sweeper) lookup(ctx context.Context, log *slog.Logger, ls []statemachine.Lookup) []statemachine.Observation {
	if s.cfg.Downstream == nil {
		return nil
	}
	var obs []statemachine.Observation
	for _, l := range ls {
		if _, err := s.cfg.Limiter.Wait(ctx, string(l.To)); err != nil {
			log.Warn("look-up not made: rate limit", "to", l.To, "error", err)
			continue
		}
		o, err := s.cfg.Downstream.Lookup(ctx, l)
		if !s.cfg.DryRun {
			s.cfg.Observer.LookedUp(l.To, lookupOutcome(o, err))
		}
		if err != nil {
			log.Warn("look-up failed; the next sweep asks again", "to", l.To, "error", err)
			continue
		}
		obs = append(obs, o)
	}
	return obs
}

// Look-up outcomes for the Observer.
const (
	LookupFound    = "found"
	LookupNotFound = "not_found"
	LookupError    = "error"
)

func lookupOutcome(o statemachine.Observation, err error) string {
	switch {
	case err != nil:
		return LookupError
	case o.Found:
		return LookupFound
	}
	return LookupNotFound
}

// queueCache asks each outbound queue once per sweep whether it holds
// messages. A queue that cannot be asked counts as busy: a re-drive then
// waits rather than re-sending a command that may still be queued.
type queueCache struct {
	s    *Sweeper
	log  *slog.Logger
	busy map[statemachine.Destination]bool
}

func (s *Sweeper) queues(context.Context) *queueCache {
	return &queueCache{s: s, log: s.cfg.Logger, busy: map[statemachine.Destination]bool{}}
}

// get returns the busy state of the queues rec's look-ups name.
func (q *queueCache) get(ctx context.Context, rec statemachine.Record) map[statemachine.Destination]bool {
	out := map[statemachine.Destination]bool{}
	for _, l := range statemachine.Lookups(rec) {
		b, ok := q.busy[l.To]
		if !ok {
			b = true
			if q.s.cfg.Queues != nil {
				var err error
				if b, err = q.s.cfg.Queues.Busy(ctx, l.To); err != nil {
					q.log.Warn("queue depth unknown; treating it as busy", "queue", l.To, "error", err)
					b = true
				}
			}
			q.busy[l.To] = b
		}
		out[l.To] = b
	}
	return out
}
