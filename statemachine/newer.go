package statemachine

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// ErrNewer: the envelope was written by a newer build of the system than this
// one (a higher schema version, or fields this build does not know). It is
// not malformed: during a rolling deploy a replica of the newer build reads
// it, so consumers defer it rather than dead-letter it.
var ErrNewer = errors.New("envelope from a newer build")

// NewerError says why an envelope is taken for a newer build's.
// errors.Is(err, ErrNewer) is true for it.
type NewerError struct {
	Version int      // its schema version, when higher than SchemaVersion
	Unknown []string // otherwise the fields this build does not know, sorted; payload.<name> for the payload's
}

func (e *NewerError) Error() string {
	if e.Version > SchemaVersion {
		return fmt.Sprintf("schema version %d, this build reads %d", e.Version, SchemaVersion)
	}
	return "unknown fields: " + strings.Join(e.Unknown, ", ")
}

// Is reports whether target is ErrNewer.
func (e *NewerError) Is(target error) bool { return target == ErrNewer }

// unknownFields returns the names of the JSON object fields that no exported
// field of struct type t takes, sorted, each with prefix. Like json.Unmarshal
// it matches names without regard to case.
func unknownFields(fields map[string]json.RawMessage, t reflect.Type, prefix string) []string {
	var known []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		known = append(known, name)
	}
	var unknown []string
	for name := range fields {
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, name) }) {
			unknown = append(unknown, prefix+name)
		}
	}
	slices.Sort(unknown)
	return unknown
}
