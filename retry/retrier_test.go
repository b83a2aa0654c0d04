package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// rig is a Retrier over a fake SQS, an injected clock and a chosen random
// source, with its observer and logs.
type rig struct {
	queues *fakeQueues
	clock  *clock
	obs    *observer
	logs   *bytes.Buffer
	r      *retry.Retrier
}

func newRig(tb testing.TB, pol retry.Policy, rnd retry.Rand) *rig {
	tb.Helper()
	return newRigWith(tb, retry.Policies{Default: pol}, rnd)
}

// clientPolicies are testPolicy with a 4xx budget of 3 attempts, 30 s
// doubling to a minute.
var clientPolicies = retry.Policies{Default: testPolicy, Client: retry.Policy{MaxAttempts: 3, Base: 30 * time.Second, Cap: time.Minute}}

// noTransport is the classifier of a rig without a transport: it recognises
// no error.
var noTransport retry.Classifier = func(error) retry.Class { return "" }

// newRigWith is newRig with every policy given.
func newRigWith(tb testing.TB, pols retry.Policies, rnd retry.Rand) *rig {
	tb.Helper()
	g := &rig{queues: &fakeQueues{}, clock: &clock{now: t0}, obs: newObserver(), logs: &bytes.Buffer{}}
	r, err := retry.New(retry.Config{
		Requeuer:     g.queues,
		DeadLetterer: g.queues,
		Classify:     noTransport,
		Policies:     pols,
		Rand:         rnd,
		Now:          g.clock.Now,
		Logger:       slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observer:     g.obs,
	})
	if err != nil {
		tb.Fatal(err)
	}
	g.r = r
	return g
}

// handler wraps h in the retry middleware and Recover, in production order.
func (g *rig) handler(h message.Handler) message.Handler {
	return message.Chain(h, g.r.Middleware(), message.Recover())
}

// deliverCopy moves the clock by the last copy's delay and returns the copy
// as SQS would deliver it.
func (g *rig) deliverCopy(tb testing.TB) *message.Message {
	tb.Helper()
	in := g.queues.last(tb)
	g.clock.advance(time.Duration(in.DelaySeconds) * time.Second)
	return redeliver(in, g.clock.now)
}

var testPolicy = retry.Policy{MaxAttempts: 5, Base: 2 * time.Second, Cap: 10 * time.Second,
	MaxDeferrals: 3, DeferBase: time.Minute, DeferCap: time.Hour}

func TestTransientFailuresSucceedOnAttemptN(t *testing.T) {
	tests := []struct {
		name       string
		failures   int // before the success
		wantDelays []int32
	}{
		{name: "first attempt", failures: 0},
		{name: "second attempt", failures: 1, wantDelays: []int32{2}},
		{name: "last attempt", failures: 4, wantDelays: []int32{2, 4, 8, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			var attempts []int
			h := g.handler(func(_ context.Context, m *message.Message) error {
				a, err := retry.DecodeAttrs(m.Attributes, m.SentAt)
				if err != nil {
					t.Fatal(err)
				}
				attempts = append(attempts, a.Attempt)
				if len(attempts) <= tt.failures {
					return fmt.Errorf("call registry: %w", statusError(503))
				}
				return nil
			})

			m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
			var delays []int32
			for range testPolicy.MaxAttempts {
				if err := h(t.Context(), m); err != nil {
					t.Fatalf("attempt %d: got error %v, want nil (copy sent or success)", len(attempts), err)
				}
				if len(attempts) > tt.failures {
					break
				}
				in := g.queues.last(t)
				if got, want := in.QueueURL, srcURL; got != want {
					t.Fatalf("copy sent to %s, want the same queue %s", got, want)
				}
				a := retryAttrs(t, in)
				if got, want := a, (retry.Attrs{Attempt: len(attempts) + 1, FirstSeen: t0, LastError: retry.ClassServer}); got != want {
					t.Errorf("copy retry state = %+v, want %+v", got, want)
				}
				delays = append(delays, in.DelaySeconds)
				m = g.deliverCopy(t)
			}

			if got, want := attempts, seq(1, tt.failures+1); !slices.Equal(got, want) {
				t.Errorf("handler saw attempts %v, want %v", got, want)
			}
			if got, want := delays, tt.wantDelays; !slices.Equal(got, want) {
				t.Errorf("DelaySeconds = %v, want %v (min(cap, base·2^(n−1)) at the top of the jitter)", got, want)
			}
			if got, want := g.queues.count(), tt.failures; got != want {
				t.Errorf("%d messages sent, want %d copies", got, want)
			}
			if got, want := g.obs.retried[retry.ClassServer], tt.failures; got != want {
				t.Errorf("observer: %d retries, want %d", got, want)
			}
			if got, want := strings.Count(g.logs.String(), `msg="retry scheduled"`), tt.failures; got != want {
				t.Errorf("%d retry log lines, want one per decision (%d)", got, want)
			}
		})
	}
}

func TestJitterStaysWithinPolicy(t *testing.T) {
	pol := retry.Policy{MaxAttempts: 10, Base: 3 * time.Second, Cap: time.Minute}
	delays := func(seed uint64) []int32 {
		g := newRig(t, pol, rand.New(rand.NewPCG(seed, seed)))
		h := g.handler(func(context.Context, *message.Message) error { return statusError(503) })
		m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
		var out []int32
		for range pol.MaxAttempts - 1 {
			if err := h(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			out = append(out, g.queues.last(t).DelaySeconds)
			m = g.deliverCopy(t)
		}
		return out
	}

	got := delays(1)
	for i, d := range got {
		bound := min(pol.Cap, pol.Base<<i)
		if d < 0 || time.Duration(d)*time.Second > bound+time.Second-1 {
			t.Errorf("retry %d: DelaySeconds %d outside [0, %v]", i+1, d, bound)
		}
	}
	if again := delays(1); !slices.Equal(got, again) {
		t.Errorf("same seed gave %v, then %v", got, again)
	}
	if other := delays(2); slices.Equal(got, other) {
		t.Errorf("seeds 1 and 2 gave the same delays %v: no jitter", got)
	}
}

func TestExhaustedRetriesDeadLetterOnce(t *testing.T) {
	g := newRig(t, testPolicy, maxRand{})
	h := g.handler(func(context.Context, *message.Message) error { return statusError(503) })
	m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
	for range testPolicy.MaxAttempts {
		if err := h(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		m = g.deliverCopy(t)
	}

	var dead []*sent
	for _, in := range g.queues.sent {
		if in.QueueURL == dlqURL {
			dead = append(dead, in)
		}
	}
	if got, want := len(dead), 1; got != want {
		t.Fatalf("%d dead letters, want %d", got, want)
	}
	d := dead[0]
	if got, want := len(g.queues.sent), testPolicy.MaxAttempts; got != want {
		t.Errorf("%d sends, want %d copies and the dead letter", got, want)
	}
	wantFacts := "reason=exhausted;class=server;at=" + strconv.FormatInt(t0.Add((2+4+8+10)*time.Second).UnixMilli(), 10) + ";source=" + srcURL + ";message_id=copy"
	for _, c := range []struct{ name, got, want string }{
		{"dead_letter", attr(d, retry.AttrDeadLetter), wantFacts},
		{"dead_letter_error", attr(d, retry.AttrDeadLetterError), "downstream answered 503"},
		{"retry", attr(d, retry.AttrRetry), "attempt=5;first_seen=" + strconv.FormatInt(t0.UnixMilli(), 10) + ";last_error=server"},
		{"event_type", attr(d, statemachine.AttrEventType), string(statemachine.CampaignCarrierApproved)},
		{"body", string(d.Body), string(newMessage(t, statemachine.CampaignCarrierApproved, nil).Body)},
	} {
		if c.got != c.want {
			t.Errorf("dead letter %s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := d.DelaySeconds, int32(0); got != want {
		t.Errorf("dead letter DelaySeconds = %d, want %d", got, want)
	}
	if got, want := g.obs.deadLettered[retry.ReasonExhausted], 1; got != want {
		t.Errorf("observer: %d exhausted dead letters, want %d", got, want)
	}
}

func TestPermanentClassesDeadLetterAtOnce(t *testing.T) {
	decodeErr := func(body string) error {
		_, err := statemachine.DecodeEnvelope([]byte(body))
		if err == nil {
			t.Fatalf("DecodeEnvelope(%q) succeeded", body)
		}
		return fmt.Errorf("decode envelope: %w", err)
	}
	valid := `"event_id":"e","entity_id":"x","occurred_at":"2026-03-01T12:00:00Z"`
	tests := []struct {
		err       error
		class     retry.Class
		wantFacts string // after reason and class, before at
	}{
		{err: decodeErr(`{"type":`), class: retry.ClassMalformed},
		{err: decodeErr(`{"type":"brand.nope","schema_version":1,` + valid + `}`), class: retry.ClassUnknownEvent},
		{err: decodeErr(strings.Repeat(" ", statemachine.MaxBodyBytes+1)), class: retry.ClassTooLarge},
		{err: fmt.Errorf("dispatch cmp-1: %w", &message.RejectedError{Reason: "brand failed", Code: statemachine.CodeInvalidEIN}),
			class: retry.ClassRejected, wantFacts: ";code=30795"},
		{err: fmt.Errorf("call registry: %w", &downstreamError{status: 400, code: 30795, body: "invalid EIN"}), class: retry.ClassClient},
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			calls := 0
			h := g.handler(func(context.Context, *message.Message) error { calls++; return tt.err })
			if err := h(t.Context(), newMessage(t, statemachine.CampaignCarrierApproved, nil)); err != nil {
				t.Fatal(err)
			}
			if got, want := g.queues.count(), 1; got != want {
				t.Fatalf("%d sends, want the dead letter only", got)
			}
			d := g.queues.last(t)
			if got, want := d.QueueURL, dlqURL; got != want {
				t.Errorf("sent to %s, want the DLQ %s", got, want)
			}
			want := "reason=" + string(tt.class) + ";class=" + string(tt.class) + tt.wantFacts +
				";at=" + strconv.FormatInt(t0.UnixMilli(), 10) + ";source=" + srcURL + ";message_id=orig-1"
			if got := attr(d, retry.AttrDeadLetter); got != want {
				t.Errorf("dead_letter = %q, want %q", got, want)
			}
			if got, want := attr(d, retry.AttrDeadLetterError), tt.err.Error(); !strings.HasPrefix(want, got) || got == "" {
				t.Errorf("dead_letter_error = %q, want a prefix of %q", got, want)
			}
			if got, want := calls, 1; got != want {
				t.Errorf("handler ran %d times, want %d", got, want)
			}
			if got, want := g.obs.deadLettered[string(tt.class)], 1; got != want {
				t.Errorf("observer: %d dead letters with reason %s, want %d", got, tt.class, want)
			}
		})
	}
}

// A 4xx that refuses no command (an expired key, a permission, a wrong path)
// is retried on the Client budget, whatever the event's policy, and then
// dead-lettered with its status and body excerpt; the handler never records
// a refusal.
func TestDownstream4xxRetriesOnItsBudgetThenDeadLetters(t *testing.T) {
	for _, status := range []int{401, 403, 404, 409, 400} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			g := newRigWith(t, clientPolicies, maxRand{})
			failure := fmt.Errorf("registry cmd.brand.submit: %w", &downstreamError{status: status, body: "invalid api key for account 42"})
			h := g.handler(func(context.Context, *message.Message) error { return failure })
			m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
			var delays []int32
			for range 3 {
				if err := h(t.Context(), m); err != nil {
					t.Fatal(err)
				}
				in := g.queues.last(t)
				if in.QueueURL == dlqURL {
					break
				}
				delays = append(delays, in.DelaySeconds)
				m = g.deliverCopy(t)
			}
			if got, want := delays, []int32{30, 60}; !slices.Equal(got, want) {
				t.Errorf("retry delays %v, want %v", got, want)
			}
			d := g.queues.last(t)
			if got, want := d.QueueURL, dlqURL; got != want {
				t.Fatalf("last copy sent to %s, want the DLQ %s", got, want)
			}
			if got, want := attr(d, retry.AttrDeadLetter), "reason=exhausted;class=http_client;"; !strings.HasPrefix(got, want) {
				t.Errorf("dead_letter = %q, want it to start %q", got, want)
			}
			if got, want := attr(d, retry.AttrDeadLetterError), "http "+strconv.Itoa(status)+": invalid api key for account 42"; !strings.Contains(got, want) {
				t.Errorf("dead_letter_error = %q, want it to name %q", got, want)
			}
			if got, want := g.obs.retried[retry.ClassHTTPClient], 2; got != want {
				t.Errorf("observer: %d retries of class http_client, want %d", got, want)
			}
		})
	}
}

// TestClientFailuresCountApartFromOtherFailures: a command that spent its
// attempts on 503s and then meets a 401 (a key expired meanwhile) gets the
// 4xx budget in full, counted on its own, with its own backoff from the
// start; the 4xx failures do not spend the 503s' attempts either.
func TestClientFailuresCountApartFromOtherFailures(t *testing.T) {
	unavailable := statusError(503)
	expired := fmt.Errorf("registry cmd.brand.submit: %w", &downstreamError{status: 401, body: "api key expired"})
	newRigWith(t, clientPolicies, maxRand{}).runSteps(t, []retryStep{
		{err: unavailable, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 2, LastError: retry.ClassServer}, wantDelay: 2},
		{err: unavailable, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 3, LastError: retry.ClassServer}, wantDelay: 4},
		{err: unavailable, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 4, LastError: retry.ClassServer}, wantDelay: 8},
		{err: expired, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 4, ClientFailures: 1, LastError: retry.ClassHTTPClient}, wantDelay: 30},
		{err: expired, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 4, ClientFailures: 2, LastError: retry.ClassHTTPClient}, wantDelay: 60},
		{err: unavailable, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 5, ClientFailures: 2, LastError: retry.ClassServer}, wantDelay: 10},
		{err: expired, wantQueue: dlqURL, wantState: retry.Attrs{Attempt: 5, ClientFailures: 2, LastError: retry.ClassHTTPClient},
			wantReason: "reason=exhausted;class=http_client;"},
	})
}

// retryStep is one delivery of a message whose handler fails with err, and
// what the retry middleware must send for it.
type retryStep struct {
	err        error
	wantQueue  string // where the copy or dead letter went
	wantState  retry.Attrs
	wantDelay  int32
	wantReason string // dead letters only
}

// runSteps delivers one message, then each copy the middleware sends, to a
// handler failing as the steps say, and checks every copy.
func (g *rig) runSteps(t *testing.T, steps []retryStep) {
	t.Helper()
	i := 0
	h := g.handler(func(context.Context, *message.Message) error { return steps[i].err })
	m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
	for ; i < len(steps); i++ {
		s := steps[i]
		if err := h(t.Context(), m); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		in := g.queues.last(t)
		want := s.wantState
		want.FirstSeen = t0
		if got := retryAttrs(t, in); got != want {
			t.Errorf("step %d: retry state %+v, want %+v", i+1, got, want)
		}
		if got := in.QueueURL; got != s.wantQueue {
			t.Errorf("step %d: sent to %s, want %s", i+1, got, s.wantQueue)
		}
		if got := in.DelaySeconds; got != s.wantDelay {
			t.Errorf("step %d: DelaySeconds %d, want %d", i+1, got, s.wantDelay)
		}
		if got := attr(in, retry.AttrDeadLetter); !strings.HasPrefix(got, s.wantReason) {
			t.Errorf("step %d: dead_letter %q, want it to start with %q", i+1, got, s.wantReason)
		}
		if s.wantQueue == dlqURL {
			return
		}
		m = g.deliverCopy(t)
	}
}

func TestDeferralsCountApartFromFailures(t *testing.T) {
	deferred := &message.DeferredError{Reason: "reviewer approval not applied yet"}
	failed := statusError(503)
	pol := retry.Policy{MaxAttempts: 2, Base: time.Second, Cap: time.Second,
		MaxDeferrals: 3, DeferBase: time.Minute, DeferCap: time.Hour}
	tests := []struct {
		name  string
		steps []retryStep
	}{
		{
			name: "deferrals exhaust on their own",
			steps: []retryStep{
				{err: deferred, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 1, Deferrals: 1, LastError: retry.ClassDeferred}, wantDelay: 60},
				{err: deferred, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 1, Deferrals: 2, LastError: retry.ClassDeferred}, wantDelay: 120},
				{err: deferred, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 1, Deferrals: 3, LastError: retry.ClassDeferred}, wantDelay: 240},
				{err: deferred, wantQueue: dlqURL, wantState: retry.Attrs{Attempt: 1, Deferrals: 3, LastError: retry.ClassDeferred}, wantReason: "reason=exhausted;class=deferred"},
			},
		},
		{
			name: "failures between deferrals keep their own count",
			steps: []retryStep{
				{err: deferred, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 1, Deferrals: 1, LastError: retry.ClassDeferred}, wantDelay: 60},
				{err: failed, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 2, Deferrals: 1, LastError: retry.ClassServer}, wantDelay: 1},
				{err: deferred, wantQueue: srcURL, wantState: retry.Attrs{Attempt: 2, Deferrals: 2, LastError: retry.ClassDeferred}, wantDelay: 120},
				{err: failed, wantQueue: dlqURL, wantState: retry.Attrs{Attempt: 2, Deferrals: 2, LastError: retry.ClassServer}, wantReason: "reason=exhausted;class=server"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newRig(t, pol, maxRand{}).runSteps(t, tt.steps)
		})
	}
}

func TestLongDelaysHop(t *testing.T) {
	pol := retry.Policy{MaxAttempts: 3, Base: 40 * time.Minute, Cap: 40 * time.Minute}
	tests := []struct {
		name       string
		arrivals   []time.Duration // after the first failure, when each copy is delivered
		wantDelays []int32         // DelaySeconds of every send, the first copy included
		wantCalls  int
	}{
		{name: "hops on time until not_before", arrivals: []time.Duration{900 * time.Second, 1800 * time.Second, 2400 * time.Second},
			wantDelays: []int32{900, 900, 600}, wantCalls: 2},
		{name: "a late hop waits only the rest", arrivals: []time.Duration{1000 * time.Second, 2400 * time.Second},
			wantDelays: []int32{900, 900}, wantCalls: 2},
		{name: "under a second left rounds up to one", arrivals: []time.Duration{2399*time.Second + 300*time.Millisecond, 2400 * time.Second},
			wantDelays: []int32{900, 1}, wantCalls: 2},
		{name: "a copy delivered after not_before is handled", arrivals: []time.Duration{3000 * time.Second},
			wantDelays: []int32{900}, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, pol, maxRand{})
			calls := 0
			h := g.handler(func(context.Context, *message.Message) error {
				calls++
				if calls == 1 {
					return statusError(503)
				}
				return nil
			})
			if err := h(t.Context(), newMessage(t, statemachine.CampaignCarrierApproved, nil)); err != nil {
				t.Fatal(err)
			}
			first := g.queues.last(t)
			if got, want := retryAttrs(t, first).NotBefore, t0.Add(40*time.Minute); !got.Equal(want) {
				t.Errorf("not_before = %v, want %v", got, want)
			}
			for _, at := range tt.arrivals {
				g.clock.now = t0.Add(at)
				if err := h(t.Context(), redeliver(g.queues.last(t), g.clock.now)); err != nil {
					t.Fatal(err)
				}
			}
			var delays []int32
			for _, in := range g.queues.sent {
				delays = append(delays, in.DelaySeconds)
				if got, want := attr(in, retry.AttrRetry), attr(first, retry.AttrRetry); got != want {
					t.Errorf("hop carries retry %q, want it unchanged %q", got, want)
				}
			}
			if !slices.Equal(delays, tt.wantDelays) {
				t.Errorf("DelaySeconds = %v, want %v", delays, tt.wantDelays)
			}
			if got, want := calls, tt.wantCalls; got != want {
				t.Errorf("handler ran %d times, want %d (hops do not run it)", got, want)
			}
			if got, want := g.obs.retried[retry.ClassServer], 1; got != want {
				t.Errorf("observer: %d retries, want %d (hops are not attempts)", got, want)
			}
		})
	}
}

func TestBadAttributesDeadLetter(t *testing.T) {
	ahead := strconv.FormatInt(t0.Add(48*time.Hour).UnixMilli(), 10)
	tests := []struct{ name, value string }{
		{"empty", ""},
		{"not key=value", "attempt"},
		{"non-numeric attempt", "attempt=two"},
		{"negative attempt", "attempt=-1"},
		{"attempt zero", "attempt=0"},
		{"absurd attempt", "attempt=99999"},
		{"absurd deferrals", "attempt=1;deferrals=10001"},
		{"repeated field", "attempt=1;attempt=2"},
		{"first_seen in 1970", "attempt=2;first_seen=12"},
		{"not_before two days ahead", "attempt=2;not_before=" + ahead},
		{"last_error not a class word", "attempt=2;last_error=Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			calls := 0
			h := g.handler(func(context.Context, *message.Message) error { calls++; return nil })
			if err := h(t.Context(), newMessage(t, statemachine.CampaignCarrierApproved, map[string]string{retry.AttrRetry: tt.value})); err != nil {
				t.Fatal(err)
			}
			if calls != 0 {
				t.Errorf("handler ran %d times, want 0", calls)
			}
			d := g.queues.last(t)
			if got, want := d.QueueURL, dlqURL; got != want {
				t.Fatalf("sent to %s, want %s", got, want)
			}
			if got, want := attr(d, retry.AttrDeadLetter), "reason=bad_attributes;class=bad_attributes;"; !strings.HasPrefix(got, want) {
				t.Errorf("dead_letter = %q, want it to start with %q", got, want)
			}
			if got, want := attr(d, retry.AttrRetry), tt.value; got != want {
				t.Errorf("dead letter keeps retry %q, want the unreadable value %q", got, want)
			}
			if got, want := g.obs.deadLettered[string(retry.ClassBadAttributes)], 1; got != want {
				t.Errorf("observer: %d bad_attributes dead letters, want %d", got, want)
			}
		})
	}
}

func TestPanicLosesNoMessage(t *testing.T) {
	tests := []struct {
		name       string
		panics     int // before the handler succeeds
		wantSends  []string
		wantReason string
	}{
		{name: "one panic, then success", panics: 1, wantSends: []string{srcURL}},
		{name: "panics every time", panics: 99, wantSends: []string{srcURL, srcURL, srcURL, srcURL, dlqURL}, wantReason: "reason=exhausted;class=panic;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			calls := 0
			h := g.handler(func(context.Context, *message.Message) error {
				calls++
				if calls <= tt.panics {
					panic("nil record")
				}
				return nil
			})
			m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
			for range testPolicy.MaxAttempts {
				if err := h(t.Context(), m); err != nil {
					t.Fatalf("call %d: got %v, want nil once the copy is sent", calls, err)
				}
				if calls > tt.panics || g.queues.last(t).QueueURL == dlqURL {
					break
				}
				if got, want := retryAttrs(t, g.queues.last(t)).LastError, retry.ClassPanic; got != want {
					t.Errorf("last_error = %s, want %s", got, want)
				}
				m = g.deliverCopy(t)
			}
			var sends []string
			for _, in := range g.queues.sent {
				sends = append(sends, in.QueueURL)
			}
			if !slices.Equal(sends, tt.wantSends) {
				t.Errorf("sent to %v, want %v", sends, tt.wantSends)
			}
			if tt.wantReason != "" {
				d := g.queues.last(t)
				if got := attr(d, retry.AttrDeadLetter); !strings.HasPrefix(got, tt.wantReason) {
					t.Errorf("dead_letter = %q, want it to start with %q", got, tt.wantReason)
				}
				if got, want := attr(d, retry.AttrDeadLetterError), "panic: nil record"; got != want {
					t.Errorf("dead_letter_error = %q, want %q", got, want)
				}
			}
			if !strings.Contains(g.logs.String(), "stack=") {
				t.Error("the decision log does not carry the panic's stack")
			}
		})
	}
}

func TestFailedSendKeepsTheOriginal(t *testing.T) {
	errSend := errors.New("sqs unavailable")
	tests := []struct {
		name       string
		handlerErr error
		queueURL   string
		wantErr    error
	}{
		{name: "retry copy not sent", handlerErr: statusError(503), queueURL: srcURL, wantErr: errSend},
		{name: "dead letter not sent", handlerErr: &message.RejectedError{Reason: "unknown record"}, queueURL: srcURL, wantErr: errSend},
		{name: "no dead-letter queue", handlerErr: &message.RejectedError{Reason: "unknown record"}, queueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/orphan",
			wantErr: retry.ErrNoDeadLetterQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeQueues{sendErr: errSend}
			obs := newObserver()
			r, err := retry.New(retry.Config{Requeuer: fake, DeadLetterer: fake, Classify: noTransport, Observer: obs, Now: (&clock{now: t0}).Now})
			if err != nil {
				t.Fatal(err)
			}
			h := r.Middleware()(func(context.Context, *message.Message) error { return tt.handlerErr })
			m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
			m.QueueURL = tt.queueURL
			err = h(t.Context(), m)
			if err == nil {
				t.Fatal("got nil, want an error so that the runtime keeps the original")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want it to wrap %v", err, tt.wantErr)
			}
			if !errors.Is(err, tt.handlerErr) {
				t.Errorf("got %v, want it to wrap the handler's error %v", err, tt.handlerErr)
			}
			if len(obs.retried)+len(obs.deadLettered) != 0 {
				t.Errorf("observer counted %v %v for a decision that did not happen", obs.retried, obs.deadLettered)
			}
		})
	}
}

func TestShutdownLeavesTheMessageUndecided(t *testing.T) {
	g := newRig(t, testPolicy, maxRand{})
	ctx, cancel := context.WithCancel(t.Context())
	h := g.handler(func(ctx context.Context, _ *message.Message) error { cancel(); return ctx.Err() })
	err := h(ctx, newMessage(t, statemachine.CampaignCarrierApproved, nil))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if got := g.queues.count(); got != 0 {
		t.Errorf("%d sends during shutdown, want 0", got)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	ok := &fakeQueues{}
	tests := []struct {
		name    string
		cfg     retry.Config
		wantErr []string // fragments; nil: valid
	}{
		{name: "defaults", cfg: retry.Config{Requeuer: ok, DeadLetterer: ok, Classify: noTransport}},
		{name: "nothing given", cfg: retry.Config{}, wantErr: []string{"Requeuer is required", "DeadLetterer is required", "Classify is required"}},
		{name: "bad policies", cfg: retry.Config{Requeuer: ok, DeadLetterer: ok, Classify: noTransport, Policies: retry.Policies{
			Default: retry.Policy{MaxAttempts: -1},
			ByEvent: map[statemachine.EventType]retry.Policy{
				statemachine.CampaignSubmit: {MaxAttempts: 3, Base: time.Minute, Cap: time.Second},
				statemachine.BrandVerified:  {MaxAttempts: 1, MaxDeferrals: 2, DeferBase: time.Second, DeferCap: 48 * time.Hour},
			},
		}}, wantErr: []string{
			"policy default: MaxAttempts -1: want 1 to 10000",
			"policy campaign.submit: Cap 1s: want at least Base 1m0s",
			"policy brand.verified: DeferCap 48h0m0s: want at most 24h0m0s",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := retry.New(tt.cfg)
			if tt.wantErr == nil {
				if err != nil || r == nil {
					t.Fatalf("New = %v, %v; want a Retrier", r, err)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			for _, frag := range tt.wantErr {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("error %q does not mention %q", err, frag)
				}
			}
		})
	}
}

// seq returns from, from+1, ..., to.
func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// limited is a 429 that asks callers to wait, as infra/tcr.HTTPError does.
type limited struct{ after time.Duration }

func (e limited) Error() string             { return "downstream answered 429" }
func (e limited) HTTPStatusCode() int       { return 429 }
func (e limited) RetryDelay() time.Duration { return e.after }

// A downstream's Retry-After is honoured up to the policy's cap: a
// misbehaving (or hostile) downstream cannot park a command for years, nor
// bring it back sooner than the policy's own backoff.
func TestRetryAfterIsHonouredUpToThePolicyCap(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		want  int32 // testPolicy: backoff 2 s (maxRand), cap 10 s
	}{
		{name: "within the cap", after: 7 * time.Second, want: 7},
		{name: "shorter than the backoff", after: time.Second, want: 2},
		{name: "past the cap", after: 42 * time.Second, want: 10},
		{name: "285 years", after: 9_000_000_000 * time.Second, want: 10},
		{name: "negative", after: -5 * time.Second, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			h := g.handler(func(context.Context, *message.Message) error { return limited{after: tt.after} })
			if err := h(t.Context(), newMessage(t, statemachine.CampaignReviewApproved, nil)); err != nil {
				t.Fatal(err)
			}
			in := g.queues.last(t)
			if got, want := in.QueueURL, srcURL; got != want {
				t.Fatalf("copy sent to %s, want the source queue %s", got, want)
			}
			if got := in.DelaySeconds; got != tt.want {
				t.Errorf("DelaySeconds = %d, want %d", got, tt.want)
			}
			if got := attr(in, retry.AttrRetry); strings.Contains(got, "not_before") {
				t.Errorf("retry = %q, want no not_before: the delay fits one send", got)
			}
		})
	}
}
