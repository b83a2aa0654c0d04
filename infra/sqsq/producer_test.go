package sqsq

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tendlc/tendlc/statemachine"
)

func TestProducerFillsDefaults(t *testing.T) {
	f := newFakeSQS()
	p, err := NewProducer(f, eventsURL)
	if err != nil {
		t.Fatal(err)
	}
	given := envelope(t, "given-id", 0)
	bare := envelope(t, "", 0)
	bare.SchemaVersion, bare.OccurredAt = 0, time.Time{}
	before := time.Now()
	if err := p.Send(t.Context(), given, bare); err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.sends), 1; got != want {
		t.Fatalf("%d calls, want %d", got, want)
	}
	var sent []statemachine.Envelope
	for _, e := range f.sends[0].Entries {
		env, err := statemachine.DecodeEnvelope([]byte(aws.ToString(e.MessageBody)))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, env)
	}
	if got, want := sent[0].EventID, "given-id"; got != want {
		t.Errorf("given EventID became %q", got)
	}
	if !sent[0].OccurredAt.Equal(given.OccurredAt) {
		t.Errorf("given OccurredAt became %v", sent[0].OccurredAt)
	}
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if got := sent[1].EventID; !uuid4.MatchString(got) {
		t.Errorf("filled EventID %q is not a version 4 UUID", got)
	}
	if got, want := sent[1].SchemaVersion, statemachine.SchemaVersion; got != want {
		t.Errorf("filled SchemaVersion %d, want %d", got, want)
	}
	if got := sent[1].OccurredAt; got.Before(before.Truncate(time.Second)) || got.Location() != time.UTC {
		t.Errorf("filled OccurredAt %v, want now in UTC", got)
	}
}

func TestProducerStartsACorrelationChainWhereThereIsNone(t *testing.T) {
	tests := []struct {
		name, eventID, correlationID string
		want                         func(sent statemachine.Envelope) string
	}{
		{"given one is kept", "e1", "corr-x", func(statemachine.Envelope) string { return "corr-x" }},
		{"none takes the event id", "e2", "", func(statemachine.Envelope) string { return "e2" }},
		{"none takes the filled event id", "", "", func(sent statemachine.Envelope) string { return sent.EventID }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSQS()
			p, err := NewProducer(f, eventsURL)
			if err != nil {
				t.Fatal(err)
			}
			e := envelope(t, tt.eventID, 0)
			e.CorrelationID = tt.correlationID
			if err := p.Send(t.Context(), e); err != nil {
				t.Fatal(err)
			}
			entry := f.sends[0].Entries[0]
			sent, err := statemachine.DecodeEnvelope([]byte(aws.ToString(entry.MessageBody)))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want(sent)
			if want == "" {
				t.Fatal("the expected correlation id is empty")
			}
			if got := sent.CorrelationID; got != want {
				t.Errorf("body correlation id %q, want %q", got, want)
			}
			if got := aws.ToString(entry.MessageAttributes[statemachine.AttrCorrelationID].StringValue); got != want {
				t.Errorf("attribute correlation id %q, want %q", got, want)
			}
		})
	}
}

func TestProducerValidatesEverythingFirst(t *testing.T) {
	f := newFakeSQS()
	p, err := NewProducer(f, eventsURL)
	if err != nil {
		t.Fatal(err)
	}
	unknown := envelope(t, "u", 0)
	unknown.Type = "brand.renamed"
	noEntity := envelope(t, "n", 0)
	noEntity.EntityID = ""
	err = p.Send(t.Context(), envelope(t, "ok", 0), unknown, noEntity)
	for _, want := range []error{statemachine.ErrUnknownEvent, statemachine.ErrMalformed} {
		if !errors.Is(err, want) {
			t.Errorf("error %v does not wrap %v", err, want)
		}
	}
	if got := len(f.sends); got != 0 {
		t.Errorf("%d calls made, want none", got)
	}
}

func TestNewProducerValidates(t *testing.T) {
	if _, err := NewProducer(newFakeSQS(), ""); err == nil {
		t.Error("NewProducer accepted an empty queue URL")
	}
	if _, err := NewProducer(nil, eventsURL); err == nil {
		t.Error("NewProducer accepted a nil API")
	}
}
