package statemachine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// FuzzDecodeEnvelope checks that DecodeEnvelope never panics, that every error
// it returns is one of its documented sentinels (ErrNewer as a *NewerError that
// names a version or fields), and that an envelope it
// accepts re-encodes into bytes that decode to the same envelope, and encode
// again to the same bytes.
func FuzzDecodeEnvelope(f *testing.F) {
	occurred := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	valid := []statemachine.Envelope{
		{Type: statemachine.BrandRegister, Payload: json.RawMessage(`{"legal_name":"Acme","ein":"12-3456789","email":"a@acme.test","entity_type":"PRIVATE_PROFIT"}`)},
		{Type: statemachine.CampaignRegister, Payload: json.RawMessage(`{"brand_id":"b1","use_case":"2FA","description":"codes","sample_messages":["Your code is 1234"],"numbers":["+15555550100"]}`)},
		{Type: statemachine.CampaignCarrierApproved, CorrelationID: "corr-1", Payload: json.RawMessage(`{"carrier":"tmobile"}`)},
		{Type: statemachine.CampaignNumberSettled, Payload: json.RawMessage(`{"number":"+15555550100","status":"REGISTERED"}`)},
		{Type: statemachine.CampaignReviewApproved},
		{Type: statemachine.BrandFailed, Actor: "operator:<ops> & co", Payload: json.RawMessage(`{"code":30795,"description":"invalid EIN \u2028"}`)},
		{Type: statemachine.CmdRegisterNumber, Payload: json.RawMessage(`{"campaign_id":"c1","number":"+15555550101"}`)},
	}
	for _, e := range valid {
		e.SchemaVersion, e.EventID, e.EntityID, e.OccurredAt = statemachine.SchemaVersion, "evt-1", "rec-1", occurred
		b, err := e.Encode()
		if err != nil {
			f.Fatalf("seed %s: %v", e.Type, err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"type":`,
		`{"type":"brand.vetted","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00+05:30"}`,
		`{"type":"brand.vetted","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00.123456789Z","payload":null}`,
		`{"type":"brand.vetted","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z"} {}`,
		`{"type":"brand.vetted","schema_version":2,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z"}`,
		`{"type":"brand.nope","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z"}`,
		`{"type":"brand.vetted","schema_version":1,"event_id":"","entity_id":"","occurred_at":"0001-01-01T00:00:00Z"}`,
		`{"type":"brand.vetted","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","extra":1}`,
		`{"type":"brand.verified","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","payload":{"status":"VERIFIED","Extra":[1]}}`,
		`{"type":"brand.future","schema_version":3,"event_id":7,"payload":"x"}`,
		`{"type":"brand.vetted","SCHEMA_VERSION":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","payload":[]}`,
		`{"type":"brand.verified","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","payload":{"status":"MAYBE"}}`,
		`{"type":"brand.score_updated","schema_version":1,"event_id":"e\xff","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","payload":{"score": 1.0e2}}`,
		`{"type":"brand.score_updated","schema_version":1,"event_id":"e","entity_id":"b","occurred_at":"2026-03-01T12:00:00Z","payload":{"score":7,"score":8}}`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		e1, err := statemachine.DecodeEnvelope(body)
		if newer, ok := errors.AsType[*statemachine.NewerError](err); ok {
			if newer.Version <= statemachine.SchemaVersion && len(newer.Unknown) == 0 {
				t.Fatalf("DecodeEnvelope: %+v names neither a newer version nor unknown fields", newer)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, statemachine.ErrMalformed) && !errors.Is(err, statemachine.ErrUnknownEvent) &&
				!errors.Is(err, statemachine.ErrTooLarge) {
				t.Fatalf("DecodeEnvelope error %v is none of the documented sentinels", err)
			}
			return
		}
		b2, err := e1.Encode()
		if err != nil {
			t.Fatalf("Encode of a decoded envelope %+v: %v", e1, err)
		}
		e2, err := statemachine.DecodeEnvelope(b2)
		if err != nil {
			t.Fatalf("DecodeEnvelope of a re-encoded envelope %s: %v", b2, err)
		}
		if !sameEnvelope(t, e1, e2) {
			t.Fatalf("round trip changed the envelope:\n%+v\n%+v", e1, e2)
		}
		b3, err := e2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b2, b3) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b2, b3)
		}
	})
}

// sameEnvelope compares envelopes by meaning: the same instant (and offset)
// for OccurredAt, the same JSON value for Payload (whose bytes Encode
// compacts and escapes).
func sameEnvelope(tb testing.TB, a, b statemachine.Envelope) bool {
	tb.Helper()
	_, offA := a.OccurredAt.Zone()
	_, offB := b.OccurredAt.Zone()
	if !a.OccurredAt.Equal(b.OccurredAt) || offA != offB {
		return false
	}
	pa, pb := payloadValue(tb, a.Payload), payloadValue(tb, b.Payload)
	a.OccurredAt, b.OccurredAt, a.Payload, b.Payload = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(a, b) && reflect.DeepEqual(pa, pb)
}

// payloadValue decodes a payload to a generic value, numbers kept as text;
// an absent payload and JSON null are the same.
func payloadValue(tb testing.TB, raw json.RawMessage) any {
	tb.Helper()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("payload %s of an accepted envelope: %v", raw, err)
	}
	return v
}
