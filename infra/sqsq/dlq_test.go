package sqsq_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// deadLetterOf runs m through a Retrier whose handler fails with err on
// every attempt, at clock time at, and returns the dead letter it sends.
func deadLetterOf(tb testing.TB, m *message.Message, at time.Time, err error) *sqs.SendMessageInput {
	tb.Helper()
	g := newRig(tb, retry.Policy{MaxAttempts: 1})
	g.clock.now = at
	h := g.handler(func(_ context.Context, _ *message.Message) error { return err })
	if err := h(tb.Context(), m); err != nil {
		tb.Fatal(err)
	}
	d := g.sqs.last(tb)
	if got, want := aws.ToString(d.QueueUrl), dlqURL; got != want {
		tb.Fatalf("sent to %s, want %s", got, want)
	}
	return d
}

// movedByRedrivePolicy is a message SQS moved to the DLQ by itself: no
// dead-letter facts, only its SentTimestamp.
func movedByRedrivePolicy(tb testing.TB, id string, sentAt time.Time) types.Message {
	tb.Helper()
	m := newMessage(tb, statemachine.CampaignReviewApproved, nil)
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range m.Attributes {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return types.Message{
		MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id), Body: aws.String(string(m.Body)),
		MessageAttributes: attrs,
		Attributes:        map[string]string{"SentTimestamp": strconv.FormatInt(sentAt.UnixMilli(), 10)},
	}
}

func TestList(t *testing.T) {
	rejected := deadLetterOf(t, newMessage(t, statemachine.CampaignCarrierApproved, nil), t0.Add(time.Hour),
		&message.RejectedError{Reason: "unknown record", Code: statemachine.CodeBrandStillPending})
	exhausted := deadLetterOf(t, newMessage(t, statemachine.CampaignCarrierApproved, nil), t0.Add(2*time.Hour), statusError(503))
	fake := &fakeDLQ{queue: []types.Message{
		received(exhausted, "m-exhausted"),
		received(rejected, "m-rejected"),
		received(exhausted, "m-exhausted"), // delivered twice
		movedByRedrivePolicy(t, "m-crashed", t0.Add(30*time.Minute)),
	}}

	got, err := sqsq.ListDeadLetters(t.Context(), fake, dlqURL, 0)
	if err != nil {
		t.Fatal(err)
	}
	body := aws.ToString(rejected.MessageBody)
	want := []sqsq.DeadLetter{
		{MessageID: "m-crashed", OriginalMessageID: "m-crashed", Attempt: 1, DeadAt: t0.Add(30 * time.Minute), EventType: statemachine.CampaignReviewApproved,
			EntityID: "cmp-1", Body: aws.ToString(movedByRedrivePolicy(t, "x", t0).Body)},
		{MessageID: "m-rejected", OriginalMessageID: "orig-1", Reason: "rejected", Class: retry.ClassRejected, Code: statemachine.CodeBrandStillPending,
			Error: "rejected: unknown record (30994)", SourceQueue: srcURL, Attempt: 1, FirstSeen: t0,
			DeadAt: t0.Add(time.Hour), Age: time.Hour, EventType: statemachine.CampaignCarrierApproved, EntityID: "cmp-1", Body: body},
		{MessageID: "m-exhausted", OriginalMessageID: "orig-1", Reason: retry.ReasonExhausted, Class: retry.ClassServer,
			Error: "downstream answered 503", SourceQueue: srcURL, Attempt: 1, FirstSeen: t0,
			DeadAt: t0.Add(2 * time.Hour), Age: 2 * time.Hour, EventType: statemachine.CampaignCarrierApproved, EntityID: "cmp-1", Body: body},
	}
	if !slices.EqualFunc(got, want, func(a, b sqsq.DeadLetter) bool { return a == b }) {
		t.Errorf("List =\n%+v\nwant (oldest death first, the duplicate once)\n%+v", got, want)
	}
	if got, want := len(fake.released), 4; got != want {
		t.Errorf("%d receipt handles made visible again, want every one received (%d)", got, want)
	}
	if len(fake.deleted) != 0 || fake.count() != 0 {
		t.Errorf("List deleted %v and sent %d messages, want neither", fake.deleted, fake.count())
	}
}

func TestListStopsAtMax(t *testing.T) {
	d := deadLetterOf(t, newMessage(t, statemachine.CampaignCarrierApproved, nil), t0, statusError(503))
	fake := &fakeDLQ{}
	for i := range 25 {
		fake.queue = append(fake.queue, received(d, "m-"+strconv.Itoa(i)))
	}
	got, err := sqsq.ListDeadLetters(t.Context(), fake, dlqURL, 12)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(got), 12; got != want {
		t.Errorf("List returned %d, want %d", got, want)
	}
	if got, want := len(fake.released), 12; got != want {
		t.Errorf("%d made visible again, want %d (it received no more than asked)", got, want)
	}
}

func TestRedrive(t *testing.T) {
	redrivenOnce := newMessage(t, statemachine.CampaignCarrierApproved, map[string]string{retry.AttrRetry: "attempt=4;redriven=1;first_seen=" + strconv.FormatInt(t0.UnixMilli(), 10)})
	queue := func() []types.Message {
		return []types.Message{
			received(deadLetterOf(t, newMessage(t, statemachine.CampaignCarrierApproved, nil), t0.Add(time.Hour), &message.RejectedError{Reason: "unknown record"}), "m-a"),
			received(deadLetterOf(t, redrivenOnce, t0.Add(time.Hour), statusError(503)), "m-b"),
			movedByRedrivePolicy(t, "m-crashed", t0),
		}
	}
	first := strconv.FormatInt(t0.UnixMilli(), 10)
	tests := []struct {
		name         string
		ids          []string
		to           string // queue URL given to RedriveTo; "" for the source queues
		wantN        int
		wantErrs     []error
		wantRetry    []string // retry attribute of each copy sent back
		wantDeleted  []string
		wantReleased []string
	}{
		{name: "selected ids", ids: []string{"m-a", "m-gone"}, wantN: 1, wantErrs: []error{sqsq.ErrNotFound},
			wantRetry:   []string{"attempt=1;first_seen=" + first + ";redriven=1"},
			wantDeleted: []string{"rh-m-a"}, wantReleased: []string{"rh-m-b", "rh-m-crashed"}},
		{name: "all", ids: nil, wantN: 2, wantErrs: []error{sqsq.ErrNoSource},
			wantRetry:   []string{"attempt=1;first_seen=" + first + ";redriven=1", "attempt=1;first_seen=" + first + ";redriven=2"},
			wantDeleted: []string{"rh-m-a", "rh-m-b"}, wantReleased: []string{"rh-m-crashed"}},
		{name: "none", ids: []string{}, wantN: 0,
			wantReleased: nil},
		{name: "all to a named queue, with or without a source", ids: nil, to: srcURL + "-other", wantN: 3,
			wantRetry:   []string{"attempt=1;first_seen=" + first + ";redriven=1", "attempt=1;first_seen=" + first + ";redriven=2", "attempt=1;first_seen=" + first + ";redriven=1"},
			wantDeleted: []string{"rh-m-a", "rh-m-b", "rh-m-crashed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeDLQ{queue: queue()}
			n, err := sqsq.RedriveTo(t.Context(), fake, dlqURL, tt.ids, tt.to)
			if got, want := n, tt.wantN; got != want {
				t.Errorf("RedriveTo = %d, want %d", got, want)
			}
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not wrap %v", err, want)
				}
			}
			if tt.wantErrs == nil && err != nil {
				t.Errorf("error %v, want none", err)
			}
			var gotRetry []string
			for _, in := range fake.sent {
				gotRetry = append(gotRetry, attr(in, retry.AttrRetry))
				if got, want := aws.ToString(in.QueueUrl), cmp.Or(tt.to, srcURL); got != want {
					t.Errorf("sent to %s, want %s", got, want)
				}
				for _, name := range []string{retry.AttrDeadLetter, retry.AttrDeadLetterError} {
					if v, ok := in.MessageAttributes[name]; ok {
						t.Errorf("copy sent back still carries %s=%q", name, aws.ToString(v.StringValue))
					}
				}
				if got, want := attr(in, statemachine.AttrEventID), "evt-1"; got != want {
					t.Errorf("copy sent back has event_id %q, want %q", got, want)
				}
			}
			if !slices.Equal(gotRetry, tt.wantRetry) {
				t.Errorf("retry attributes sent back = %q, want %q", gotRetry, tt.wantRetry)
			}
			if !slices.Equal(fake.deleted, tt.wantDeleted) {
				t.Errorf("deleted %v, want %v", fake.deleted, tt.wantDeleted)
			}
			if !slices.Equal(fake.released, tt.wantReleased) {
				t.Errorf("made visible again %v, want %v", fake.released, tt.wantReleased)
			}
		})
	}
}

func TestPurgeNeedsConfirmation(t *testing.T) {
	tests := []struct {
		confirm    bool
		wantErr    error
		wantPurged int
	}{
		{confirm: false, wantErr: sqsq.ErrNotConfirmed, wantPurged: 0},
		{confirm: true, wantErr: nil, wantPurged: 1},
	}
	for _, tt := range tests {
		t.Run("confirm="+strconv.FormatBool(tt.confirm), func(t *testing.T) {
			fake := &fakeDLQ{}
			if err := sqsq.Purge(t.Context(), fake, dlqURL, tt.confirm); !errors.Is(err, tt.wantErr) {
				t.Errorf("Purge = %v, want %v", err, tt.wantErr)
			}
			if got, want := fake.purged, tt.wantPurged; got != want {
				t.Errorf("%d PurgeQueue calls, want %d", got, want)
			}
		})
	}
}

// The original id is only shown: an id holding the field separator (no SQS
// message id does) is left out rather than failing the dead letter.
func TestDeadLetterLeavesOutAnIDWithTheSeparator(t *testing.T) {
	m := newMessage(t, statemachine.CampaignCarrierApproved, nil)
	m.ID = "odd;id"
	d := deadLetterOf(t, m, t0, statemachine.ErrMalformed)
	if got := attr(d, retry.AttrDeadLetter); strings.Contains(got, "message_id") || !strings.Contains(got, "reason=malformed") {
		t.Errorf("dead_letter = %q, want the facts without the id", got)
	}
	got, err := sqsq.ListDeadLetters(t.Context(), &fakeDLQ{queue: []types.Message{received(d, "m-odd")}}, dlqURL, 0)
	if err != nil || len(got) != 1 || got[0].MessageID != "m-odd" || got[0].OriginalMessageID != "" {
		t.Errorf("List = %+v, %v; want m-odd with no original id", got, err)
	}
}
