package sqsq

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tendlc/tendlc/statemachine"
)

// envelope returns a valid brand.register envelope whose legal name is
// padded to about pad bytes.
func envelope(tb testing.TB, eventID string, pad int) statemachine.Envelope {
	tb.Helper()
	payload, err := json.Marshal(statemachine.BrandRegistration{
		LegalName:  "Acme " + strings.Repeat("x", pad),
		EIN:        "12-3456789",
		Email:      "ops@acme.example",
		EntityType: "PRIVATE_PROFIT",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return statemachine.Envelope{
		Type:          statemachine.BrandRegister,
		SchemaVersion: statemachine.SchemaVersion,
		EventID:       eventID,
		EntityID:      "brand-" + eventID,
		OccurredAt:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Payload:       payload,
	}
}

const (
	eventsURL   = "https://sqs.example/000000000000/events"
	registryURL = "https://sqs.example/000000000000/registry"
)

func newTestPublisher(tb testing.TB, api API) *Publisher {
	tb.Helper()
	p, err := NewPublisher(api, map[statemachine.Destination]string{
		statemachine.ToEvents:   eventsURL,
		statemachine.ToRegistry: registryURL,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// sentIDs returns the event_id attribute of every entry sent, per call, as
// "queue URL: id id ...".
func sentIDs(f *fakeSQS) []string {
	var calls []string
	for _, in := range f.sends {
		var ids []string
		for _, e := range in.Entries {
			ids = append(ids, aws.ToString(e.MessageAttributes[statemachine.AttrEventID].StringValue))
		}
		calls = append(calls, aws.ToString(in.QueueUrl)+": "+strings.Join(ids, " "))
	}
	return calls
}

func TestPublisherBatches(t *testing.T) {
	tests := []struct {
		name string
		out  []statemachine.Outgoing
		want []string
	}{
		{
			name: "ten per call, grouped by queue in first-use order",
			out: func() []statemachine.Outgoing {
				var out []statemachine.Outgoing
				for i := range 12 {
					to := statemachine.ToEvents
					if i%4 == 1 {
						to = statemachine.ToRegistry
					}
					out = append(out, statemachine.Outgoing{To: to, Envelope: envelope(t, string(rune('a'+i)), 0)})
				}
				return out
			}(),
			want: []string{eventsURL + ": a c d e g h i k l", registryURL + ": b f j"},
		},
		{
			name: "eleven to one queue",
			out: func() []statemachine.Outgoing {
				var out []statemachine.Outgoing
				for i := range 11 {
					out = append(out, statemachine.Outgoing{To: statemachine.ToEvents, Envelope: envelope(t, string(rune('a'+i)), 0)})
				}
				return out
			}(),
			want: []string{eventsURL + ": a b c d e f g h i j", eventsURL + ": k"},
		},
		{
			name: "1 MiB per call",
			out: []statemachine.Outgoing{
				{To: statemachine.ToEvents, Envelope: envelope(t, "a", 400<<10)},
				{To: statemachine.ToEvents, Envelope: envelope(t, "b", 400<<10)},
				{To: statemachine.ToEvents, Envelope: envelope(t, "c", 400<<10)},
				{To: statemachine.ToEvents, Envelope: envelope(t, "d", 10)},
			},
			want: []string{eventsURL + ": a b", eventsURL + ": c d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSQS()
			if err := newTestPublisher(t, f).Send(t.Context(), tt.out); err != nil {
				t.Fatal(err)
			}
			if got := sentIDs(f); !slices.Equal(got, tt.want) {
				t.Errorf("calls:\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestPublisherMessage(t *testing.T) {
	f := newFakeSQS()
	env := envelope(t, "e1", 0)
	err := newTestPublisher(t, f).Send(t.Context(), []statemachine.Outgoing{
		{To: statemachine.ToEvents, Envelope: env, Delay: 1500 * time.Millisecond},
		{To: statemachine.ToEvents, Envelope: envelope(t, "e2", 0), Delay: MaxMessageDelay},
	})
	if err != nil {
		t.Fatal(err)
	}
	entries := f.sends[0].Entries
	if got, want := entries[0].DelaySeconds, int32(2); got != want {
		t.Errorf("DelaySeconds of 1.5 s: %d, want %d (rounded up)", got, want)
	}
	if got, want := entries[1].DelaySeconds, int32(900); got != want {
		t.Errorf("DelaySeconds of 15 min: %d, want %d", got, want)
	}
	decoded, err := statemachine.DecodeEnvelope([]byte(aws.ToString(entries[0].MessageBody)))
	if err != nil {
		t.Fatalf("body does not decode: %v", err)
	}
	if got, want := decoded.EventID, env.EventID; got != want {
		t.Errorf("body event_id %q, want %q", got, want)
	}
	var attrs []string
	for name, v := range entries[0].MessageAttributes {
		attrs = append(attrs, name+"="+aws.ToString(v.StringValue)+" ("+aws.ToString(v.DataType)+")")
	}
	slices.Sort(attrs)
	want := []string{ // no correlation_id: SQS refuses empty values
		"entity_id=brand-e1 (String)",
		"event_id=e1 (String)",
		"event_type=brand.register (String)",
		"schema_version=1 (Number)",
	}
	if !slices.Equal(attrs, want) {
		t.Errorf("attributes %q, want %q", attrs, want)
	}
}

func TestPublisherRefusesInvalidMessages(t *testing.T) {
	bad := envelope(t, "bad", 0)
	bad.EntityID = ""
	f := newFakeSQS()
	err := newTestPublisher(t, f).Send(t.Context(), []statemachine.Outgoing{
		{To: statemachine.ToEvents, Envelope: envelope(t, "ok", 0)},
		{To: statemachine.ToNumbers, Envelope: envelope(t, "nowhere", 0)},
		{To: statemachine.ToEvents, Envelope: envelope(t, "late", 0), Delay: MaxMessageDelay + time.Second},
		{To: statemachine.ToEvents, Envelope: envelope(t, "early", 0), Delay: -time.Second},
		{To: statemachine.ToEvents, Envelope: bad},
	})
	for _, want := range []error{ErrUnknownDestination, ErrInvalidDelay, statemachine.ErrMalformed} {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not wrap %v", err, want)
		}
	}
	if got := len(f.sends); got != 0 {
		t.Errorf("%d calls made, want none", got)
	}
}

func TestPublisherReportsFailedMessages(t *testing.T) {
	t.Run("failed entries", func(t *testing.T) {
		f := newFakeSQS()
		out := []statemachine.Outgoing{
			{To: statemachine.ToEvents, Envelope: envelope(t, "a", 0)},
			{To: statemachine.ToEvents, Envelope: envelope(t, "b", 0)},
			{To: statemachine.ToRegistry, Envelope: envelope(t, "c", 0)},
		}
		f.sendFails = map[string]string{}
		for _, o := range out[1:] {
			body, _ := o.Envelope.Encode()
			f.sendFails[string(body)] = "InternalError"
		}
		err := newTestPublisher(t, f).Send(t.Context(), out)
		se, ok := errors.AsType[*SendError](err)
		if !ok {
			t.Fatalf("error %v is not a *SendError", err)
		}
		var got []string
		for _, fm := range se.Failed {
			got = append(got, fm.QueueURL+" "+fm.EventID+" "+fm.Code)
		}
		if want := []string{eventsURL + " b InternalError", registryURL + " c InternalError"}; !slices.Equal(got, want) {
			t.Errorf("failed %q, want %q", got, want)
		}
		if got, want := f.bodies(), 1; len(got) != want {
			t.Errorf("%d messages sent, want %d", len(got), want)
		}
	})
	t.Run("failed call", func(t *testing.T) {
		f := newFakeSQS()
		f.sendErr = errors.New("connection reset")
		err := newTestPublisher(t, f).Send(t.Context(), []statemachine.Outgoing{
			{To: statemachine.ToEvents, Envelope: envelope(t, "a", 0)},
			{To: statemachine.ToRegistry, Envelope: envelope(t, "b", 0)},
		})
		if !errors.Is(err, f.sendErr) {
			t.Errorf("error %v does not wrap the call's error", err)
		}
		se, ok := errors.AsType[*SendError](err)
		if !ok {
			t.Fatalf("error %v is not a *SendError", err)
		}
		if got, want := len(se.Failed), 2; got != want {
			t.Errorf("%d failed messages, want %d", got, want)
		}
		if got, want := len(f.sends), 2; got != want {
			t.Errorf("%d calls, want %d: one queue's failure does not stop the others", got, want)
		}
	})
}

func TestNewPublisherValidates(t *testing.T) {
	tests := []struct {
		name   string
		api    API
		queues map[statemachine.Destination]string
	}{
		{"nil API", nil, map[statemachine.Destination]string{statemachine.ToEvents: eventsURL}},
		{"no queues", newFakeSQS(), nil},
		{"empty URL", newFakeSQS(), map[statemachine.Destination]string{statemachine.ToEvents: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPublisher(tt.api, tt.queues); err == nil {
				t.Error("NewPublisher accepted it")
			}
		})
	}
}
