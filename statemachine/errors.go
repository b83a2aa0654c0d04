package statemachine

import (
	"errors"
	"fmt"
)

// Sentinel errors that stores return, so that callers can decide without
// knowing the store.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("record not found")
	// ErrConflict: a conditional write found another state or version than
	// expected; re-read and decide again.
	ErrConflict = errors.New("record changed concurrently")
)

// ConflictError is the typed conflict a store returns from a conditional write.
// errors.Is(err, ErrConflict) is true for it.
type ConflictError struct {
	Kind            Kind
	ID              string
	ExpectedState   State
	ExpectedVersion int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s: expected state %s at version %d: %v", e.Kind, e.ID, e.ExpectedState, e.ExpectedVersion, ErrConflict)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
