package statemachine

import (
	"reflect"
	"testing"
	"time"
)

// Completed fills what a producer leaves out and keeps what it set.
func TestEnvelopeCompleted(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	got := Envelope{Type: BrandRegister, EntityID: "b-1"}.Completed("id-1", now)
	if got.EventID != "id-1" || got.CorrelationID != "id-1" || got.SchemaVersion != SchemaVersion || !got.OccurredAt.Equal(now) {
		t.Errorf("completed %+v, want id-1 as event and correlation id, the schema version and now", got)
	}
	set := Envelope{Type: BrandRegister, EntityID: "b-1", EventID: "e", CorrelationID: "c", SchemaVersion: 1, OccurredAt: now.Add(-time.Hour)}
	if got := set.Completed("id-1", now); !reflect.DeepEqual(got, set) {
		t.Errorf("completed %+v, want it unchanged", got)
	}
}
