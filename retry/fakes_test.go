package retry_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

const (
	srcURL = "https://sqs.us-east-1.amazonaws.com/123456789012/events"
	dlqURL = "https://sqs.us-east-1.amazonaws.com/123456789012/events-dlq"
)

// t0 is when the test messages were first sent.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sent is one copy the Retrier sent, as its queue holds it.
type sent struct {
	QueueURL     string
	Body         []byte
	Attributes   map[string]string
	DelaySeconds int32 // the delay rounded up to whole seconds, as a queue delays it
}

// fakeQueues is the Requeuer and the DeadLetterer of the tests: it records
// every copy; sendErr, when set, fails them all. srcURL's dead-letter queue is
// dlqURL; no other queue has one.
type fakeQueues struct {
	mu      sync.Mutex
	sent    []*sent
	sendErr error
}

func (f *fakeQueues) Requeue(_ context.Context, m *message.Message, own map[string]string, delay time.Duration) error {
	return f.put(m.QueueURL, m, own, delay)
}

func (f *fakeQueues) DeadLetter(_ context.Context, m *message.Message, own map[string]string) (string, error) {
	if m.QueueURL != srcURL {
		return "", fmt.Errorf("%w for %s", retry.ErrNoDeadLetterQueue, m.QueueURL)
	}
	return dlqURL, f.put(dlqURL, m, own, 0)
}

// put records a copy of m: its attributes but those the retry package owns,
// and own, empty values left out.
func (f *fakeQueues) put(queueURL string, m *message.Message, own map[string]string, delay time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	attrs := map[string]string{}
	for k, v := range m.Attributes {
		if !slices.Contains(retry.OwnAttributes(), k) {
			attrs[k] = v
		}
	}
	for k, v := range own {
		if v != "" {
			attrs[k] = v
		}
	}
	f.sent = append(f.sent, &sent{QueueURL: queueURL, Body: m.Body, Attributes: attrs,
		DelaySeconds: int32((delay + time.Second - 1) / time.Second)})
	return nil
}

// last returns the most recent copy, failing tb if there was none.
func (f *fakeQueues) last(tb testing.TB) *sent {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		tb.Fatal("nothing was sent")
	}
	return f.sent[len(f.sent)-1]
}

func (f *fakeQueues) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// clock is an injected clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// maxRand always draws the top of the range, so that every backoff equals its
// bound and the delays are exact.
type maxRand struct{}

func (maxRand) Int64N(n int64) int64 { return n - 1 }

// zeroRand always draws 0: no delay at all.
type zeroRand struct{}

func (zeroRand) Int64N(int64) int64 { return 0 }

// observer counts what the Retrier reports.
type observer struct {
	mu           sync.Mutex
	retried      map[retry.Class]int
	deferred     int
	flowDeferred int
	deadLettered map[string]int
}

func newObserver() *observer {
	return &observer{retried: map[retry.Class]int{}, deadLettered: map[string]int{}}
}

func (o *observer) Retried(_ string, c retry.Class) { o.mu.Lock(); o.retried[c]++; o.mu.Unlock() }
func (o *observer) Deferred(string)                 { o.mu.Lock(); o.deferred++; o.mu.Unlock() }
func (o *observer) FlowDeferred(string)             { o.mu.Lock(); o.flowDeferred++; o.mu.Unlock() }
func (o *observer) DeadLettered(_, reason string) {
	o.mu.Lock()
	o.deadLettered[reason]++
	o.mu.Unlock()
}

// statusError is a downstream error carrying an HTTP status.
type statusError int

func (e statusError) Error() string       { return "downstream answered " + strconv.Itoa(int(e)) }
func (e statusError) HTTPStatusCode() int { return int(e) }

// downstreamError is a downstream's non-2xx answer with its reason code and
// a body excerpt, as infra/tcr.HTTPError presents it.
type downstreamError struct {
	status, code int
	body         string
}

func (e *downstreamError) Error() string       { return "http " + strconv.Itoa(e.status) + ": " + e.body }
func (e *downstreamError) HTTPStatusCode() int { return e.status }
func (e *downstreamError) ReasonCode() int     { return e.code }

// envelope returns a valid envelope of type t.
func envelope(tb testing.TB, t statemachine.EventType) statemachine.Envelope {
	tb.Helper()
	e := statemachine.Envelope{
		Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: "evt-1", EntityID: "cmp-1",
		OccurredAt: t0, CorrelationID: "corr-1", Actor: "webhook",
	}
	switch t {
	case statemachine.CampaignCarrierApproved:
		e.Payload = []byte(`{"carrier":"att"}`)
	case statemachine.CampaignReviewApproved:
	default:
		tb.Fatalf("envelope: no payload written for %s", t)
	}
	return e
}

// message returns a first delivery of an envelope of type t, with extra
// attributes besides the envelope mirror.
func newMessage(tb testing.TB, t statemachine.EventType, extra map[string]string) *message.Message {
	tb.Helper()
	e := envelope(tb, t)
	body, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	attrs := e.Attributes()
	for k, v := range extra {
		attrs[k] = v
	}
	return &message.Message{
		ID: "orig-1", Queue: "events", QueueURL: srcURL, ReceiptHandle: "rh-1",
		Body: body, Attributes: attrs, ReceiveCount: 1, SentAt: t0,
	}
}

// redeliver returns the message its queue would deliver for a copy that was
// sent.
func redeliver(in *sent, sentAt time.Time) *message.Message {
	queue := "events"
	if in.QueueURL == dlqURL {
		queue = "events-dlq"
	}
	return &message.Message{
		ID: "copy", Queue: queue, QueueURL: in.QueueURL, ReceiptHandle: "rh-copy",
		Body: in.Body, Attributes: maps.Clone(in.Attributes), ReceiveCount: 1, SentAt: sentAt,
	}
}

// attr returns a message attribute of a copy, or "".
func attr(in *sent, name string) string { return in.Attributes[name] }

// retryAttrs decodes the retry state a send carries.
func retryAttrs(tb testing.TB, in *sent) retry.Attrs {
	tb.Helper()
	a, err := retry.DecodeAttrs(map[string]string{retry.AttrRetry: attr(in, retry.AttrRetry)}, time.Time{})
	if err != nil {
		tb.Fatalf("retry attribute of the copy: %v", err)
	}
	return a
}
