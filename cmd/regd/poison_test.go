package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// rawSend puts a message on the events queue as a careless producer might.
func rawSend(tb testing.TB, d deploytest.Deployment, body string, attrs map[string]string) {
	tb.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(d.URLs["events"]), MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{}}
	for k, v := range attrs {
		in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	if _, err := d.SQS.SendMessage(tb.Context(), in); err != nil {
		tb.Fatal(err)
	}
}

// envelopeJSON encodes e without validating it, and its attributes.
func envelopeJSON(tb testing.TB, e statemachine.Envelope) (string, map[string]string) {
	tb.Helper()
	if e.EventID == "" {
		e.EventID = fmt.Sprintf("poison-%d", time.Now().UnixNano())
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b), e.Attributes()
}

// deadLetters waits until the events DLQ holds n messages and returns them
// keyed by entity id.
func deadLetters(tb testing.TB, d deploytest.Deployment, n int) map[string]sqsq.DeadLetter {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		dls, err := sqsq.ListDeadLetters(tb.Context(), d.SQS, d.URLs["events-dlq"], 100)
		if err != nil {
			tb.Fatal(err)
		}
		if len(dls) >= n {
			out := map[string]sqsq.DeadLetter{}
			for _, dl := range dls {
				out[dl.EntityID+"|"+string(dl.EventType)] = dl
			}
			return out
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d dead letters after 60 s, want %d", len(dls), n)
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
}

// TestPoisonGoesToTheDeadLetterQueueWhileWorkFlows sends every kind of bad
// input next to a good registration: each bad message ends in the DLQ with
// its reason, the worker keeps going, and the registration completes.
func TestPoisonGoesToTheDeadLetterQueueWhileWorkFlows(t *testing.T) {
	d := deploytest.New(t)
	startRegd(t, d, nil)
	play(t, d, approveAll)
	if err := d.Producer(t).Send(t.Context(), registrations("pb", "pc", []string{"+12025550401"})...); err != nil {
		t.Fatal(err)
	}
	valid := ev(statemachine.BrandVerified, "p-unknown-record", statemachine.Identity{Status: "VERIFIED"})
	valid.SchemaVersion = statemachine.SchemaVersion
	body, attrs := envelopeJSON(t, valid)
	rawSend(t, d, body, attrs) // a record nobody registered

	bad := func(entity string, mutate func(*statemachine.Envelope)) (string, map[string]string) {
		e := ev(statemachine.BrandScoreUpdated, entity, statemachine.Score{Score: 1})
		e.SchemaVersion = statemachine.SchemaVersion
		mutate(&e)
		return envelopeJSON(t, e)
	}
	body, attrs = bad("p-unknown-type", func(e *statemachine.Envelope) { e.Type = "brand.teleported" })
	rawSend(t, d, body, attrs)
	body, attrs = bad("p-too-large", func(e *statemachine.Envelope) { e.Actor = strings.Repeat("x", statemachine.MaxBodyBytes) })
	rawSend(t, d, body, attrs)
	body, _ = bad("p-no-attributes", func(*statemachine.Envelope) {})
	rawSend(t, d, body, map[string]string{})
	body, attrs = bad("p-bad-retry", func(*statemachine.Envelope) {})
	attrs[retry.AttrRetry] = "attempt=many"
	rawSend(t, d, body, attrs)
	rawSend(t, d, "{not json", map[string]string{statemachine.AttrEntityID: "p-garbage"})

	waitFor(t, d, statemachine.KindCampaign, "pc", 60*time.Second, inState(statemachine.Active))
	got := deadLetters(t, d, 6)
	want := map[string]string{ // entity|event type -> dead-letter reason
		"|":                               "malformed", // no attributes: nothing names its entity
		"p-unknown-record|brand.verified": "rejected",
		"p-unknown-type|brand.teleported": "unknown_event",
		"p-too-large|brand.score_updated": "too_large",
		"p-bad-retry|brand.score_updated": "bad_attributes",
		"p-garbage|":                      "malformed",
	}
	for key, reason := range want {
		dl, ok := got[key]
		if !ok {
			t.Errorf("no dead letter for %s; have %v", key, slices.Sorted(maps.Keys(got)))
			continue
		}
		if dl.Reason != reason {
			t.Errorf("%s: reason %q (%s), want %q", key, dl.Reason, dl.Error, reason)
		}
		if dl.Error == "" {
			t.Errorf("%s: no error text", key)
		}
	}
}

// TestRedriveFromTheDeadLetterQueueCompletesTheRegistration: the reviewer's
// approval arrives while the registry's answer is missing, is deferred until
// its budget runs out and lands in the DLQ. Once the registry's answer comes,
// an operator redrives it and the campaign completes.
func TestRedriveFromTheDeadLetterQueueCompletesTheRegistration(t *testing.T) {
	d := deploytest.New(t)
	short := fastPolicies
	short.Default.MaxDeferrals = 2
	startRegd(t, d, func(m *Main) { m.RetryPolicies = &short })
	play(t, d, func(cmd statemachine.Envelope) []statemachine.Envelope {
		if cmd.Type == statemachine.CmdSubmitCampaign {
			return nil // the registry's answer is lost
		}
		return approveAll(cmd)
	})
	prod := d.Producer(t)
	if err := prod.Send(t.Context(), registrations("rb", "rc", []string{"+12025550501"})...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, statemachine.KindCampaign, "rc", 60*time.Second, inState(statemachine.TCRPending))
	if err := prod.Send(t.Context(), ev(statemachine.CampaignReviewApproved, "rc", nil)); err != nil {
		t.Fatal(err)
	}
	dl := deadLetters(t, d, 1)["rc|campaign.review_approved"]
	if dl.Reason != retry.ReasonExhausted || dl.Class != retry.ClassDeferred {
		t.Fatalf("dead letter %+v, want exhausted deferrals", dl)
	}
	if err := prod.Send(t.Context(), ev(statemachine.CampaignRegistryAccepted, "rc", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, statemachine.KindCampaign, "rc", 30*time.Second, inState(statemachine.InReview))
	n, err := sqsq.Redrive(t.Context(), d.SQS, d.URLs["events-dlq"], []string{dl.MessageID})
	if err != nil || n != 1 {
		t.Fatalf("redrive: %d, %v", n, err)
	}
	waitFor(t, d, statemachine.KindCampaign, "rc", 60*time.Second, inState(statemachine.Active))
}
