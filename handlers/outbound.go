package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Downstream performs one command against the registry, a carrier or number
// registration; infra/tcr.Client satisfies it. A refusal is an error with an
// HTTPStatusCode method; see [Outbound.Handle].
type Downstream interface {
	Do(ctx context.Context, cmd statemachine.Envelope) (externalID string, err error)
}

// Limiter spaces the calls to a downstream; infra/dynamo.Limiter satisfies
// it with a limit shared by every replica.
type Limiter interface {
	// Wait blocks until the caller may send one request to key.
	Wait(ctx context.Context, key string) (time.Duration, error)
	// Backoff delays every caller of key by at least d.
	Backoff(ctx context.Context, key string, d time.Duration) error
}

// CommandLedger is the records' side of the commands: which command a
// record waits on from each downstream, and what became of it;
// infra/dynamo.Store satisfies it. The sweeper reads the marks to tell a
// command still in its queue from one the downstream lost.
type CommandLedger interface {
	// Get returns the record, or an error wrapping statemachine.ErrNotFound.
	Get(ctx context.Context, kind statemachine.Kind, id string) (*statemachine.Record, error)
	// MarkAccepted records that the downstream accepted the command (for the
	// commands whose acceptance changes no state) and restarts the record's
	// wait, so that it is measured from the acceptance.
	MarkAccepted(ctx context.Context, kind statemachine.Kind, id string, to statemachine.Destination, eventID string, at time.Time) error
	// MarkAttempted records that a call with the command failed: it left its
	// queue, to be retried or dead-lettered.
	MarkAttempted(ctx context.Context, kind statemachine.Kind, id string, to statemachine.Destination, eventID string, at time.Time) error
}

// OutboundObserver is told about every downstream call, for metrics.
type OutboundObserver interface {
	Called(downstream string, outcome string, d time.Duration)
	Waited(downstream string, d time.Duration)
}

// Outcomes of a downstream call as an OutboundObserver sees them: the HTTP
// status class (see [message.ClassifyStatus]) or "error" for a transport failure.
const (
	OutcomeOK      = "ok"
	OutcomeRefused = "refused" // 400 or 422 with a reason code: the command is refused, for good
	// OutcomeClientError is any other 4xx (401, 403, 404, 409, a 400
	// without a reason code): the caller's credentials, permissions or
	// configuration are wrong, which an operator fixes; retried, and
	// alerted on.
	OutcomeClientError = "4xx"
	OutcomeLimited     = "429"
	OutcomeTimeout     = "408"
	OutcomeFailed      = "5xx" // a 5xx, or a status no downstream should answer (1xx, 3xx)
	OutcomeError       = "error"
	// OutcomeSuperseded: no call was made; the record sent a newer command
	// to this downstream since (a re-drive under a new key), and this copy
	// (a retry, a duplicate delivery) would register it a second time.
	OutcomeSuperseded = "superseded"
)

// OutboundConfig configures an Outbound handler.
type OutboundConfig struct {
	Name       string     // the downstream: registry, att, tmobile, verizon or numbers; the limiter key
	Downstream Downstream // required
	Limiter    Limiter    // required
	Events     Sender     // required: where answer events go
	// Ledger fences off superseded commands and learns of the acceptances
	// that change no state (a carrier took a campaign for review) and of
	// the calls that failed; optional.
	Ledger   CommandLedger
	Now      func() time.Time
	Observer OutboundObserver
	Logger   *slog.Logger
}

// Outbound drains one downstream's outbound queue: it waits for the shared
// rate limit, calls the downstream with the command's event id as the
// idempotency key, and turns the synchronous answer into an event on the
// events queue.
type Outbound struct {
	cfg OutboundConfig
}

// NewOutbound returns an Outbound handler, or the configuration problems joined.
func NewOutbound(cfg OutboundConfig) (*Outbound, error) {
	var errs []error
	if cfg.Name == "" {
		errs = append(errs, errors.New("outbound: Name is required"))
	}
	if cfg.Downstream == nil || cfg.Limiter == nil || cfg.Events == nil {
		errs = append(errs, errors.New("outbound: Downstream, Limiter and Events are required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopOutboundObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbound{cfg: cfg}, nil
}

// Handle performs one command. It returns nil once the answer is recorded (an
// accepted call, or a refusal: a 400 or 422 with a reason code), the
// downstream's error for any other answer or a transport failure (the retry
// middleware tries again; a 429 first pushes the shared schedule back by its
// Retry-After), or an envelope error. See [message.ClassifyStatus].
func (o *Outbound) Handle(ctx context.Context, m *message.Message) error {
	cmd, err := DecodeMessage(m)
	if err != nil {
		return err
	}
	if cmd.Type.Kind() != "" {
		return fmt.Errorf("%w: event %s on the %s queue", statemachine.ErrUnknownEvent, cmd.Type, o.cfg.Name)
	}
	log := message.LoggerFrom(ctx, o.cfg.Logger)
	if superseded, err := o.superseded(ctx, cmd); err != nil {
		return err
	} else if superseded {
		o.cfg.Observer.Called(o.cfg.Name, OutcomeSuperseded, 0)
		log.Info("command superseded by a newer one to the same downstream: not sent")
		return nil
	}
	waited, err := o.cfg.Limiter.Wait(ctx, o.cfg.Name)
	if err != nil {
		return fmt.Errorf("wait for the %s rate limit: %w", o.cfg.Name, err)
	}
	o.cfg.Observer.Waited(o.cfg.Name, waited)

	start := o.cfg.Now()
	ext, err := o.cfg.Downstream.Do(ctx, cmd)
	elapsed := o.cfg.Now().Sub(start)
	actor := "dispatcher:" + o.cfg.Name
	if err == nil {
		o.cfg.Observer.Called(o.cfg.Name, OutcomeOK, elapsed)
		if ev, ok := statemachine.Accepted(cmd, ext, actor, o.cfg.Now()); ok {
			return o.answer(ctx, ev)
		}
		o.mark(ctx, cmd, CommandLedger.MarkAccepted)
		return nil
	}
	st, ok := message.StatusOf(err)
	if !ok {
		o.cfg.Observer.Called(o.cfg.Name, OutcomeError, elapsed)
		o.mark(ctx, cmd, CommandLedger.MarkAttempted)
		return fmt.Errorf("%s %s: %w", o.cfg.Name, cmd.Type, err)
	}
	switch st.Class {
	case message.StatusRefused:
		o.cfg.Observer.Called(o.cfg.Name, OutcomeRefused, elapsed)
		log.Info("downstream refused the command", "status", st.Code, "code", st.Reason)
		if ev, ok := statemachine.Refused(cmd, st.Reason, shorten(err.Error(), 256), actor, o.cfg.Now()); ok {
			return o.answer(ctx, ev)
		}
		return nil
	case message.StatusLimited:
		o.cfg.Observer.Called(o.cfg.Name, OutcomeLimited, elapsed)
		var ra message.RetryDelayer
		if errors.As(err, &ra) && ra.RetryDelay() > 0 {
			if berr := o.cfg.Limiter.Backoff(ctx, o.cfg.Name, ra.RetryDelay()); berr != nil {
				log.Warn("could not push the rate limit back", "error", berr)
			}
		}
	case message.StatusClient:
		// The retry middleware logs it; the outcome is alerted on.
		o.cfg.Observer.Called(o.cfg.Name, OutcomeClientError, elapsed)
	case message.StatusTimeout:
		o.cfg.Observer.Called(o.cfg.Name, OutcomeTimeout, elapsed)
	default:
		o.cfg.Observer.Called(o.cfg.Name, OutcomeFailed, elapsed)
	}
	o.mark(ctx, cmd, CommandLedger.MarkAttempted)
	return fmt.Errorf("%s %s: %w", o.cfg.Name, cmd.Type, err)
}

func (o *Outbound) answer(ctx context.Context, ev statemachine.Envelope) error {
	if err := o.cfg.Events.Send(ctx, []statemachine.Outgoing{{To: statemachine.ToEvents, Envelope: ev}}); err != nil {
		return fmt.Errorf("send the answer %s: %w", ev.Type, err)
	}
	return nil
}

// superseded reports whether the record of cmd has sent a newer command to
// this downstream since cmd was made: a re-drive that found the downstream
// had lost the command sent it again under a new key, and this copy of the
// old one (a retry, a duplicate delivery, a re-drive's repeat) would register
// the record a second time. A record read behind the newest write holds an
// older command, not a newer one, so it never fences off the current one.
// It returns the store's error for a read that failed (the message is
// retried), and false for a record that does not exist.
func (o *Outbound) superseded(ctx context.Context, cmd statemachine.Envelope) (bool, error) {
	kind := statemachine.CommandKind(cmd.Type)
	if o.cfg.Ledger == nil || kind == "" {
		return false, nil
	}
	rec, err := o.cfg.Ledger.Get(ctx, kind, cmd.EntityID)
	switch {
	case errors.Is(err, statemachine.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read the command's record %s %s: %w", kind, cmd.EntityID, err)
	}
	cur, ok := rec.Commands[statemachine.Destination(o.cfg.Name)]
	return ok && cur.EventID != cmd.EventID && cur.SentAt.After(cmd.OccurredAt), nil
}

// mark tells the record of cmd what became of it. A failure is only logged:
// the sweeper asks the downstream before it re-sends anything, and a command
// it believes still queued whose queue is empty is sent again.
func (o *Outbound) mark(ctx context.Context, cmd statemachine.Envelope, mark func(CommandLedger, context.Context, statemachine.Kind, string, statemachine.Destination, string, time.Time) error) {
	kind := statemachine.CommandKind(cmd.Type)
	if o.cfg.Ledger == nil || kind == "" {
		return
	}
	if err := mark(o.cfg.Ledger, ctx, kind, cmd.EntityID, statemachine.Destination(o.cfg.Name), cmd.EventID, o.cfg.Now()); err != nil {
		message.LoggerFrom(ctx, o.cfg.Logger).Warn("could not record what became of the command on its record", "error", err)
	}
}

type nopOutboundObserver struct{}

func (nopOutboundObserver) Called(string, string, time.Duration) {}
func (nopOutboundObserver) Waited(string, time.Duration)         {}

// shorten keeps at most n bytes of s, on a rune boundary: a downstream's
// words end up on records and audit items, which DynamoDB caps at 400 KB.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
