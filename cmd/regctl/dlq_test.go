package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// deadLetter dead-letters an event for entity through the retry middleware,
// as regd does when its handler fails with err.
func deadLetter(tb testing.TB, q *sqs.Client, s resources.Set, entity string, err error) {
	tb.Helper()
	events := queueURL(tb, q, s, string(statemachine.ToEvents))
	copier, cerr := sqsq.NewCopier(q, sqsq.CopierConfig{
		DeadLetters: map[string]string{events: queueURL(tb, q, s, resources.DLQ(string(statemachine.ToEvents)))},
	})
	if cerr != nil {
		tb.Fatal(cerr)
	}
	r, rerr := retry.New(retry.Config{Requeuer: copier, DeadLetterer: copier, Classify: sqsq.ClassifyAWS})
	if rerr != nil {
		tb.Fatal(rerr)
	}
	e := statemachine.Envelope{
		Type: statemachine.CampaignCarrierApproved, SchemaVersion: statemachine.SchemaVersion, EventID: "evt-" + entity,
		EntityID: entity, OccurredAt: asOf, Payload: mustJSON(statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}),
	}
	body, eerr := e.Encode()
	if eerr != nil {
		tb.Fatal(eerr)
	}
	m := &message.Message{
		ID: "m-" + entity, Queue: string(statemachine.ToEvents), QueueURL: events, Body: body,
		Attributes: e.Attributes(), ReceiveCount: 1, SentAt: time.Now(),
	}
	h := message.Chain(func(context.Context, *message.Message) error { return err }, r.Middleware())
	if herr := h(tb.Context(), m); herr != nil {
		tb.Fatalf("retry middleware: %v", herr)
	}
}

// wantRedriven receives one message from the queue at url, checks that it is
// entity's event with a fresh retry state that counts one redrive, and
// returns it.
func wantRedriven(tb testing.TB, q *sqs.Client, url, entity string) types.Message {
	tb.Helper()
	back := receive(tb, q, url, 1)[0]
	if got := envelopes(tb, []types.Message{back})[0].EntityID; got != entity {
		tb.Errorf("queue got the event of %s back, want %s", got, entity)
	}
	if a, err := retry.DecodeAttrs(textAttrs(back), time.Time{}); err != nil || a.Attempt != 1 || a.Redriven != 1 {
		tb.Errorf("redriven copy's retry state %+v (%v), want attempt 1, redriven 1", a, err)
	}
	return back
}

// textAttrs returns the message attributes of m as text.
func textAttrs(m types.Message) map[string]string {
	out := make(map[string]string, len(m.MessageAttributes))
	for name, v := range m.MessageAttributes {
		out[name] = aws.ToString(v.StringValue)
	}
	return out
}

func TestDLQListShowRedrivePurge(t *testing.T) {
	s, _, q := deployment(t)
	deadLetter(t, q, s, "c-unknown", &message.RejectedError{Reason: "unknown record", Code: statemachine.CodeBrandStillPending})
	deadLetter(t, q, s, "c-bad", statemachine.ErrMalformed)
	events, dlq := queueURL(t, q, s, "events"), queueURL(t, q, s, "events-dlq")

	r := run(t, nil, fixedEnv, withPrefix(s, "dlq", "list", "--queue", "events", "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("dlq list: exit %d: %s", r.code, r.stderr)
	}
	var list deadLetters
	decodeJSON(t, r.stdout, &list)
	if table := run(t, nil, fixedEnv, withPrefix(s, "dlq", "list", "--queue", "events")...); !strings.Contains(table.stdout, "m-c-unknown") {
		t.Errorf("dlq list table lacks the original message id m-c-unknown:\n%s", table.stdout)
	}
	if len(list.DeadLetters) != 2 || list.Queue != "events-dlq" {
		t.Fatalf("listed %d dead letters of %s, want 2 of events-dlq:\n%s", len(list.DeadLetters), list.Queue, r.stdout)
	}
	byEntity := map[string]deadLetterView{}
	for _, d := range list.DeadLetters {
		byEntity[d.EntityID] = d
	}
	if d := byEntity["c-unknown"]; d.Reason != "rejected" || d.Class != retry.ClassRejected || d.Code != statemachine.CodeBrandStillPending ||
		d.EventType != statemachine.CampaignCarrierApproved || d.Attempt != 1 || d.SourceQueue != events || d.Body != "" ||
		d.OriginalMessageID != "m-c-unknown" || d.MessageID == d.OriginalMessageID {
		t.Errorf("c-unknown listed as %+v, want rejected with code 30994, attempt 1, from the events queue, no body, "+
			"its own message id and the original's (m-c-unknown, as the logs name it)", d)
	}
	if d := byEntity["c-bad"]; d.Reason != "malformed" || d.Class != retry.ClassMalformed {
		t.Errorf("c-bad listed as %+v, want malformed", d)
	}
	if visible, _, _ := depth(t, q, dlq); visible != "2" {
		t.Errorf("after the listing %s dead letters are visible, want 2", visible)
	}

	id := byEntity["c-unknown"].MessageID
	r = run(t, nil, fixedEnv, withPrefix(s, "dlq", "show", "--queue", "events-dlq", id)...)
	for _, want := range []string{"message id    " + id, "original id   m-c-unknown", "reason        rejected", "code          30994",
		"error:\n  rejected: unknown record (30994)", `"entity_id": "c-unknown"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dlq show output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, nil, fixedEnv, withPrefix(s, "dlq", "show", "--queue", "events", "no-such-id")...); r.code != exitFailure ||
		!strings.Contains(r.stderr, "not in the dead-letter queue") {
		t.Errorf("dlq show of an absent message: exit %d, stderr %q; want 1 and why", r.code, r.stderr)
	}

	r = run(t, nil, nil, withPrefix(s, "dlq", "redrive", "--queue", "events", id)...)
	if r.code != exitOK || r.stdout != "sent 1 messages of events-dlq back to their queues\n" {
		t.Fatalf("dlq redrive: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	wantRedriven(t, q, events, "c-unknown")
	if visible, _, _ := depth(t, q, dlq); visible != "1" {
		t.Errorf("%s dead letters left, want 1", visible)
	}

	r = run(t, nil, nil, withPrefix(s, "dlq", "purge", "--queue", "events")...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "add --yes-really-purge") {
		t.Errorf("purge without confirmation: exit %d, stderr %q; want 2 and how to confirm", r.code, r.stderr)
	}
	if visible, _, _ := depth(t, q, dlq); visible != "1" {
		t.Errorf("unconfirmed purge left %s dead letters, want 1", visible)
	}
	r = run(t, nil, nil, withPrefix(s, "dlq", "purge", "--queue", "events", "--yes-really-purge")...)
	if r.code != exitOK {
		t.Fatalf("purge: exit %d: %s", r.code, r.stderr)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		visible, inFlight, _ := depth(t, q, dlq)
		if visible == "0" && inFlight == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the purge: %s visible, %s in flight; want an empty dead-letter queue", visible, inFlight)
		}
	}
}

func TestDLQUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no queue", []string{"dlq", "list"}, "--queue is required"},
		{"unknown queue", []string{"dlq", "list", "--queue", "sms"}, `--queue "sms": want events, registry`},
		{"limit", []string{"dlq", "list", "--queue", "events", "--limit", "0"}, "--limit 0: want a positive number"},
		{"show without id", []string{"dlq", "show", "--queue", "events"}, "want one message id"},
		{"redrive nothing", []string{"dlq", "redrive", "--queue", "events"}, "give message ids, or --all"},
		{"redrive both", []string{"dlq", "redrive", "--queue", "events", "--all", "m1"}, "give message ids or --all, not both"},
		{"purge unconfirmed", []string{"dlq", "purge", "--queue", "numbers"}, "purging deletes every message of numbers-dlq for good"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, exitUsage; got != want {
				t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.stderr)
			}
		})
	}
	if got, err := parseDLQ("tmobile-dlq"); err != nil || got != "tmobile-dlq" {
		t.Errorf(`parseDLQ("tmobile-dlq") = %q, %v; want the dead-letter queue's own name accepted`, got, err)
	}
}

// A dead letter SQS's RedrivePolicy moved names no source queue: redrive
// leaves it, saying how to send it back, and --to sends it to the queue the
// operator names.
func TestDLQRedriveToANamedQueue(t *testing.T) {
	s, _, q := deployment(t)
	events, dlq := queueURL(t, q, s, "events"), queueURL(t, q, s, "events-dlq")
	// What SQS moves is the message as it was sent: the envelope attributes,
	// no dead-letter facts.
	moved, err := sqsq.NewProducer(q, dlq)
	if err != nil {
		t.Fatal(err)
	}
	if err := moved.Send(t.Context(), statemachine.Envelope{
		Type: statemachine.CampaignCarrierApproved, EventID: "evt-moved", EntityID: "c-moved", OccurredAt: asOf,
		Payload: mustJSON(statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}),
	}); err != nil {
		t.Fatal(err)
	}

	r := run(t, nil, nil, withPrefix(s, "dlq", "redrive", "--queue", "events", "--all")...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "names no source queue") || !strings.Contains(r.stderr, "--to") {
		t.Errorf("redrive without --to: exit %d, stderr %q; want 1, why, and --to", r.code, r.stderr)
	}
	r = run(t, nil, nil, withPrefix(s, "dlq", "redrive", "--queue", "events", "--to", "events", "--all")...)
	if r.code != exitOK || r.stdout != "sent 1 messages of events-dlq to events\n" {
		t.Fatalf("redrive --to events: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if back := wantRedriven(t, q, events, "c-moved"); textAttrs(back)[statemachine.AttrEventID] != "evt-moved" {
		t.Errorf("redriven copy's attributes %v, want event_id evt-moved", textAttrs(back))
	}
	if visible, inFlight, _ := depth(t, q, dlq); visible != "0" || inFlight != "0" {
		t.Errorf("events-dlq holds %s visible, %s in flight after the redrive; want nothing", visible, inFlight)
	}
	if r := run(t, nil, nil, withPrefix(s, "dlq", "redrive", "--queue", "events", "--to", "sms", "--all")...); r.code != exitUsage ||
		!strings.Contains(r.stderr, `--to "sms": want events, registry`) {
		t.Errorf("redrive --to sms: exit %d, stderr %q; want 2 and the queues", r.code, r.stderr)
	}
}
