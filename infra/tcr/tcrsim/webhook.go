package tcrsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// event is one logical webhook event: planned when a request is decided, due
// after its step's delay, then dropped, sent, or sent twice. Its EventID stays
// the same through duplicates, retries and replays.
type event struct {
	webhook tcr.WebhookEvent
	step    Step          // whose latency a replay waits
	after   time.Duration // from the request that caused it
	emitted atomic.Bool   // its time has come: it was sent or dropped
}

// webhooks schedules events and delivers them: signed with tcr.Sign, retried
// with backoff on a non-2xx answer or a transport error for a bounded time,
// dropped, duplicated or held back as the config says; every attempt and
// drop is journaled. It is safe for concurrent use.
type webhooks struct {
	cfg      Config
	client   *http.Client
	rnd      *random
	faults   *faults
	counters *tally
	journal  *recorder
	log      *slog.Logger

	ctx    context.Context // canceled by close: stops retries and in-flight deliveries
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	timers map[*time.Timer]struct{} // pending, so that close can stop them
	wg     sync.WaitGroup           // pending timers and running deliveries
}

func newWebhooks(cfg Config, client *http.Client, rnd *random, f *faults, c *tally, j *recorder, log *slog.Logger) *webhooks {
	ctx, cancel := context.WithCancel(context.Background())
	return &webhooks{cfg: cfg, client: client, rnd: rnd, faults: f, counters: c, journal: j, log: log,
		ctx: ctx, cancel: cancel, timers: map[*time.Timer]struct{}{}}
}

// schedule plans the first emission of e, e.after from now.
func (w *webhooks) schedule(e *event) { w.emitAfter(e, e.after) }

// replay sends again, after their steps' delays, the events of a repeated
// request whose time has already come. The others are still on their way.
func (w *webhooks) replay(events []*event) {
	for _, e := range events {
		if e.emitted.Load() {
			w.counters.webhook(e.webhook.EventType, func(s *WebhookStats) { s.Replayed++ })
			w.emitAfter(e, w.rnd.between(w.cfg.Latencies[e.step]))
		}
	}
}

// emitAfter emits e after d, held back further when the reorder knob says so,
// so that a later event may overtake it.
func (w *webhooks) emitAfter(e *event, d time.Duration) {
	if w.rnd.chance(w.cfg.Reorder) {
		d += w.rnd.upTo(w.cfg.ReorderDelay)
		w.counters.webhook(e.webhook.EventType, func(s *WebhookStats) { s.Reordered++ })
	}
	w.after(d, func() { w.emit(e) })
}

// emit decides the fate of e now that its time has come: a targeted fault or
// the drop rate drops it; otherwise it is delivered, and a duplicate follows
// after the step's delay when the duplicate rate says so.
func (w *webhooks) emit(e *event) {
	e.emitted.Store(true)
	t := e.webhook.EventType
	w.counters.webhook(t, func(s *WebhookStats) { s.Emitted++ })
	if w.faults.take(e.webhook) {
		w.log.Info("webhook dropped by fault", "event_type", t, "event_id", e.webhook.EventID)
		w.counters.webhook(t, func(s *WebhookStats) { s.Dropped++; s.DroppedByFault++ })
		w.journal.webhook(e.webhook, DeliveryDropped, 0)
		return
	}
	if w.rnd.chance(w.cfg.Drop) {
		w.counters.webhook(t, func(s *WebhookStats) { s.Dropped++ })
		w.journal.webhook(e.webhook, DeliveryDropped, 0)
		return
	}
	w.deliver(e.webhook, DeliveryDelivered)
	if w.rnd.chance(w.cfg.Duplicate) {
		w.counters.webhook(t, func(s *WebhookStats) { s.Duplicated++ })
		w.after(w.rnd.between(w.cfg.Latencies[e.step]), func() { w.deliver(e.webhook, DeliveryDuplicate) })
	}
}

// after runs f after d unless the simulator closes first.
func (w *webhooks) after(d time.Duration, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer w.wg.Done()
		w.mu.Lock()
		delete(w.timers, t)
		closed := w.closed
		w.mu.Unlock()
		if !closed {
			w.safely(f)
		}
	})
	w.timers[t] = struct{}{}
}

// deliver posts one copy of an event in the background until it is accepted,
// the retry window has passed, or the simulator closes. The accepted attempt
// is journaled as accepted (delivered, or duplicate for the extra copy of a
// duplicated event), the others as failed, but for one cut short by the
// simulator closing.
func (w *webhooks) deliver(e tcr.WebhookEvent, accepted DeliveryOutcome) {
	body, err := json.Marshal(e)
	if err != nil { // a WebhookEvent always encodes; keep the event visible if it ever does not
		w.log.Error("encode webhook", "event_type", e.EventType, "error", err)
		return
	}
	log := w.log.With("event_type", e.EventType, "event_id", e.EventID)
	w.wg.Go(func() {
		w.safely(func() {
			start, backoff := time.Now(), w.cfg.RetryBackoff
			for {
				status, err := w.post(body)
				if err == nil {
					w.counters.webhook(e.EventType, func(s *WebhookStats) { s.Sent++ })
					w.journal.webhook(e, accepted, status)
					return
				}
				if w.ctx.Err() != nil {
					return
				}
				w.journal.webhook(e, DeliveryFailed, status)
				if time.Since(start)+backoff > w.cfg.RetryFor {
					log.Warn("webhook delivery given up", "after", time.Since(start), "error", err)
					w.counters.webhook(e.EventType, func(s *WebhookStats) { s.Failed++ })
					return
				}
				log.Debug("webhook delivery failed; retrying", "in", backoff, "error", err)
				w.counters.webhook(e.EventType, func(s *WebhookStats) { s.Retried++ })
				select {
				case <-time.After(backoff):
				case <-w.ctx.Done():
					return
				}
				backoff = min(2*backoff, maxRetryBackoff)
			}
		})
	})
}

// post makes one signed delivery attempt. It returns the status answered, 0
// for none, and an error unless it is 2xx.
func (w *webhooks) post(body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tcr.SignatureHeader, tcr.Sign(w.cfg.Secret, w.cfg.WebhookURL, body, time.Now()))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// close stops pending timers, cancels deliveries and waits for them.
func (w *webhooks) close() {
	w.mu.Lock()
	w.closed = true
	for t := range w.timers {
		if t.Stop() {
			w.wg.Done()
		}
	}
	clear(w.timers)
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
}

// safely runs f, logging a panic instead of letting it crash the simulator.
func (w *webhooks) safely(f func()) {
	defer func() {
		if v := recover(); v != nil {
			w.log.Error("panic in webhook delivery", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	f()
}
