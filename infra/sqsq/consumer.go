package sqsq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/message"
)

// ConsumerConfig configures a [Consumer]. A zero value means the documented
// default.
type ConsumerConfig struct {
	// QueueURL is the queue to consume. Required.
	QueueURL string
	// Queue is the logical queue name, put in message.Message.Queue and in
	// logs and observations.
	Queue string
	// Concurrency is the most handlers running at once. Default 10.
	Concurrency int
	// Pollers is the most ReceiveMessage loops running at once, at most
	// Concurrency. Default ceil(Concurrency/10). One loop always polls; the
	// others wake while receives come back with every message they asked
	// for, and park again when a receive of theirs comes back empty, so a
	// queue that went idle costs one long poll at a time (a trickle of
	// messages, each receive partly filled, keeps the woken loops polling).
	Pollers int
	// BatchSize is the most messages one ReceiveMessage asks for, 1 to 10.
	// Default 10.
	BatchSize int
	// WaitTime is the long-poll wait of ReceiveMessage, whole seconds from 1 s
	// to 20 s. Default 20 s.
	WaitTime time.Duration
	// VisibilityTimeout is how long a received message stays hidden, whole
	// seconds. It must equal the queue's; every receive also asks for it
	// explicitly. Default resources.DefaultVisibilityTimeout (15 s).
	VisibilityTimeout time.Duration
	// HeartbeatEvery is how often the visibility of running messages is
	// extended; less than VisibilityTimeout/2. Default VisibilityTimeout/3.
	HeartbeatEvery time.Duration
	// ShutdownGrace is how long running handlers may go on after Run's context
	// is cancelled; less than VisibilityTimeout. Default 10 s or
	// VisibilityTimeout/2, whichever is shorter: with the flush of deletes
	// after it (at most shutdownFlush) a process stops well inside the 30 s
	// that ECS and Kubernetes leave between SIGTERM and SIGKILL.
	ShutdownGrace time.Duration
	// Logger receives the consumer's logs. Default: discard. Each message's
	// context carries a logger of its own (message.WithLogger) made from it
	// with the message's id; a failure no middleware decided is logged with
	// that logger as the middleware left it (message.SetLogger), and
	// middleware that log use it too, rather than a logger of their own.
	Logger *slog.Logger
	// Observer is told what the consumer does. Default: none.
	Observer Observer
}

// Defaults and limits of the consumer runtime.
const (
	defaultConcurrency = 10
	maxWaitTime        = 20 * time.Second // the SQS maximum
	maxVisibility      = 12 * time.Hour   // the SQS maximum
	backoffFirst       = 100 * time.Millisecond
	backoffMax         = 10 * time.Second
	fillLinger         = 2 * time.Millisecond
	maxDefaultGrace    = 10 * time.Second
	// shutdownFlush bounds the SQS calls that follow the shutdown grace: the
	// deletes of finished messages and the release of unfinished ones.
	shutdownFlush = 5 * time.Second
)

// withDefaults returns cfg with its zero values replaced by the defaults.
func (cfg ConsumerConfig) withDefaults() ConsumerConfig {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.Pollers == 0 {
		cfg.Pollers = (cfg.Concurrency + maxBatch - 1) / maxBatch
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = maxBatch
	}
	if cfg.WaitTime == 0 {
		cfg.WaitTime = maxWaitTime
	}
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = resources.DefaultVisibilityTimeout
	}
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = cfg.VisibilityTimeout / 3
	}
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = min(maxDefaultGrace, cfg.VisibilityTimeout/2)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return cfg
}

// validate collects every problem of a config with its defaults filled.
func (cfg ConsumerConfig) validate() error {
	var errs []error
	if cfg.QueueURL == "" {
		errs = append(errs, errors.New("queue URL is empty"))
	}
	if cfg.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d: want at least 1", cfg.Concurrency))
	}
	if cfg.Pollers < 1 || cfg.Pollers > max(cfg.Concurrency, 1) {
		errs = append(errs, fmt.Errorf("pollers %d: want 1 to concurrency (%d)", cfg.Pollers, cfg.Concurrency))
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > maxBatch {
		errs = append(errs, fmt.Errorf("batch size %d: want 1 to %d", cfg.BatchSize, maxBatch))
	}
	if cfg.WaitTime < time.Second || cfg.WaitTime > maxWaitTime || cfg.WaitTime%time.Second != 0 {
		errs = append(errs, fmt.Errorf("wait time %v: want whole seconds from 1s to %v", cfg.WaitTime, maxWaitTime))
	}
	if cfg.VisibilityTimeout < time.Second || cfg.VisibilityTimeout > maxVisibility || cfg.VisibilityTimeout%time.Second != 0 {
		errs = append(errs, fmt.Errorf("visibility timeout %v: want whole seconds from 1s to %v", cfg.VisibilityTimeout, maxVisibility))
	}
	// A message received just after a heartbeat is extended two heartbeats
	// later, which must come before its visibility ends.
	if cfg.HeartbeatEvery <= 0 || 2*cfg.HeartbeatEvery >= cfg.VisibilityTimeout {
		errs = append(errs, fmt.Errorf("heartbeat every %v: want more than 0 and less than half the visibility timeout (%v)", cfg.HeartbeatEvery, cfg.VisibilityTimeout))
	}
	if cfg.ShutdownGrace <= 0 || cfg.ShutdownGrace >= cfg.VisibilityTimeout {
		errs = append(errs, fmt.Errorf("shutdown grace %v: want more than 0 and less than the visibility timeout (%v)", cfg.ShutdownGrace, cfg.VisibilityTimeout))
	}
	return errors.Join(errs...)
}

// Consumer feeds the messages of one queue to a handler: one to Pollers
// long-polling loops, as many as the traffic keeps busy, at most Concurrency
// handlers at once, visibility extended while a handler runs, successful
// messages deleted in batches.
type Consumer struct {
	api API
	cfg ConsumerConfig
	log *slog.Logger
}

// NewConsumer returns a consumer of cfg.QueueURL. It returns an error listing
// every invalid field of cfg.
func NewConsumer(api API, cfg ConsumerConfig) (*Consumer, error) {
	cfg = cfg.withDefaults()
	err := cfg.validate()
	if api == nil {
		err = errors.Join(errors.New("SQS API is nil"), err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqsq consumer config: %w", err)
	}
	queue := cfg.Queue
	if queue == "" {
		queue = cfg.QueueURL
	}
	return &Consumer{api: api, cfg: cfg, log: cfg.Logger.With("queue", queue)}, nil
}

// Run receives messages and hands each to h until ctx is cancelled. A message
// whose handler returns nil is deleted; any other outcome, a panic included,
// leaves it to be redelivered after its visibility timeout.
//
// When ctx is cancelled Run stops receiving, lets running handlers finish
// within ShutdownGrace (their context is cancelled at that deadline), deletes
// the messages that finished, and returns nil. A message whose handler had not
// finished by the deadline is never deleted, even if its handler returns nil
// later: its visibility is reset to 0, so that another consumer receives it at
// once. The deletes and resets get at most shutdownFlush after the grace. Run
// returns an error only if h is nil.
func (c *Consumer) Run(ctx context.Context, h message.Handler) error {
	if h == nil {
		return errors.New("sqsq consumer: nil handler")
	}
	r := newRun(ctx, c, h)
	defer r.cancelHandlers()
	defer r.cancelCalls()

	deleted := make(chan struct{})
	go func() { defer close(deleted); r.deleteLoop() }()
	stopHeartbeat, heartbeatDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(heartbeatDone); r.heartbeat(stopHeartbeat) }()

	// Long-lived workers rather than a goroutine per message: the SDK's
	// middleware stacks are deep, and a fresh goroutine grew its stack by
	// copying on every message (8% of regd's CPU in the ceiling profile).
	for range c.cfg.Concurrency {
		go func() {
			for m := range r.work {
				r.handle(m)
			}
		}()
	}
	var pollers sync.WaitGroup
	for i := range c.cfg.Pollers {
		pollers.Go(func() { r.poll(ctx, i > 0) }) // the first active, the others parked, as newGate counts them
	}
	<-ctx.Done()
	grace := time.NewTimer(c.cfg.ShutdownGrace)
	defer grace.Stop()
	pollers.Wait()
	close(r.work) // the workers end once the messages received are handled

	finished := make(chan struct{})
	go func() { r.handlers.Wait(); close(finished) }()
	late := false
	select {
	case <-finished:
	case <-grace.C:
		late = true
	}
	// Closed before the handlers' context is cancelled, so that a handler
	// ending because of the cancellation cannot get its message deleted.
	r.mu.Lock()
	r.closed = true
	close(r.acks)
	r.mu.Unlock()
	flush := time.AfterFunc(shutdownFlush, r.cancelCalls)
	defer flush.Stop()
	// No message needs to stay hidden any more: the handlers finished, or are
	// abandoned and their messages released below.
	close(stopHeartbeat)
	<-heartbeatDone
	if late {
		unfinished := r.flights.takeAll()
		r.cancelHandlers()
		c.log.Warn("shutdown grace passed; unfinished messages are released for redelivery",
			"unfinished", len(unfinished), "grace", c.cfg.ShutdownGrace)
		r.release(unfinished)
	}
	<-deleted
	return nil
}

// run is the state of one Run call.
type run struct {
	*Consumer
	h              message.Handler
	bg             context.Context // for SQS calls but receives: outlives Run's context, ends shutdownFlush after the grace
	cancelCalls    context.CancelFunc
	handlerCtx     context.Context // cancelled when the shutdown grace passes
	cancelHandlers context.CancelFunc
	slots          *slots
	gate           *gate
	flights        flights
	handlers       sync.WaitGroup
	work           chan *message.Message // to the workers: never more than Concurrency, as the slots allow
	running        atomic.Int64          // handlers that have not yet acknowledged or given up
	idle           chan struct{}         // signalled when running drops to 0

	mu     sync.RWMutex // guards closed and sending on acks
	closed bool         // set at the shutdown deadline: later finishes are not deleted
	acks   chan ack
}

func newRun(ctx context.Context, c *Consumer, h message.Handler) *run {
	bg, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	handlerCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &run{
		Consumer: c,
		// The last-resort guard of a handler goroutine, for a panic outside
		// the handler's own chain (whose innermost middleware is
		// message.Recover too, so that retries see its panics): the same
		// code, so that no panic ends the process and each is a
		// *message.PanicError.
		h:              message.Recover()(h),
		bg:             bg,
		cancelCalls:    cancelCalls,
		handlerCtx:     handlerCtx,
		cancelHandlers: cancel,
		slots:          newSlots(c.cfg.Concurrency),
		gate:           newGate(c.cfg.Pollers),
		flights:        flights{m: make(map[string]time.Time)},
		acks:           make(chan ack, c.cfg.Concurrency),
		work:           make(chan *message.Message, c.cfg.Concurrency),
		idle:           make(chan struct{}, 1),
	}
}

// poll is one receive loop, parked at first if parked is true. It returns
// when ctx is done.
func (r *run) poll(ctx context.Context, parked bool) {
	bo := backoff{first: backoffFirst, max: backoffMax}
	for {
		if parked {
			if !r.gate.wait(ctx) {
				return
			}
			parked = false
		}
		n, ok := r.acquire(ctx)
		if !ok {
			return
		}
		out, err := r.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.cfg.QueueURL),
			MaxNumberOfMessages:         int32(n),
			WaitTimeSeconds:             int32(r.cfg.WaitTime / time.Second),
			VisibilityTimeout:           int32(r.cfg.VisibilityTimeout / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: systemAttributes,
		})
		if err != nil {
			r.slots.give(n)
			if ctx.Err() != nil {
				return
			}
			r.cfg.Observer.ReceiveFailed(r.cfg.Queue, err)
			d := bo.next()
			r.log.Warn("receive failed", "error", err, "retry_in", d)
			if !sleep(ctx, d) {
				return
			}
			continue
		}
		bo.reset()
		msgs := out.Messages
		if len(msgs) > n { // SQS never does this; an unstarted message comes back after its visibility timeout
			msgs = msgs[:n]
		}
		r.slots.give(n - len(msgs))
		switch len(msgs) {
		case 0:
			parked = r.gate.park()
		case n:
			r.gate.full()
		}
		now := time.Now()
		r.cfg.Observer.Received(r.cfg.Queue, len(msgs))
		r.flights.add(msgs, now)
		r.running.Add(int64(len(msgs)))
		r.handlers.Add(len(msgs))
		for _, m := range msgs {
			msg := newMessage(m, r.cfg.Queue, r.cfg.QueueURL)
			if !msg.SentAt.IsZero() {
				r.cfg.Observer.Queued(r.cfg.Queue, now.Sub(msg.SentAt))
			}
			r.work <- msg
		}
	}
}

// acquire takes one handler slot, waiting for it, then more up to BatchSize,
// so that a poller never asks for messages it cannot start. Besides the slots
// free at once it takes those freed within fillLinger while handlers run:
// handlers that finish together free their slots one by one, and one receive
// for a full batch is cheaper than several for parts of it. It reports false
// if ctx is done before the first slot is free.
func (r *run) acquire(ctx context.Context) (int, bool) {
	n := r.slots.take(r.cfg.BatchSize)
	for n == 0 {
		select {
		case <-r.slots.wake:
			n = r.slots.take(r.cfg.BatchSize)
		case <-ctx.Done():
			return 0, false
		}
	}
	var linger <-chan time.Time
	for n < r.cfg.BatchSize {
		if k := r.slots.take(r.cfg.BatchSize - n); k > 0 {
			n += k
			continue
		}
		if r.running.Load() == 0 {
			return n, true // the other slots are held by receives: none comes free soon
		}
		if linger == nil {
			t := time.NewTimer(fillLinger)
			defer t.Stop()
			linger = t.C
		}
		select {
		case <-r.slots.wake:
		case <-linger:
			return n, true
		case <-ctx.Done():
			return n, true
		}
	}
	return n, true
}

// handle runs the handler on one message and acknowledges or abandons it.
func (r *run) handle(m *message.Message) {
	defer r.handlers.Done()
	defer r.slots.give(1)
	start := time.Now()
	ctx, settled := message.WithSettled(r.handlerCtx)
	// The message's logger, which the handler's middleware may replace (with
	// the envelope's ids, the attempt): the failure line below uses theirs.
	ctx = message.WithLogger(ctx, r.log.With("message_id", m.ID, "receive_count", m.ReceiveCount))
	err := r.h(ctx, m)
	took := time.Since(start)
	if err != nil {
		r.flights.remove(m.ReceiptHandle)
		r.cfg.Observer.Handled(r.cfg.Queue, err, took)
		r.logFailure(message.LoggerFrom(ctx, r.log), err)
	} else {
		r.ack(m, took, settled)
	}
	// After the ack is queued, so that the deleter sees no running handler
	// only once every finished one has been queued.
	if r.running.Add(-1) == 0 {
		select {
		case r.idle <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

// ack queues a finished message for deletion, unless the shutdown deadline
// has passed. Then its receipt stays in flights, for Run to release it: under
// r.mu a message either leaves flights for acks before closed is set, or stays
// in flights until Run takes them all after it, so none is neither deleted nor
// released.
func (r *run) ack(m *message.Message, took time.Duration, settled *message.Settled) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.cfg.Observer.Handled(r.cfg.Queue, fmt.Errorf("%w: finished after the shutdown grace", ErrNotDeleted), took)
		r.log.Info("handler finished after the shutdown grace; message released for redelivery", "message_id", m.ID)
		return
	}
	r.flights.remove(m.ReceiptHandle)
	r.acks <- ack{id: m.ID, receipt: m.ReceiptHandle, took: took, settled: settled}
}

// logFailure logs, with the message's logger, why a message is left for
// redelivery: the one place the runtime decides about a handler's error, and
// the one line about a failure that no middleware decided.
func (r *run) logFailure(log *slog.Logger, err error) {
	if pe, ok := errors.AsType[*message.PanicError](err); ok {
		log.Error("handler panicked; message left for redelivery", "error", err, "stack", string(pe.Stack))
		return
	}
	if errors.Is(err, context.Canceled) && r.handlerCtx.Err() != nil {
		log.Info("handler cancelled at the shutdown deadline; message left for redelivery")
		return
	}
	log.Error("handler failed; message left for redelivery", "error", err)
}
