package sqsq_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// sqsAttributeLimit is the number of message attributes SQS accepts on a
// message, written out rather than taken from the package under test.
const sqsAttributeLimit = 10

func TestNoCopyExceedsTheAttributeLimit(t *testing.T) {
	// failOnce runs a message with extra attributes through a Retrier whose
	// handler fails with err, and returns what it sent.
	failOnce := func(tb testing.TB, pol retry.Policy, extra map[string]string, err error) (*rig, *sqs.SendMessageInput) {
		tb.Helper()
		g := newRig(tb, pol)
		h := g.handler(func(context.Context, *message.Message) error { return err })
		if err := h(tb.Context(), newMessage(tb, statemachine.CampaignCarrierApproved, extra)); err != nil {
			tb.Fatal(err)
		}
		return g, g.sqs.last(tb)
	}
	dlqFacts := []string{retry.AttrRetry, retry.AttrDeadLetter, retry.AttrDeadLetterError}
	kinds := []struct {
		name    string
		send    func(testing.TB, map[string]string) *sqs.SendMessageInput
		wantOwn []string
	}{
		{name: "retry copy", wantOwn: []string{retry.AttrRetry}, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			_, in := failOnce(tb, testPolicy, extra, statusError(503))
			return in
		}},
		{name: "deferral copy", wantOwn: []string{retry.AttrRetry}, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			_, in := failOnce(tb, testPolicy, extra, &message.DeferredError{Reason: "early"})
			return in
		}},
		{name: "hop", wantOwn: []string{retry.AttrRetry}, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			g, in := failOnce(tb, retry.Policy{MaxAttempts: 2, Base: time.Hour, Cap: time.Hour}, extra, statusError(503))
			g.clock.advance(15 * time.Minute)
			h := g.handler(func(context.Context, *message.Message) error { tb.Fatal("a hop ran the handler"); return nil })
			if err := h(tb.Context(), redeliver(in, g.clock.now)); err != nil {
				tb.Fatal(err)
			}
			return g.sqs.last(tb)
		}},
		{name: "exhausted dead letter", wantOwn: dlqFacts, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			_, in := failOnce(tb, retry.Policy{MaxAttempts: 1}, extra, statusError(503))
			return in
		}},
		{name: "permanent dead letter", wantOwn: dlqFacts, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			_, in := failOnce(tb, testPolicy, extra, &message.RejectedError{Reason: "invalid in state", Code: 30994})
			return in
		}},
		{name: "bad attributes dead letter", wantOwn: dlqFacts, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			extra[retry.AttrRetry] = "attempt=x"
			_, in := failOnce(tb, testPolicy, extra, nil)
			return in
		}},
		{name: "redrive copy", wantOwn: []string{retry.AttrRetry}, send: func(tb testing.TB, extra map[string]string) *sqs.SendMessageInput {
			_, dead := failOnce(tb, retry.Policy{MaxAttempts: 1}, extra, statusError(503))
			fake := &fakeDLQ{queue: []types.Message{received(dead, "m-1")}}
			if n, err := sqsq.Redrive(tb.Context(), fake, dlqURL, nil); n != 1 || err != nil {
				tb.Fatalf("Redrive = %d, %v; want 1, nil", n, err)
			}
			return fake.last(tb)
		}},
	}
	for _, kind := range kinds {
		for _, extras := range []int{0, 4, 5, 9} {
			t.Run(kind.name+"/"+strconv.Itoa(extras)+" extra attributes", func(t *testing.T) {
				extra := map[string]string{}
				for i := range extras {
					extra["x_"+strconv.Itoa(i)] = "v"
				}
				in := kind.send(t, extra)
				if got, limit := len(in.MessageAttributes), sqsAttributeLimit; got > limit {
					t.Errorf("%d message attributes, SQS allows %d: %v", got, limit, in.MessageAttributes)
				}
				for _, name := range append(kind.wantOwn, envelopeNames...) {
					if _, ok := in.MessageAttributes[name]; !ok {
						t.Errorf("attribute %s missing", name)
					}
				}
				for name, v := range in.MessageAttributes {
					want := "String"
					if name == statemachine.AttrSchemaVersion {
						want = "Number" // as the publisher sent the original
					}
					if got := *v.DataType; got != want {
						t.Errorf("attribute %s has DataType %s, want %s", name, got, want)
					}
				}
			})
		}
	}
}

var envelopeNames = []string{statemachine.AttrEventType, statemachine.AttrSchemaVersion,
	statemachine.AttrEventID, statemachine.AttrEntityID, statemachine.AttrCorrelationID}

// The retry middleware sends no copy with a delay above retry.MaxHop, and the
// Copier refuses one above SQS's cap: the two must agree.
func TestCopierTakesTheLongestHop(t *testing.T) {
	if sqsq.MaxMessageDelay != retry.MaxHop {
		t.Errorf("sqsq.MaxMessageDelay %v, retry.MaxHop %v: want them equal", sqsq.MaxMessageDelay, retry.MaxHop)
	}
}
