package retry

import (
	"errors"
	"fmt"
	"strings"
)

// The retry and dead-letter attributes hold a few facts each as
// "key=value;key=value", readable in the SQS console and in logs. Keys are
// lowercase words; a value is never empty and never contains ';' (it may
// contain '=', which only the first one of a field separates).

// field is one key=value pair of an attribute value, in write order.
type field struct{ key, value string }

// encodeFields joins fs, skipping fields with an empty value. The caller makes
// sure no value contains ';'.
func encodeFields(fs []field) string {
	var b strings.Builder
	for _, f := range fs {
		if f.value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(f.value)
	}
	return b.String()
}

// decodeFields splits an attribute value into its fields. Every field must be
// key=value with both sides non-empty, and no key may repeat.
func decodeFields(s string) (map[string]string, error) {
	if s == "" {
		return nil, errors.New("empty value")
	}
	out := map[string]string{}
	for f := range strings.SplitSeq(s, ";") {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("field %q is not key=value", f)
		case k == "" || v == "":
			return nil, fmt.Errorf("field %q has an empty key or value", f)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("field %q repeats", k)
		}
		out[k] = v
	}
	return out, nil
}
