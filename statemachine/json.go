package statemachine

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
)

// mustJSON encodes v, remembering an encoding error on the decider.
func mustJSON(d *decider, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil && d.err == nil {
		d.err = err
	}
	return b
}

// stored decodes the registration the record keeps in Data, remembering a
// decoding error on the decider.
func stored[T any](d *decider) T {
	v, err := DecodePayload[T](d.next.Data)
	if err != nil && d.err == nil {
		d.err = err
	}
	return v
}

// sortedKeys returns the keys of m in order, for deterministic output.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
