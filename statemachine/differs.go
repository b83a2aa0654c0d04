package statemachine

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
)

// registrations are the requests whose payload becomes the record's Data.
var registrations = []EventType{BrandRegister, CampaignRegister}

// differingFields returns the names of the top-level fields whose values
// differ between two JSON objects (a field absent from one counts), sorted;
// nil when they are equal or either does not decode.
func differingFields(a, b json.RawMessage) []string {
	var ma, mb map[string]any
	if decodeNumbers(a, &ma) != nil || decodeNumbers(b, &mb) != nil {
		return nil
	}
	var out []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// decodeNumbers decodes raw into v, numbers kept as text.
func decodeNumbers(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
