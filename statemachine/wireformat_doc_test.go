package statemachine

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

// TestWireFormatExamplesDecode keeps the producers' part of
// docs/wire-format.md (the part above its webhooks) honest: every envelope
// it shows decodes, and every attribute map it shows mirrors the envelope
// before it, with the documented data types.
func TestWireFormatExamplesDecode(t *testing.T) {
	doc, err := os.ReadFile("../docs/wire-format.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, _ = bytes.Cut(doc, []byte("\n## Webhooks"))
	var last *Envelope
	envelopes, attrMaps := 0, 0
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(doc, -1) {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(m[1], &probe); err != nil {
			t.Errorf("example is not JSON: %v\n%s", err, m[1])
			continue
		}
		if _, ok := probe["type"]; ok {
			env, err := DecodeEnvelope(m[1])
			if err != nil {
				t.Errorf("example envelope does not decode: %v\n%s", err, m[1])
			}
			last = &env
			envelopes++
			continue
		}
		var attrs map[string]struct{ DataType, StringValue string }
		if err := json.Unmarshal(m[1], &attrs); err != nil || last == nil {
			t.Errorf("example is neither an envelope nor its attributes (%v):\n%s", err, m[1])
			continue
		}
		attrMaps++
		want := last.Attributes()
		if len(attrs) != len(want) {
			t.Errorf("attributes %v, want the %d of %v", attrs, len(want), want)
		}
		for name, v := range want {
			wantType := "String"
			if name == AttrSchemaVersion {
				wantType = "Number"
			}
			if got := attrs[name]; got.StringValue != v || got.DataType != wantType {
				t.Errorf("attribute %s = %+v, want %s %q", name, got, wantType, v)
			}
		}
	}
	if envelopes < 2 || attrMaps < 1 {
		t.Errorf("found %d envelopes and %d attribute maps in the doc, want at least 2 and 1", envelopes, attrMaps)
	}
}
