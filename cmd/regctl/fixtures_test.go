package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// asOf is "now" in the tests that fix regctl's clock with REGCTL_NOW.
var asOf = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fixedEnv is the environment of a test run of regctl: the operator alice,
// and the clock at asOf.
var fixedEnv = map[string]string{"USER": "alice", envNow: asOf.Format(time.RFC3339)}

// Registrations stored on seeded records, so that re-drives can re-send them.
var (
	brandData = mustJSON(statemachine.BrandRegistration{
		LegalName: "Acme", EIN: "12-3456789", Email: "ops@acme.test", EntityType: "PRIVATE_PROFIT",
	})
	campaignData = mustJSON(statemachine.CampaignRegistration{
		BrandID: "b1", UseCase: "2FA", Description: "login codes", SampleMessages: []string{"Your code is 123456"},
		Numbers: []string{"+12025550101", "+12025550102"},
	})
)

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// newStore returns the record store of deployment s.
func newStore(tb testing.TB, db *dynamodb.Client, s resources.Set) *dynamo.Store {
	tb.Helper()
	store, err := dynamo.New(db, dynamo.Config{Table: s.TableName()})
	if err != nil {
		tb.Fatal(err)
	}
	return store
}

// step is one change in a seeded record's history: the record as it is
// afterwards, and the audit entry of the change.
type step struct {
	rec   statemachine.Record
	audit statemachine.AuditEntry
}

// seed writes a record through its history, each step a transition from the
// one before (the first creates it), and returns it as stored.
func seed(tb testing.TB, store *dynamo.Store, steps ...step) statemachine.Record {
	tb.Helper()
	var prev *statemachine.Record
	for _, s := range steps {
		s.audit.From = statemachine.StateNone
		if prev != nil {
			s.audit.From = prev.State
		}
		s.audit.To = s.rec.State
		got, err := store.Transition(tb.Context(), prev, s.rec, s.audit)
		if err != nil {
			tb.Fatalf("seed %s %s: %v", s.rec.Kind, s.rec.ID, err)
		}
		prev = &got
	}
	return *prev
}

// waitingRecord returns a record of kind in state since entered, with the
// registration a re-drive re-sends, created by the producer at entered.
func waitingRecord(kind statemachine.Kind, id string, state statemachine.State, entered time.Time) step {
	r := statemachine.Record{
		Kind: kind, ID: id, State: state, CorrelationID: "corr-" + id,
		CreatedAt: entered, StateEnteredAt: entered, WaitSince: entered, UpdatedAt: entered,
	}
	switch kind {
	case statemachine.KindBrand:
		r.Data = brandData
	case statemachine.KindCampaign:
		r.ParentID, r.Data = "b1", campaignData
	case statemachine.KindNumber:
		r.ParentID, r.Data = "c1", mustJSON(statemachine.NumberRegistration{CampaignID: "c1", Number: id})
	}
	return step{rec: r, audit: statemachine.AuditEntry{
		Event: statemachine.EventType(string(kind) + ".register"), MessageID: "evt-" + id, At: entered, Actor: "producer",
		CorrelationID: r.CorrelationID,
	}}
}

// queueURL returns the URL of a logical queue of s.
func queueURL(tb testing.TB, q *sqs.Client, s resources.Set, logical string) string {
	tb.Helper()
	urls, err := sqsq.QueueURLs(tb.Context(), q, s)
	if err != nil {
		tb.Fatal(err)
	}
	return urls[logical]
}

// receive receives messages from the queue at url until it has n, hiding
// them for 30 seconds, and fails tb after 5 seconds.
func receive(tb testing.TB, q *sqs.Client, url string, n int) []types.Message {
	tb.Helper()
	var msgs []types.Message
	for deadline := time.Now().Add(5 * time.Second); len(msgs) < n; {
		if time.Now().After(deadline) {
			tb.Fatalf("received %d messages from %s, want %d", len(msgs), url, n)
		}
		out, err := q.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, out.Messages...)
	}
	return msgs
}

// envelopes decodes the bodies of msgs.
func envelopes(tb testing.TB, msgs []types.Message) []statemachine.Envelope {
	tb.Helper()
	envs := make([]statemachine.Envelope, len(msgs))
	for i, m := range msgs {
		e, err := statemachine.DecodeEnvelope([]byte(aws.ToString(m.Body)))
		if err != nil {
			tb.Fatalf("message %d: %v", i, err)
		}
		envs[i] = e
	}
	return envs
}

// depth returns the visible, in-flight and delayed counts of the queue at url.
func depth(tb testing.TB, q *sqs.Client, url string) (visible, inFlight, delayed string) {
	tb.Helper()
	out, err := q.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed},
	})
	if err != nil {
		tb.Fatal(err)
	}
	a := out.Attributes
	return a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"]
}

// withPrefix returns args after "--prefix" and the prefix of s.
func withPrefix(s resources.Set, args ...string) []string {
	return append([]string{"--prefix", s.Prefix}, args...)
}

// decodeJSON decodes a command's JSON output into v.
func decodeJSON(tb testing.TB, out string, v any) {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("output is not the documented JSON: %v\n%s", err, out)
	}
}

// recent reports whether t is within the last minute: the time stamped on
// what regctl sends, which REGCTL_NOW does not change.
func recent(t time.Time) bool { return time.Since(t) >= 0 && time.Since(t) < time.Minute }
