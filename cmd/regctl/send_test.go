package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/statemachine"
)

const acme = `{"legal_name":"Acme","ein":"12-3456789","email":"ops@acme.test","entity_type":"PRIVATE_PROFIT"}`

// writeFile writes content to a file in a temporary directory and returns
// its path.
func writeFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Invalid envelopes are found before regctl connects to anything.
func TestSendUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"nothing to send", []string{"send"}, []string{"give --type and --entity, or --file"}},
		{"file and flags", []string{"send", "--file", "x", "--type", "brand.register"}, []string{"--file excludes --type"}},
		{"invalid payload", []string{"send", "--type", "brand.register", "--entity", "b1", "--payload", `{"legal_name":"","ein":"1"}`},
			[]string{"1 of 1 envelopes are invalid", "the envelope: malformed envelope: payload of brand.register: legal_name is empty",
				`ein "1" is not NN-NNNNNNN`, `entity_type "" is not one of`}},
		{"unknown type", []string{"send", "--type", "brand.registered", "--entity", "b1"},
			[]string{`the envelope: unknown event type: "brand.registered"`}},
		{"bad lines", []string{"send", "--file", writeFile(t,
			`{"type":"brand.register","entity_id":"b1","payload":`+acme+"}\n\n"+
				`{"type":"brand.vetted","entity_id":""}`+"\n"+
				`{"type":"brand.vetted","entity_id":"b1","colour":"red"}`+"\n"+
				`{"type":"brand.vetted","entity_id":"b1"} {}`+"\n")},
			[]string{"3 of 4 envelopes are invalid", "line 3: malformed envelope: entity_id is empty",
				`line 4: malformed envelope: json: unknown field "colour"`, "line 5: malformed envelope: more than one JSON value"}},
		{"empty file", []string{"send", "--file", writeFile(t, "\n\n")}, []string{"no envelopes in"}},
		{"output", []string{"send", "--type", "brand.vetted", "--entity", "b1", "-o", "csv"}, []string{`-o "csv": want table or json`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, exitUsage; got != want {
				t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q, want %q", r.stderr, s)
				}
			}
		})
	}
}

func TestSendPutsEventsOnTheEventsQueue(t *testing.T) {
	s, _, q := deployment(t)
	events := queueURL(t, q, s, string(statemachine.ToEvents))

	r := run(t, nil, fixedEnv, withPrefix(s, "send", "--type", "brand.register", "--entity", "b1", "--payload", acme,
		"--correlation-id", "ticket-1", "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("send: exit %d: %s", r.code, r.stderr)
	}
	var out struct{ Sent []sentEvent }
	decodeJSON(t, r.stdout, &out)
	e := envelopes(t, receive(t, q, events, 1))[0]
	if len(out.Sent) != 1 || out.Sent[0].EventID != e.EventID {
		t.Errorf("printed %+v, want the event id sent, %s", out.Sent, e.EventID)
	}
	if e.Type != statemachine.BrandRegister || e.EntityID != "b1" || e.Actor != "operator:alice" || e.CorrelationID != "ticket-1" ||
		!recent(e.OccurredAt) || string(e.Payload) != acme {
		t.Errorf("sent %+v, want brand.register for b1 by operator:alice, correlation ticket-1, now, with the payload", e)
	}

	file := writeFile(t, `{"type":"brand.vetted","entity_id":"b1","event_id":"evt-1"}`+"\n"+
		`{"type":"brand.revet_requested","entity_id":"b2","actor":"producer","correlation_id":"own"}`+"\n")
	r = run(t, nil, map[string]string{}, withPrefix(s, "send", "--file", file, "--correlation-id", "batch-7")...)
	if r.code != exitOK {
		t.Fatalf("send --file: exit %d: %s", r.code, r.stderr)
	}
	got := envelopes(t, receive(t, q, events, 2))
	slices.SortFunc(got, func(a, b statemachine.Envelope) int { return strings.Compare(a.EntityID, b.EntityID) })
	if got[0].EventID != "evt-1" || got[0].Actor != "operator:unknown" || got[0].CorrelationID != "batch-7" {
		t.Errorf("first envelope %+v, want event evt-1 by operator:unknown, correlation batch-7", got[0])
	}
	if got[1].Actor != "producer" || got[1].CorrelationID != "own" {
		t.Errorf("second envelope %+v, want its own actor and correlation id kept", got[1])
	}
	for _, e := range got {
		if !strings.Contains(r.stdout, e.EventID) {
			t.Errorf("output does not name event %s:\n%s", e.EventID, r.stdout)
		}
	}
}
