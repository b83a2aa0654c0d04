package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Store is the record store the dispatcher needs; infra/dynamo.Store
// satisfies it.
type Store interface {
	// Get returns the record, or an error wrapping statemachine.ErrNotFound.
	Get(ctx context.Context, kind statemachine.Kind, id string) (*statemachine.Record, error)
	// Transition writes next and its audit entry if the stored record is still
	// in prev's state and version (nil: absent), or returns a
	// *statemachine.ConflictError. It may write only what differs between
	// prev and next, so that what writers that make no new version
	// (ClearOutbox, the outbound side's marks) changed since prev was read
	// stays.
	Transition(ctx context.Context, prev *statemachine.Record, next statemachine.Record, audit statemachine.AuditEntry) (statemachine.Record, error)
	// Note writes a note decided on prev and its audit entry, leaving the
	// version as it is, while the note holds on the stored record
	// (statemachine.Note.Holds), or returns a *statemachine.ConflictError.
	Note(ctx context.Context, prev statemachine.Record, n statemachine.Note, audit statemachine.AuditEntry) error
	// ClearOutbox forgets the messages an event emitted, once they are sent.
	ClearOutbox(ctx context.Context, kind statemachine.Kind, id, eventID string) error
	// Children lists the records whose parent is the given record.
	Children(ctx context.Context, parentKind statemachine.Kind, parentID string) ([]statemachine.Record, error)
}

// Sender sends messages to their destinations; infra/sqsq.Publisher
// satisfies it.
type Sender interface {
	Send(ctx context.Context, out []statemachine.Outgoing) error
}

// Observer is told what the dispatcher decided, for metrics. Its methods must
// be cheap and safe for concurrent use.
type Observer interface {
	Transitioned(kind statemachine.Kind, event statemachine.EventType, from, to statemachine.State)
	Disposed(kind statemachine.Kind, event statemachine.EventType, d statemachine.Disposition, reason string)
	Conflicted(kind statemachine.Kind)
	Replayed(kind statemachine.Kind)
}

// DispatcherConfig configures a Dispatcher. Zero values mean the documented
// defaults.
type DispatcherConfig struct {
	Store  Store  // required
	Sender Sender // required
	// Flow is the flow this replica runs: new records start on it, and a
	// record or event of a newer flow is deferred (statemachine.Decide).
	// Zero: statemachine.FlowV1.
	Flow statemachine.Flow
	// Delegate are the steps this replica hands to a Temporal workflow
	// (statemachine.Facts.Delegate).
	Delegate []statemachine.Step
	// NoNotes writes every transition with a new version, notes included
	// (statemachine.Note): for the first step of an upgrade from a release
	// that wrote the carriers and numbers maps whole, which would undo the
	// notes of replicas already upgraded.
	NoNotes bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxConflicts is how often a message re-reads and re-decides after a
	// concurrent write before it gives up with the conflict error, leaving
	// the retry policy to try later (default 8).
	MaxConflicts int
	Observer     Observer     // default: none
	Logger       *slog.Logger // default: discard
}

// Dispatcher applies events from the events queue to records.
type Dispatcher struct {
	cfg   DispatcherConfig
	locks recordLocks
}

// NewDispatcher returns a dispatcher, or the configuration problems joined.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("dispatcher: Store is required"))
	}
	if cfg.Sender == nil {
		errs = append(errs, errors.New("dispatcher: Sender is required"))
	}
	if cfg.MaxConflicts < 0 {
		errs = append(errs, fmt.Errorf("dispatcher: MaxConflicts %d is negative", cfg.MaxConflicts))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxConflicts == 0 {
		cfg.MaxConflicts = 8
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, locks: recordLocks{m: map[string]*recordLock{}}}, nil
}

// Handle is the Handler of the events queue: decode, read the record (a
// consistent read), decide with a fresh state machine, write the transition
// with its audit entry, send the follow-ups, acknowledge.
//
// It returns nil when the event was applied or ignored; a *DeferredError, a
// *RejectedError, an envelope error (statemachine.ErrMalformed and friends)
// or a *statemachine.ConflictError for the retry middleware to act on; or a
// store or send error.
func (d *Dispatcher) Handle(ctx context.Context, m *message.Message) error {
	env, err := DecodeMessage(m)
	if err != nil {
		return err
	}
	kind := env.Type.Kind()
	if kind == "" {
		return fmt.Errorf("%w: command %s on the events queue", statemachine.ErrUnknownEvent, env.Type)
	}
	out, replay, err := d.apply(ctx, kind, env)
	if err != nil || len(out) == 0 {
		return err
	}
	if err := d.sendAndClear(ctx, kind, env, out); err != nil {
		return err
	}
	if replay {
		// Counted once sent and the message deleted: a replay whose send
		// fails is tried again.
		message.OnSettled(ctx, func() { d.cfg.Observer.Replayed(kind) })
	}
	return nil
}

// apply reads the record, decides and writes the transition, re-reading
// after a conflict, while this process handles no other message of the
// record. It returns the messages to send: the transition's follow-ups, or
// (replay) those of an event applied before whose outbox entry remains.
func (d *Dispatcher) apply(ctx context.Context, kind statemachine.Kind, env statemachine.Envelope) (out []statemachine.Outgoing, replay bool, err error) {
	unlock, err := d.locks.lock(ctx, string(kind)+"#"+env.EntityID)
	if err != nil {
		return nil, false, err
	}
	defer unlock() // a panic too: the next message of the record must not wait forever
	log := message.LoggerFrom(ctx, d.cfg.Logger)
	named := false
	var conflict error
	for try := 0; try <= d.cfg.MaxConflicts; try++ {
		if try > 0 {
			if err := pause(ctx, try); err != nil {
				return nil, false, err
			}
		}
		rec, err := d.cfg.Store.Get(ctx, kind, env.EntityID)
		switch {
		case errors.Is(err, statemachine.ErrNotFound):
			rec = nil
		case err != nil:
			return nil, false, fmt.Errorf("load %s %s: %w", kind, env.EntityID, err)
		}
		if rec != nil && rec.CorrelationID != env.CorrelationID && !named {
			// Webhook events carry no correlation id of their own: name the
			// registration's on the lines about them.
			log, named = log.With("record_correlation_id", rec.CorrelationID), true
		}
		if rec != nil {
			if out, ok := rec.Outbox[env.EventID]; ok {
				// Applied before, but its messages may not have gone out:
				// the process died between the write and the sends.
				log.Info("re-sending the follow-ups of an applied event", "count", len(out))
				return out, true, nil
			}
		}
		facts, err := d.facts(ctx, rec, env)
		if err != nil {
			return nil, false, err
		}
		dec, err := statemachine.Decide(rec, env, facts, d.cfg.Now().UTC())
		if err != nil {
			return nil, false, err
		}
		if dec.Disposition != statemachine.Transition {
			// Counted once the message is deleted: a deferred or rejected
			// one after the retry middleware sent its copy or dead letter.
			message.OnSettled(ctx, func() { d.cfg.Observer.Disposed(kind, env.Type, dec.Disposition, dec.Reason) })
		}
		switch dec.Disposition {
		case statemachine.Ignore:
			if len(dec.Differs) > 0 {
				log.Warn("registration repeated with another payload: ignored, the record keeps the first",
					"reason", dec.Reason, "state", dec.From, "differs", dec.Differs)
				return nil, false, nil
			}
			log.Debug("event ignored", "reason", dec.Reason, "state", dec.From)
			return nil, false, nil
		case statemachine.Defer:
			if dec.NewerFlow {
				// A replica on the newer flow decides it; the retry policy
				// defers it on the version mix's own budget.
				return nil, false, &message.DeferredError{Reason: dec.Reason, Err: statemachine.ErrNewerFlow}
			}
			return nil, false, &message.DeferredError{Reason: dec.Reason}
		case statemachine.Reject:
			return nil, false, &message.RejectedError{Reason: dec.Reason, Code: dec.Code, Detail: dec.Detail}
		}
		if err := d.write(ctx, rec, dec); err != nil {
			if errors.Is(err, statemachine.ErrConflict) {
				d.cfg.Observer.Conflicted(kind)
				log.Debug("version conflict: reading the record again", "try", try+1, "state", dec.From)
				conflict = err
				continue
			}
			return nil, false, fmt.Errorf("write %s %s: %w", kind, env.EntityID, err)
		}
		d.cfg.Observer.Transitioned(kind, env.Type, dec.From, dec.To)
		log.Info("transition", "from", dec.From, "to", dec.To, "fsm_event", dec.FSMEvent, "emitted", len(dec.Emit), "note", dec.Note != nil)
		return dec.Emit, false, nil
	}
	return nil, false, conflict
}

// write writes a transition decided on rec: as a note where the decision
// allows one (answers to one record from two replicas then both go in
// without a conflict), otherwise as a new version.
func (d *Dispatcher) write(ctx context.Context, rec *statemachine.Record, dec statemachine.Decision) error {
	if dec.Note != nil && rec != nil && !d.cfg.NoNotes {
		return d.cfg.Store.Note(ctx, *rec, *dec.Note, dec.Audit)
	}
	_, err := d.cfg.Store.Transition(ctx, rec, dec.Next, dec.Audit)
	return err
}

// facts loads what the decision needs beyond the record.
func (d *Dispatcher) facts(ctx context.Context, rec *statemachine.Record, env statemachine.Envelope) (statemachine.Facts, error) {
	f := statemachine.Facts{Flow: d.cfg.Flow, Delegate: d.cfg.Delegate}
	if statemachine.NeedsBrand(env.Type) && rec != nil {
		b, err := d.cfg.Store.Get(ctx, statemachine.KindBrand, rec.ParentID)
		switch {
		case errors.Is(err, statemachine.ErrNotFound):
		case err != nil:
			return f, fmt.Errorf("load brand %s: %w", rec.ParentID, err)
		default:
			f.Brand = b
		}
	}
	if statemachine.NeedsChildren(env.Type) && rec != nil {
		// One query through the eventually consistent children index. A
		// campaign it misses, written a moment before, is not woken by the
		// brand's move: its own deferred campaign.submit still submits it,
		// after its backoff.
		children, err := d.cfg.Store.Children(ctx, env.Type.Kind(), env.EntityID)
		if err != nil {
			return f, fmt.Errorf("list children of %s: %w", env.EntityID, err)
		}
		for _, c := range children {
			if statemachine.IsLive(c.State) {
				f.LiveChildren++
			}
			if c.Kind == statemachine.KindCampaign && c.State == statemachine.Pending {
				f.PendingCampaigns = append(f.PendingCampaigns, c.ID)
			}
		}
	}
	return f, nil
}

// sendAndClear sends an event's follow-ups, then forgets them. A failed send
// returns the error so the message is redelivered and re-sends; a failed clear
// is only logged: the messages went out, and a later duplicate of the event
// would merely send them again.
func (d *Dispatcher) sendAndClear(ctx context.Context, kind statemachine.Kind, env statemachine.Envelope, out []statemachine.Outgoing) error {
	if err := d.cfg.Sender.Send(ctx, out); err != nil {
		return fmt.Errorf("send follow-ups of %s: %w", env.EventID, err)
	}
	if err := d.cfg.Store.ClearOutbox(ctx, kind, env.EntityID, env.EventID); err != nil {
		message.LoggerFrom(ctx, d.cfg.Logger).Warn("follow-ups sent but the outbox entry stays", "error", err)
	}
	return nil
}

// pause waits a short random time that grows with the try, so that writers
// racing on one record spread out.
func pause(ctx context.Context, try int) error {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(try) * int64(5*time.Millisecond))))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type nopObserver struct{}

func (nopObserver) Transitioned(statemachine.Kind, statemachine.EventType, statemachine.State, statemachine.State) {
}
func (nopObserver) Disposed(statemachine.Kind, statemachine.EventType, statemachine.Disposition, string) {
}
func (nopObserver) Conflicted(statemachine.Kind) {}
func (nopObserver) Replayed(statemachine.Kind)   {}
