package message

import (
	"errors"
	"fmt"
	"time"
)

// ErrDeferred: the event arrived early (out of order, or the record read is
// behind). The message is to be delivered again later; the retry policy bounds
// how often.
var ErrDeferred = errors.New("event deferred")

// DeferredError says why an event was deferred. errors.Is(err, ErrDeferred) is
// true for it.
type DeferredError struct {
	Reason string // a short, bounded phrase such as "brand not verified yet"
	Err    error  // the cause, if an error: a *statemachine.NewerError, statemachine.ErrNewerFlow
}

func (e *DeferredError) Error() string { return "deferred: " + e.Reason }

// Is reports whether target is ErrDeferred.
func (e *DeferredError) Is(target error) bool { return target == ErrDeferred }

// Unwrap returns the cause.
func (e *DeferredError) Unwrap() error { return e.Err }

// RejectedError: the event is not valid for the record in its current state,
// or its record does not exist. It is permanent: the message goes to the
// dead-letter queue with the reason.
type RejectedError struct {
	Reason string // a short, bounded phrase such as "unknown record"
	Code   int    // a CPaaS error code when one applies (30994, 30795, ...)
	Detail string // the specifics, when the reason has many (which follow-up, how large)
}

func (e *RejectedError) Error() string {
	s := "rejected: " + e.Reason
	if e.Code != 0 {
		s = fmt.Sprintf("%s (%d)", s, e.Code)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// PanicError is a recovered panic turned into an error, so that the retry and
// dead-letter logic sees it like any other failure.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// RetryDelayer is implemented by errors that say when to try again (a 429's
// Retry-After).
type RetryDelayer interface {
	RetryDelay() time.Duration
}
