package statemachine

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
)

// marshal encodes v like json.Marshal, but leaves <, > and & as they are:
// messages are not HTML, and escaping each into six bytes once made a 36 KB
// campaign.register into a 215 KB registry command.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode encodes v, remembering the first error on the decider, as payload
// and stored do for decoding: Decide then fails with ErrMalformed.
func encode(d *decider, v any) json.RawMessage {
	b, err := marshal(v)
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
