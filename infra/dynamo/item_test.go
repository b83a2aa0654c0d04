package dynamo

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// t0 has nanoseconds, so a round trip that truncated to milliseconds would
// show.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// fullCampaign sets every field of a record.
func fullCampaign() statemachine.Record {
	return statemachine.Record{
		Kind: statemachine.KindCampaign, ID: "c1", ParentID: "b1", Flow: statemachine.FlowV2,
		State: statemachine.CarrierReview, Version: 7,
		CreatedAt: t0, StateEnteredAt: t0.Add(time.Hour), WaitSince: t0.Add(90 * time.Minute), UpdatedAt: t0.Add(2 * time.Hour), Checks: 2,
		LastMessageID: "e2", Applied: []string{"e1", "e2"},
		Outbox: map[string][]statemachine.Outgoing{
			"e2": {
				{To: statemachine.ToATT, Delay: 90 * time.Second, Envelope: statemachine.Envelope{
					Type: "carrier.submit_campaign", SchemaVersion: 1, EventID: "e2/att", EntityID: "c1",
					OccurredAt: t0, CorrelationID: "corr", Actor: "dispatcher",
					Payload: json.RawMessage(`{"carrier":"att"}`),
				}},
				{To: statemachine.ToEvents, Envelope: statemachine.Envelope{
					Type: "campaign.carrier_submitted", SchemaVersion: 1, EventID: "e2/ev", EntityID: "c1", OccurredAt: t0,
				}},
			},
		},
		CorrelationID: "corr", ExternalID: "CX1",
		Reason: &statemachine.Reason{Code: statemachine.CodeCarrierRejection, Description: "nope"},
		Carriers: map[statemachine.Carrier]statemachine.CarrierStatus{
			statemachine.CarrierATT: statemachine.CarrierApproved, statemachine.CarrierVerizon: statemachine.CarrierInReview,
		},
		Numbers:  map[string]statemachine.NumberStatus{"+15555550100": statemachine.NumberPendingStatus},
		Redrives: 2,
		Data:     json.RawMessage(`{"use_case": "2FA"}`),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  statemachine.Record
	}{
		{"every field set", fullCampaign()},
		{"minimal brand", statemachine.Record{Kind: statemachine.KindBrand, ID: "b1", State: statemachine.Pending, Version: 1}},
		{"empty reason and outbox", statemachine.Record{
			Kind: statemachine.KindNumber, ID: "+15555550100", State: statemachine.Registered, Version: 3,
			Reason: &statemachine.Reason{}, Outbox: map[string][]statemachine.Outgoing{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			av, err := marshalRecord(tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := unmarshalRecord(av)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.rec) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.rec)
			}
		})
	}
}

// The flow is stored as the number "flow" for a later flow, and left out
// for v1, as records were written before flows.
func TestRecordFlowAttribute(t *testing.T) {
	tests := []struct {
		flow statemachine.Flow
		want string // "" for absent
	}{
		{0, ""},
		{statemachine.FlowV2, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.flow.OrV1().String(), func(t *testing.T) {
			rec := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", Flow: tt.flow, State: statemachine.EvidenceReview, Version: 1}
			av, err := marshalRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if n, ok := av["flow"].(*types.AttributeValueMemberN); ok {
				got = n.Value
			} else if av["flow"] != nil {
				t.Fatalf("flow stored as %T, want a number", av["flow"])
			}
			if got != tt.want {
				t.Errorf("flow attribute %q, want %q", got, tt.want)
			}
			back, err := unmarshalRecord(av)
			if err != nil {
				t.Fatal(err)
			}
			if back.Flow != tt.flow {
				t.Errorf("read back flow %v, want %v", back.Flow, tt.flow)
			}
		})
	}
}

func TestRecordTimesStoredInUTC(t *testing.T) {
	rec := fullCampaign()
	rec.StateEnteredAt = t0.In(time.FixedZone("EST", -5*3600))
	av, err := marshalRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unmarshalRecord(av)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StateEnteredAt.Equal(t0) || got.StateEnteredAt.Location() != time.UTC {
		t.Errorf("StateEnteredAt = %v, want %v in UTC", got.StateEnteredAt, t0)
	}
	if got, want := av[resources.AttrStateEntered], (&types.AttributeValueMemberN{Value: "1772366400123"}); !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", resources.AttrStateEntered, got, want)
	}
}

func TestRecordKeysAndIndexAttributes(t *testing.T) {
	tests := []struct {
		name        string
		kind        statemachine.Kind
		id, parent  string
		state       statemachine.State
		wantWaiting string // "" means absent
		wantParent  string // "" means absent
	}{
		{"waiting brand", statemachine.KindBrand, "b1", "", statemachine.Submitted, "brand#SUBMITTED", ""},
		{"settled brand", statemachine.KindBrand, "b1", "", statemachine.Verified, "", ""},
		{"brand ignores a parent id", statemachine.KindBrand, "b1", "x", statemachine.Verified, "", ""},
		{"campaign under its brand", statemachine.KindCampaign, "c1", "b1", statemachine.InReview, "campaign#IN_REVIEW", "brand#b1"},
		{"campaign without parent id", statemachine.KindCampaign, "c1", "", statemachine.Active, "", ""},
		{"number under its campaign", statemachine.KindNumber, "+15555550100", "c1", statemachine.Registered, "", "campaign#c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			av, err := marshalRecord(statemachine.Record{Kind: tt.kind, ID: tt.id, ParentID: tt.parent, State: tt.state, Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := stringAttr(av, resources.AttrPK), string(tt.kind)+"#"+tt.id; got != want {
				t.Errorf("%s = %q, want %q", resources.AttrPK, got, want)
			}
			if got, want := stringAttr(av, resources.AttrSK), "record"; got != want {
				t.Errorf("%s = %q, want %q", resources.AttrSK, got, want)
			}
			if got, want := stringAttr(av, resources.AttrWaiting), tt.wantWaiting; got != want {
				t.Errorf("%s = %q, want %q", resources.AttrWaiting, got, want)
			}
			if got, want := stringAttr(av, resources.AttrParent), tt.wantParent; got != want {
				t.Errorf("%s = %q, want %q", resources.AttrParent, got, want)
			}
			for _, name := range []string{attrState, attrVersion, resources.AttrStateEntered} {
				if _, ok := av[name]; !ok {
					t.Errorf("attribute %s missing", name)
				}
			}
		})
	}
}

func TestOutboxAttributeName(t *testing.T) {
	av, err := marshalRecord(fullCampaign())
	if err != nil {
		t.Fatal(err)
	}
	m, ok := av[attrOutbox].(*types.AttributeValueMemberM)
	if !ok {
		t.Fatalf("%s = %#v, want a map", attrOutbox, av[attrOutbox])
	}
	if _, ok := m.Value["e2"].(*types.AttributeValueMemberS); !ok {
		t.Errorf("%s.e2 = %#v, want a JSON string", attrOutbox, m.Value["e2"])
	}
}

func TestAuditRoundTrip(t *testing.T) {
	a := statemachine.AuditEntry{
		Kind: statemachine.KindCampaign, RecordID: "c1", Version: 7,
		From: statemachine.InReview, To: statemachine.Rejected, Event: "campaign.review_rejected",
		MessageID: "e7", At: t0, Actor: "webhook", CorrelationID: "corr",
		Reason: &statemachine.Reason{Code: statemachine.CodeSampleMismatch},
	}
	av, err := marshalAudit(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stringAttr(av, resources.AttrSK), "audit#000000000007"; got != want {
		t.Errorf("%s = %q, want %q", resources.AttrSK, got, want)
	}
	for _, name := range []string{resources.AttrWaiting, resources.AttrParent} {
		if _, ok := av[name]; ok {
			t.Errorf("audit item has index attribute %s", name)
		}
	}
	got, err := unmarshalAudit(av)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, a)
	}
}

// stringAttr returns the string attribute name of av, or "" when absent.
func stringAttr(av map[string]types.AttributeValue, name string) string {
	if s, ok := av[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
