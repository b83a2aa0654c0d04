package handlers

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// A second brand.register for an existing brand with another payload is
// ignored, but says so at warn and names the fields that differ: the
// producer's change would otherwise be lost without a trace at info level.
func TestRepeatedRegistrationWithAnotherPayloadWarns(t *testing.T) {
	var logs bytes.Buffer
	d, err := NewDispatcher(DispatcherConfig{Store: newMemStore(), Sender: &memSender{}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	reg := statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", Email: "a@acme.test", EntityType: "PRIVATE_PROFIT"}
	same, changed := reg, reg
	changed.LegalName, changed.Email = "Acme Holdings", "ops@acme.test"
	for _, r := range []statemachine.BrandRegistration{reg, same, changed} {
		if err := d.Handle(t.Context(), newMessage(t, event(t, statemachine.BrandRegister, "b1", r))); err != nil {
			t.Fatal(err)
		}
	}
	var warns []map[string]any
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			warns = append(warns, rec)
		}
	}
	if len(warns) != 1 {
		t.Fatalf("%d warnings, want 1 (for the changed payload only):\n%s", len(warns), logs.String())
	}
	var got []string
	for _, f := range warns[0]["differs"].([]any) {
		got = append(got, f.(string))
	}
	if want := []string{"email", "legal_name"}; !slices.Equal(got, want) {
		t.Errorf("differs = %v, want %v", got, want)
	}
}
