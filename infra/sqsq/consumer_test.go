package sqsq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/message"
)

// logRecorder is a slog handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// atLeast returns the messages of the records at level or above.
func (l *logRecorder) atLeast(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// countingObserver counts what a consumer reports.
type countingObserver struct {
	received, empty, handled, failed atomic.Int64
	receiveFailed                    atomic.Int64
	deleteFailed, extendFailed       atomic.Int64

	mu    sync.Mutex
	waits []time.Duration
}

func (o *countingObserver) Received(_ string, n int) {
	o.received.Add(int64(n))
	if n == 0 {
		o.empty.Add(1)
	}
}
func (o *countingObserver) Handled(_ string, err error, _ time.Duration) {
	o.handled.Add(1)
	if err != nil {
		o.failed.Add(1)
	}
}
func (o *countingObserver) ReceiveFailed(string, error)  { o.receiveFailed.Add(1) }
func (o *countingObserver) DeleteFailed(_ string, n int) { o.deleteFailed.Add(int64(n)) }
func (o *countingObserver) ExtendFailed(_ string, n int) { o.extendFailed.Add(int64(n)) }
func (o *countingObserver) Queued(_ string, wait time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits = append(o.waits, wait)
}

// testConfig is a consumer config for the fake queue with short timings.
func testConfig() ConsumerConfig {
	return ConsumerConfig{
		QueueURL:          "https://sqs.example/000000000000/q",
		Queue:             "q",
		VisibilityTimeout: 6 * time.Second,
		WaitTime:          20 * time.Second,
	}
}

// start runs a consumer of api in the background. stop cancels it and returns
// Run's error once it has returned.
func start(tb testing.TB, api API, cfg ConsumerConfig, h message.Handler) (stop func() error) {
	tb.Helper()
	c, err := NewConsumer(api, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(tb.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h) }()
	return func() error { cancel(); return <-done }
}

func TestConsumerDeletesHandledMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		var mu sync.Mutex
		var got []*message.Message
		stop := start(t, f, testConfig(), func(_ context.Context, m *message.Message) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m)
			return nil
		})
		var want []string
		for i := range 25 {
			want = append(want, fmt.Sprintf("body-%02d", i))
		}
		f.put(want...)
		synctest.Wait()

		if got := f.bodies(); len(got) != 0 {
			t.Errorf("left on the queue before shutdown: %v", got)
		}
		deleted := 0
		for _, call := range f.deletes {
			if len(call) > maxBatch {
				t.Errorf("DeleteMessageBatch with %d entries", len(call))
			}
			deleted += len(call)
		}
		if deleted != 25 {
			t.Errorf("deleted %d messages, want 25", deleted)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		var bodies []string
		for _, m := range got {
			bodies = append(bodies, string(m.Body))
			if m.Queue != "q" || m.QueueURL != testConfig().QueueURL || m.ReceiveCount != 1 || m.ID == "" || m.ReceiptHandle == "" {
				t.Errorf("message %+v: want queue q, the queue URL, receive count 1, an id and a receipt handle", m)
			}
		}
		slices.Sort(bodies)
		if !slices.Equal(bodies, want) {
			t.Errorf("handled %v, want %v", bodies, want)
		}
	})
}

func TestConsumerLeavesFailedMessagesForRedelivery(t *testing.T) {
	tests := []struct {
		name string
		fail func() error // the first attempt's outcome
	}{
		{"error", func() error { return errors.New("boom") }},
		{"panic", func() error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSQS()
				logs := &logRecorder{}
				obs := &countingObserver{}
				cfg := testConfig()
				cfg.Logger, cfg.Observer = slog.New(logs), obs
				var counts []int
				handled := make(chan struct{}, 2)
				stop := start(t, f, cfg, func(_ context.Context, m *message.Message) error {
					defer func() { handled <- struct{}{} }()
					counts = append(counts, m.ReceiveCount)
					if m.ReceiveCount == 1 {
						return tt.fail()
					}
					return nil
				})
				f.put("x")
				<-handled
				start := time.Now()
				synctest.Wait()
				if got, want := f.bodies(), []string{"x"}; !slices.Equal(got, want) {
					t.Errorf("after the failure the queue holds %v, want %v", got, want)
				}
				<-handled // redelivered once the visibility timeout passes
				if got, want := time.Since(start), cfg.VisibilityTimeout; got != want {
					t.Errorf("redelivered after %v, want %v", got, want)
				}
				synctest.Wait()
				if got := f.bodies(); len(got) != 0 {
					t.Errorf("after the success the queue holds %v", got)
				}
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got, want := counts, []int{1, 2}; !slices.Equal(got, want) {
					t.Errorf("receive counts %v, want %v", got, want)
				}
				if got, want := obs.failed.Load(), int64(1); got != want {
					t.Errorf("observed %d failures, want %d", got, want)
				}
				if got := logs.atLeast(slog.LevelWarn); len(got) != 1 {
					t.Errorf("warnings and errors logged: %q, want one about the failure", got)
				}
			})
		})
	}
}

func TestConsumerLogsFailedDeletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		f.deleteErr = errors.New("connection reset")
		logs := &logRecorder{}
		cfg := testConfig()
		cfg.Logger = slog.New(logs)
		handled := make(chan int, 2)
		stop := start(t, f, cfg, func(_ context.Context, m *message.Message) error {
			handled <- m.ReceiveCount
			return nil
		})
		f.put("x")
		<-handled
		synctest.Wait()
		if got := logs.atLeast(slog.LevelError); len(got) != 1 {
			t.Errorf("errors logged: %q, want one about the delete", got)
		}
		if got, want := <-handled, 2; got != want { // redelivered after the visibility timeout
			t.Errorf("receive count %d, want %d", got, want)
		}
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// TestConsumerCountsDuplicateWork checks the counts of the two failures that
// get a message handled twice, and that a message counts as handled ok, and
// what its handler observed is counted (message.OnSettled), only once it is
// deleted.
func TestConsumerCountsDuplicateWork(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(*fakeSQS)
		run    time.Duration // how long each handler runs; the heartbeat ticks every 2 s
		failed func(*countingObserver) int64
		wantOK int64
	}{
		{"a failed delete", func(f *fakeSQS) { f.deleteErr = errors.New("connection reset") }, 0,
			func(o *countingObserver) int64 { return o.deleteFailed.Load() }, 0},
		{"a failed visibility extension", func(f *fakeSQS) { f.extendErr = errors.New("connection reset") }, 3 * time.Second,
			func(o *countingObserver) int64 { return o.extendFailed.Load() }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeSQS()
				tt.fault(f)
				obs := &countingObserver{}
				cfg := testConfig()
				cfg.Observer = obs
				handled := make(chan struct{}, 4)
				var settled atomic.Int64
				stop := start(t, f, cfg, func(ctx context.Context, _ *message.Message) error {
					message.OnSettled(ctx, func() { settled.Add(1) })
					time.Sleep(tt.run) // the bubble's clock
					handled <- struct{}{}
					return nil
				})
				f.put("x", "y")
				<-handled
				<-handled
				synctest.Wait()
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := tt.failed(obs); got != 2 {
					t.Errorf("counted %d failures, want one per message (2)", got)
				}
				if got := obs.handled.Load() - obs.failed.Load(); got != tt.wantOK {
					t.Errorf("counted %d messages handled ok, want %d", got, tt.wantOK)
				}
				if got := settled.Load(); got != tt.wantOK {
					t.Errorf("ran the settled observations of %d messages, want %d", got, tt.wantOK)
				}
			})
		})
	}
}

func TestConsumerShutdownReleasesUnfinishedMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		started := make(chan struct{}, 2)
		stop := start(t, f, testConfig(), func(ctx context.Context, _ *message.Message) error {
			started <- struct{}{}
			<-ctx.Done() // cancelled at the grace deadline
			return ctx.Err()
		})
		f.put("a", "b")
		<-started
		<-started
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got, want := f.visible(), []string{"a", "b"}; !slices.Equal(got, want) {
			t.Errorf("receivable right after shutdown: %v, want %v (visibility reset to 0)", got, want)
		}
	})
}

// heldExtends is a fake queue whose heartbeat calls (visibility above 0) wait
// until hold is closed; releases (visibility 0) pass at once.
type heldExtends struct {
	*fakeSQS
	hold chan struct{}
}

func (h *heldExtends) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	if in.Entries[0].VisibilityTimeout > 0 {
		<-h.hold
	}
	return h.fakeSQS.ChangeMessageVisibilityBatch(ctx, in, opts...)
}

// A handler that succeeds just after the shutdown deadline, while Run is
// still stopping the heartbeat and has not yet taken the unfinished messages
// to release, must not lose its message to the visibility timeout: it is too
// late to be deleted, so it must be released.
func TestConsumerShutdownReleasesMessageFinishedAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &heldExtends{fakeSQS: newFakeSQS(), hold: make(chan struct{})}
		obs := &countingObserver{}
		cfg := testConfig() // visibility 6 s, heartbeat every 2 s, grace 3 s
		cfg.Observer = obs
		c, err := NewConsumer(f, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		started, finish := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- c.Run(ctx, func(context.Context, *message.Message) error {
				close(started)
				<-finish
				return nil
			})
		}()
		f.put("a")
		<-started
		time.Sleep(time.Second)
		cancel()
		// The heartbeat at 2 s is held; the grace passes at 4 s and Run, with
		// closed set, waits for the heartbeat to stop.
		time.Sleep(c.cfg.ShutdownGrace + time.Second)
		synctest.Wait()
		close(finish) // the handler succeeds, too late for a delete
		synctest.Wait()
		close(f.hold)
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := []string{"a"}
		if got, vis := f.bodies(), f.visible(); !slices.Equal(got, want) || !slices.Equal(vis, want) {
			t.Errorf("after shutdown the queue holds %v, of which %v receivable; want %v receivable (released), not left to wait out its visibility timeout", got, vis, want)
		}
		if got, failed := obs.handled.Load(), obs.failed.Load(); got != 1 || failed != 1 {
			t.Errorf("%d messages reported handled, %d of them not ok; want 1, not ok, as it was not deleted", got, failed)
		}
	})
}

func TestConsumerBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		cfg := testConfig()
		cfg.Concurrency, cfg.Pollers = 3, 1
		var running, peak atomic.Int64
		release := make(chan struct{})
		stop := start(t, f, cfg, func(ctx context.Context, m *message.Message) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			return nil
		})
		bodies := make([]string, 10)
		for i := range bodies {
			bodies[i] = fmt.Sprint(i)
		}
		f.put(bodies...)
		synctest.Wait()
		if got, want := running.Load(), int64(3); got != want {
			t.Errorf("%d handlers running, want %d", got, want)
		}
		close(release)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got, want := peak.Load(), int64(3); got != want {
			t.Errorf("at most %d handlers ran at once, want %d", got, want)
		}
		if got := f.bodies(); len(got) != 0 {
			t.Errorf("left on the queue: %v", got)
		}
		for _, r := range f.receives {
			if r.max < 1 || r.max > 3 {
				t.Errorf("ReceiveMessage asked for %d messages with 3 slots", r.max)
			}
		}
	})
}

func TestConsumerExtendsVisibilityWhileHandlerRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		cfg := testConfig() // visibility 6 s, heartbeat every 2 s
		calls := 0
		stop := start(t, f, cfg, func(ctx context.Context, m *message.Message) error {
			calls++
			time.Sleep(5*cfg.VisibilityTimeout - time.Second) // the handler's work, in the bubble's time
			return nil
		})
		f.put("slow")
		time.Sleep(5*cfg.VisibilityTimeout + time.Second)
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if calls != 1 {
			t.Errorf("handler called %d times, want 1: the message became visible while it ran", calls)
		}
		if got := f.bodies(); len(got) != 0 {
			t.Errorf("left on the queue: %v", got)
		}
		// 29 s of work with a heartbeat every 2 s: the message is due from the
		// first tick after it was received.
		if got, want := len(f.extends), 14; got != want {
			t.Errorf("%d ChangeMessageVisibilityBatch calls, want %d", got, want)
		}
	})
}

func TestConsumerShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		cfg := testConfig() // grace 3 s
		started := make(chan struct{}, 10)
		var lateDone sync.WaitGroup
		c, err := NewConsumer(f, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- c.Run(ctx, func(hctx context.Context, m *message.Message) error {
				started <- struct{}{}
				if string(m.Body)[0] == 'f' {
					return nil
				}
				lateDone.Add(1)
				defer lateDone.Done()
				<-hctx.Done()
				if string(m.Body) < "slow-2" {
					time.Sleep(time.Second) // finishes, successfully, well after the deadline
				}
				return nil // successfully, but too late
			})
		}()
		f.put("fast-0", "fast-1", "fast-2", "fast-3", "fast-4", "fast-5", "slow-0", "slow-1", "slow-2", "slow-3")
		for range 10 {
			<-started
		}
		cancel()
		shutdown := time.Now()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got, want := time.Since(shutdown), cfg.VisibilityTimeout/2; got != want {
			t.Errorf("Run returned %v after cancellation, want the grace %v", got, want)
		}
		want := []string{"slow-0", "slow-1", "slow-2", "slow-3"}
		if got := f.bodies(); !slices.Equal(got, want) {
			t.Errorf("when Run returned the queue holds %v, want %v", got, want)
		}
		lateDone.Wait()
		synctest.Wait()
		if got := f.bodies(); !slices.Equal(got, want) {
			t.Errorf("after the late handlers returned the queue holds %v, want %v", got, want)
		}
	})
}

func TestConsumerShutdownWaitsOnlyForRunningHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		logs := &logRecorder{}
		cfg := testConfig()
		cfg.Logger = slog.New(logs)
		stop := start(t, f, cfg, func(ctx context.Context, m *message.Message) error {
			time.Sleep(time.Second)
			return nil
		})
		f.put("a", "b")
		synctest.Wait() // both handlers running, the poller in a long poll
		cancelled := time.Now()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got, want := time.Since(cancelled), time.Second; got != want {
			t.Errorf("Run returned %v after cancellation, want %v (when the handlers finished)", got, want)
		}
		if got := f.bodies(); len(got) != 0 {
			t.Errorf("left on the queue: %v", got)
		}
		if got := logs.atLeast(slog.LevelWarn); len(got) != 0 {
			t.Errorf("shutdown logged warnings or errors: %q", got)
		}
	})
}

func TestConsumerBacksOffReceiveErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		fail := errors.New("service unavailable")
		f.receiveErrs = slices.Repeat([]error{fail}, 8)
		obs := &countingObserver{}
		cfg := testConfig()
		cfg.Concurrency, cfg.Observer = 1, obs
		handled := make(chan string, 1)
		stop := start(t, f, cfg, func(_ context.Context, m *message.Message) error {
			handled <- string(m.Body)
			return nil
		})
		f.put("after-errors")
		if got, want := <-handled, "after-errors"; got != want {
			t.Errorf("handled %q, want %q", got, want)
		}
		// Fail again: the back-off starts over.
		synctest.Wait()
		f.mu.Lock()
		f.receiveErrs = []error{fail}
		f.notify()
		f.mu.Unlock()
		f.put("after-reset")
		<-handled
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}

		f.mu.Lock()
		defer f.mu.Unlock()
		// Receives 1..8 fail; the pause before receive i+1 is drawn from
		// [d/2, d] with d = 100 ms * 2^i, capped at 10 s.
		for i := range 8 {
			d := min(backoffFirst<<i, backoffMax)
			if got := f.receives[i+1].at.Sub(f.receives[i].at); got < d/2 || got > d {
				t.Errorf("pause after failure %d: %v, want %v to %v", i+1, got, d/2, d)
			}
		}
		// Receive 8 succeeds; receive 9, in a long poll, fails; the pause
		// before receive 10 is the first step again.
		if got, d := f.receives[10].at.Sub(f.receives[9].at), backoffFirst; got < d/2 || got > d {
			t.Errorf("pause after the failure following a success: %v, want %v to %v", got, d/2, d)
		}
		if got, want := obs.receiveFailed.Load(), int64(9); got != want {
			t.Errorf("observed %d receive failures, want %d", got, want)
		}
	})
}

// TestConsumerReportsQueueWait: a message's wait runs from its send to its
// receive; a redelivery counts from the same send.
func TestConsumerReportsQueueWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeSQS()
		f.put("x")
		time.Sleep(3 * time.Second) // the message waits for a consumer
		obs := &countingObserver{}
		cfg := testConfig()
		cfg.Observer = obs
		handled := make(chan struct{}, 2)
		attempts := 0
		stop := start(t, f, cfg, func(context.Context, *message.Message) error {
			defer func() { handled <- struct{}{} }()
			if attempts++; attempts == 1 {
				return errors.New("boom")
			}
			return nil
		})
		<-handled
		<-handled // redelivered after the visibility timeout
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if got, want := obs.waits, []time.Duration{3 * time.Second, 3*time.Second + cfg.VisibilityTimeout}; !slices.Equal(got, want) {
			t.Errorf("queue waits %v, want %v", got, want)
		}
	})
}

// The one line about a failure no middleware decided is logged with the
// message's logger as the handler's middleware left it: the ids and the
// attempt they added, at level error.
func TestConsumerLogsAFailureWithTheMessagesLogger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		cfg := testConfig()
		cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
		f := newFakeSQS()
		failed := make(chan struct{}, 1)
		stop := start(t, f, cfg, func(ctx context.Context, m *message.Message) error {
			message.SetLogger(ctx, message.LoggerFrom(ctx, nil).With("record_id", "b1", "attempt", 3))
			failed <- struct{}{}
			return errors.New("store down")
		})
		f.put("x")
		<-failed
		synctest.Wait()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		var line map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
			t.Fatalf("want one JSON line, got %q: %v", buf.String(), err)
		}
		for k, want := range map[string]any{"level": "ERROR", "msg": "handler failed; message left for redelivery",
			"queue": "q", "message_id": "m1", "record_id": "b1", "attempt": 3.0, "error": "store down"} {
			if line[k] != want {
				t.Errorf("%s = %v, want %v (line %s)", k, line[k], want, buf.String())
			}
		}
	})
}

func TestConsumerCancellationIsNotAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &logRecorder{}
		obs := &countingObserver{}
		cfg := testConfig()
		cfg.Logger, cfg.Observer = slog.New(logs), obs
		stop := start(t, newFakeSQS(), cfg, func(context.Context, *message.Message) error { return nil })
		synctest.Wait() // long polling an empty queue
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := logs.atLeast(slog.LevelWarn); len(got) != 0 {
			t.Errorf("logged %q", got)
		}
		if got := obs.receiveFailed.Load(); got != 0 {
			t.Errorf("observed %d receive failures", got)
		}
	})
}

func TestConsumerConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := NewConsumer(newFakeSQS(), ConsumerConfig{QueueURL: "u", Concurrency: 25})
		if err != nil {
			t.Fatal(err)
		}
		got := c.cfg
		if got.Pollers != 3 || got.BatchSize != 10 || got.WaitTime != 20*time.Second || got.VisibilityTimeout != 15*time.Second ||
			got.HeartbeatEvery != 5*time.Second || got.ShutdownGrace != 7500*time.Millisecond || got.Logger == nil || got.Observer == nil {
			t.Errorf("defaults: %+v", got)
		}
	})
	invalid := []struct {
		name string
		edit func(*ConsumerConfig)
	}{
		{"no queue URL", func(c *ConsumerConfig) { c.QueueURL = "" }},
		{"negative concurrency", func(c *ConsumerConfig) { c.Concurrency = -1 }},
		{"more pollers than concurrency", func(c *ConsumerConfig) { c.Concurrency, c.Pollers = 2, 3 }},
		{"batch above 10", func(c *ConsumerConfig) { c.BatchSize = 11 }},
		{"wait above 20 s", func(c *ConsumerConfig) { c.WaitTime = 21 * time.Second }},
		{"wait not whole seconds", func(c *ConsumerConfig) { c.WaitTime = 1500 * time.Millisecond }},
		{"visibility not whole seconds", func(c *ConsumerConfig) { c.VisibilityTimeout = 2500 * time.Millisecond }},
		{"heartbeat at half the visibility", func(c *ConsumerConfig) { c.HeartbeatEvery = 3 * time.Second }},
		{"grace as long as the visibility", func(c *ConsumerConfig) { c.ShutdownGrace = 6 * time.Second }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			if _, err := NewConsumer(newFakeSQS(), cfg); err == nil {
				t.Errorf("NewConsumer accepted %+v", cfg)
			}
		})
	}
	t.Run("nil API", func(t *testing.T) {
		if _, err := NewConsumer(nil, testConfig()); err == nil {
			t.Error("NewConsumer accepted a nil API")
		}
	})
}

func TestNewMessage(t *testing.T) {
	m := newMessage(types.Message{
		MessageId:     aws.String("id-1"),
		ReceiptHandle: aws.String("rh-1"),
		Body:          aws.String(`{"a":1}`),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"event_type":     {DataType: aws.String("String"), StringValue: aws.String("brand.register")},
			"schema_version": {DataType: aws.String("Number"), StringValue: aws.String("1")},
			"attempt":        {DataType: aws.String("Number.int"), StringValue: aws.String("3")},
			"blob":           {DataType: aws.String("Binary"), BinaryValue: []byte{1}},
		},
		Attributes: map[string]string{"ApproximateReceiveCount": "4", "SentTimestamp": "1700000000123"},
	}, "events", "https://q")
	if got, want := m.ID, "id-1"; got != want {
		t.Errorf("ID %q, want %q", got, want)
	}
	if got, want := m.ReceiptHandle, "rh-1"; got != want {
		t.Errorf("ReceiptHandle %q, want %q", got, want)
	}
	if got, want := string(m.Body), `{"a":1}`; got != want {
		t.Errorf("Body %q, want %q", got, want)
	}
	if got, want := m.Queue+" "+m.QueueURL, "events https://q"; got != want {
		t.Errorf("queue %q, want %q", got, want)
	}
	want := map[string]string{"event_type": "brand.register", "schema_version": "1", "attempt": "3"}
	if got := m.Attributes; !maps.Equal(got, want) {
		t.Errorf("Attributes %v, want %v", got, want)
	}
	if got, want := m.ReceiveCount, 4; got != want {
		t.Errorf("ReceiveCount %d, want %d", got, want)
	}
	if got, want := m.SentAt, time.UnixMilli(1700000000123).UTC(); !got.Equal(want) {
		t.Errorf("SentAt %v, want %v", got, want)
	}
}
