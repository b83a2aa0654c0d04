package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Observer is told about every decision, for metrics. Queue is the logical
// queue name (message.Message.Queue). Its methods must be safe for concurrent
// use and must not block.
type Observer interface {
	Retried(queue string, class Class) // a copy was sent for another attempt
	Deferred(queue string)             // a copy was sent for a deferred event
	FlowDeferred(queue string)         // a copy was sent for an event deferred for a newer flow (not counted by Deferred)
	DeadLettered(queue, reason string) // reason: ReasonExhausted, ReasonUnsupportedVersion, ReasonUnsupportedFlow or a permanent class
}

// Config configures a [Retrier]. Zero values mean the documented defaults.
type Config struct {
	// Requeuer sends the retry copies and the hops. Required; infra/sqsq's
	// Copier is the SQS one.
	Requeuer Requeuer
	// DeadLetterer sends the dead letters. Required; infra/sqsq's Copier is
	// the SQS one. A queue without a dead-letter queue leaves the message for
	// redelivery, and the queue's RedrivePolicy moves it eventually.
	DeadLetterer DeadLetterer
	// Classify classifies the errors of the transports and stores below the
	// handler that [Classify] does not know by type. Required:
	// infra/sqsq.ClassifyAWS for the AWS SDK's, without which a throttle
	// (HTTP 400 with a throttling code) would count as a client error, on a
	// small budget, instead of a throttle.
	Classify Classifier
	// Policies is the policy table; zero means DefaultPolicies(). A table with
	// a zero Default (or Client) gets DefaultPolicies().Default (or Client).
	Policies Policies
	// Rand draws the jitter; nil means math/rand/v2's global source. It need
	// not be safe for concurrent use: the Retrier serialises its calls.
	Rand Rand
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger logs each decision once; nil discards.
	Logger *slog.Logger
	// Observer counts decisions; nil counts nothing.
	Observer Observer
}

// Retrier decides what happens to a message whose handler failed: a delayed
// copy on the same queue, or a dead letter. It is safe for concurrent use.
type Retrier struct {
	requeuer     Requeuer
	deadLetterer DeadLetterer
	classify     Classifier
	policies     Policies
	rand         *lockedRand
	now          func() time.Time
	log          *slog.Logger
	obs          Observer
}

// New returns a Retrier. It returns every configuration problem at once,
// joined: a missing Requeuer or DeadLetterer, an invalid policy.
func New(cfg Config) (*Retrier, error) {
	switch {
	case cfg.Policies.Default == (Policy{}) && cfg.Policies.ByEvent == nil:
		cfg.Policies = DefaultPolicies()
	case cfg.Policies.Default == (Policy{}):
		cfg.Policies.Default = DefaultPolicies().Default
	}
	if cfg.Policies.Client == (Policy{}) {
		cfg.Policies.Client = DefaultPolicies().Client
	}
	if cfg.Policies.NewerFlow == (Policy{}) {
		cfg.Policies.NewerFlow = DefaultPolicies().NewerFlow
	}
	if cfg.Rand == nil {
		cfg.Rand = globalRand{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	var errs []error
	if cfg.Requeuer == nil {
		errs = append(errs, errors.New("retry: Requeuer is required"))
	}
	if cfg.DeadLetterer == nil {
		errs = append(errs, errors.New("retry: DeadLetterer is required"))
	}
	if cfg.Classify == nil {
		errs = append(errs, errors.New("retry: Classify is required (infra/sqsq.ClassifyAWS for the AWS SDK)"))
	}
	if err := cfg.Policies.validate(); err != nil {
		errs = append(errs, fmt.Errorf("retry: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Retrier{
		requeuer:     cfg.Requeuer,
		deadLetterer: cfg.DeadLetterer,
		classify:     cfg.Classify,
		policies:     cfg.Policies,
		rand:         &lockedRand{r: cfg.Rand},
		now:          cfg.Now,
		log:          cfg.Logger,
		obs:          cfg.Observer,
	}, nil
}

// Middleware returns the retry middleware. For each message it:
//   - dead-letters it (reason bad_attributes) if its retry attribute is
//     unreadable;
//   - re-sends it with the remaining delay, without running the handler or
//     counting an attempt, if it is hopping through a long delay and arrived
//     early;
//   - otherwise runs the handler, and on failure classifies the error:
//     permanent classes are dead-lettered; retryable ones get a copy with the
//     next attempt (or deferral) and the policy's delay, or are dead-lettered
//     as exhausted when the policy is used up.
//
// A copy or dead letter is sent before the middleware returns nil, so that the
// runtime deletes the original only once it is safe: a crash in between
// duplicates the message rather than losing it. If the send fails, the
// middleware returns an error and the original stays for redelivery. If the
// context is done when the handler fails (shutdown), the error is returned
// undecided and the message is redelivered later.
func (r *Retrier) Middleware() message.Middleware {
	return func(next message.Handler) message.Handler {
		return func(ctx context.Context, m *message.Message) error {
			return r.handle(ctx, m, next)
		}
	}
}

// decision is what happens to a failed message, and why.
type decision struct {
	m     *message.Message
	log   *slog.Logger
	now   time.Time // when the decision is made
	attrs Attrs     // the state the message arrived with
	class Class
	err   error
	// newerFlow: a deferral for statemachine.ErrNewerFlow, on the
	// NewerFlow policy.
	newerFlow bool
}

func (r *Retrier) handle(ctx context.Context, m *message.Message, next message.Handler) error {
	eventType := statemachine.EventType(m.Attributes[statemachine.AttrEventType])
	// The per-message logger of the Logging middleware carries the ids
	// already; without it, name the message here.
	log := message.LoggerFrom(ctx, r.log.With("message_id", m.ID, "queue", m.Queue, "event_type", eventType))
	now := r.now()

	a, err := DecodeAttrs(m.Attributes, m.SentAt)
	if err == nil && a.NotBefore.Sub(now) > MaxBackoff {
		err = &AttributeError{Attribute: AttrRetry, Field: fieldNotBefore, Value: millisText(a.NotBefore),
			Err: fmt.Errorf("more than %v ahead", MaxBackoff)}
	}
	if err != nil {
		own := map[string]string{AttrRetry: m.Attributes[AttrRetry]} // keep the unreadable value for the operator
		return r.sendDeadLetter(message.SetLogger(ctx, log), decision{m: m, log: log, now: now, class: ClassBadAttributes, err: err}, string(ClassBadAttributes), own)
	}
	// The attempt, decoded here once, reaches every line logged about the
	// message below: the handler's, the copy's, the decision's.
	log = log.With("attempt", a.Attempt)
	ctx = message.SetLogger(ctx, log)

	if wait := a.NotBefore.Sub(now); wait > 0 {
		return r.hop(ctx, m, log, a, wait)
	}

	err = next(ctx, m)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	d := decision{m: m, log: log, now: r.now(), attrs: a, class: Classify(err, r.classify), err: err}
	d.newerFlow = d.class == ClassDeferred && errors.Is(err, statemachine.ErrNewerFlow)
	if pe, ok := errors.AsType[*message.PanicError](err); ok {
		d.log = log.With("stack", string(pe.Stack))
	}
	pol := r.policies.For(eventType)
	switch {
	case d.class.Permanent():
		return r.deadLetterAs(ctx, d, string(d.class))
	case d.newerFlow && a.FlowDeferrals >= r.policies.NewerFlow.MaxDeferrals:
		return r.deadLetterAs(ctx, d, ReasonUnsupportedFlow)
	case d.newerFlow:
		n := a
		n.FlowDeferrals++
		nf := r.policies.NewerFlow
		return r.retry(ctx, d, n, r.rand.backoff(nf.DeferBase, nf.DeferCap, n.FlowDeferrals))
	case d.class == ClassDeferred && a.Deferrals >= pol.MaxDeferrals && errors.Is(err, statemachine.ErrNewer):
		return r.deadLetterAs(ctx, d, ReasonUnsupportedVersion)
	case d.class == ClassDeferred && a.Deferrals >= pol.MaxDeferrals:
		return r.deadLetterAs(ctx, d, ReasonExhausted)
	case d.class == ClassDeferred:
		n := a
		n.Deferrals++
		return r.retry(ctx, d, n, r.rand.backoff(pol.DeferBase, pol.DeferCap, n.Deferrals))
	case d.class == ClassHTTPClient && a.ClientFailures+1 >= r.policies.Client.MaxAttempts:
		return r.deadLetterAs(ctx, d, ReasonExhausted)
	case d.class == ClassHTTPClient:
		n := a
		n.ClientFailures++
		c := r.policies.Client
		return r.retry(ctx, d, n, r.rand.backoff(c.Base, c.Cap, n.ClientFailures))
	case a.Attempt >= pol.MaxAttempts:
		return r.deadLetterAs(ctx, d, ReasonExhausted)
	default:
		n := a
		n.Attempt++
		delay := r.rand.backoff(pol.Base, pol.Cap, a.Attempt)
		// A downstream that said when to come back (a 429's Retry-After) is
		// not asked sooner, up to the policy's cap: no answer parks a
		// command longer than its policy allows.
		var rd message.RetryDelayer
		if errors.As(err, &rd) {
			delay = max(delay, min(rd.RetryDelay(), pol.Cap))
		}
		return r.retry(ctx, d, n, delay)
	}
}

// hop re-sends a message that arrived before its not_before time, with the
// remaining delay (at most MaxHop) and its retry state unchanged.
func (r *Retrier) hop(ctx context.Context, m *message.Message, log *slog.Logger, a Attrs, wait time.Duration) error {
	own := map[string]string{}
	if err := a.Encode(own); err != nil {
		return fmt.Errorf("hop: %w", err)
	}
	delay := min(wait, MaxHop)
	if err := r.requeuer.Requeue(ctx, m, own, delay); err != nil {
		return fmt.Errorf("hop: %w", err)
	}
	log.Debug("delay hop", "not_before", a.NotBefore, "delay", delay)
	return nil
}

// retry sends a copy with the next retry state n after delay. A delay over
// MaxHop sends the copy with MaxHop and sets not_before, so that the copy
// hops until then.
func (r *Retrier) retry(ctx context.Context, d decision, n Attrs, delay time.Duration) error {
	n.LastError = d.class
	n.NotBefore = time.Time{}
	if delay > MaxHop {
		n.NotBefore = d.now.Add(delay)
	}
	own := map[string]string{}
	if err := n.Encode(own); err != nil {
		return fmt.Errorf("retry %s: %w (handler: %w)", d.class, err, d.err)
	}
	if err := r.requeuer.Requeue(ctx, d.m, own, min(delay, MaxHop)); err != nil {
		return fmt.Errorf("retry %s: %w (handler: %w)", d.class, err, d.err)
	}
	switch {
	case d.newerFlow:
		d.log.Info("deferred for a newer flow", "class", d.class, "flow_deferrals", n.FlowDeferrals, "delay", delay, "error", d.err)
		r.obs.FlowDeferred(d.m.Queue)
	case d.class == ClassDeferred:
		d.log.Info("deferred", "class", d.class, "deferrals", n.Deferrals, "delay", delay, "error", d.err)
		r.obs.Deferred(d.m.Queue)
	default:
		d.log.Info("retry scheduled", "class", d.class, "next_attempt", n.Attempt, "delay", delay, "error", d.err)
		r.obs.Retried(d.m.Queue, d.class)
	}
	return nil
}

// deadLetterAs dead-letters a message whose retry state is known: the copy
// keeps it, with the final class and without a pending not_before.
func (r *Retrier) deadLetterAs(ctx context.Context, d decision, reason string) error {
	n := d.attrs
	n.LastError = d.class
	n.NotBefore = time.Time{}
	own := map[string]string{}
	if err := n.Encode(own); err != nil {
		return fmt.Errorf("dead-letter %s: %w (handler: %w)", reason, err, d.err)
	}
	return r.sendDeadLetter(ctx, d, reason, own)
}

// sendDeadLetter sends the dead-letter copy, with own (the retry attribute)
// and the dead-letter facts, to the queue's dead-letter queue.
func (r *Retrier) sendDeadLetter(ctx context.Context, d decision, reason string, own map[string]string) error {
	facts := DeadLetterFacts{Reason: reason, Class: d.class, At: d.now, Source: d.m.QueueURL, MessageID: d.m.ID}
	if re, ok := errors.AsType[*message.RejectedError](d.err); ok {
		facts.Code = re.Code
	}
	v, err := facts.Encode()
	if err != nil {
		return fmt.Errorf("dead-letter %s: %w (handler: %w)", reason, err, d.err)
	}
	own[AttrDeadLetter] = v
	own[AttrDeadLetterError] = errorText(d.err, d.class)
	dlq, err := r.deadLetterer.DeadLetter(ctx, d.m, own)
	if err != nil {
		return fmt.Errorf("dead-letter %s: %w (handler: %w)", reason, err, d.err)
	}
	d.log.Warn("dead-lettered", "reason", reason, "class", d.class, "dlq", dlq, "error", d.err)
	r.obs.DeadLettered(d.m.Queue, reason)
	return nil
}

// lockedRand serialises the draws of a Rand that may not be safe for
// concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  Rand
}

func (l *lockedRand) backoff(base, limit time.Duration, n int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return backoff(base, limit, n, l.r)
}

// globalRand draws from math/rand/v2's global source.
type globalRand struct{}

func (globalRand) Int64N(n int64) int64 { return rand.Int64N(n) }

type nopObserver struct{}

func (nopObserver) Retried(string, Class)       {}
func (nopObserver) Deferred(string)             {}
func (nopObserver) FlowDeferred(string)         {}
func (nopObserver) DeadLettered(string, string) {}
