package retry

import (
	"context"
	"errors"
	"net"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Class is the kind of a handler failure, as far as retrying is concerned. Its
// values are short snake_case words, usable as metric labels and as the
// machine-readable reason of a dead letter.
type Class string

// Retryable classes: the same message may succeed later.
const (
	ClassThrottled Class = "throttled" // a transport's throttling error (an AWS code), or HTTP 429
	ClassServer    Class = "server"    // HTTP 5xx, or a transport's server fault
	ClassTimeout   Class = "timeout"   // a deadline, a network timeout, HTTP 408, a transport's request timeout
	ClassConflict  Class = "conflict"  // statemachine.ErrConflict: the record changed concurrently
	ClassDeferred  Class = "deferred"  // message.ErrDeferred: the event arrived early, or a newer build wrote it
	ClassPanic     Class = "panic"     // *message.PanicError
	ClassUnknown   Class = "unknown"   // anything else (connection refused, ...)
	// ClassHTTPClient: a downstream's 4xx that refuses no command (401, 403,
	// 404, 409, a 400 without a reason code; see message.ClassifyStatus).
	// It blames credentials, permissions or configuration, which an
	// operator fixes: retried on [Policies.Client], then dead-lettered.
	ClassHTTPClient Class = "http_client"
)

// Permanent classes: the same message fails the same way every time.
const (
	ClassMalformed     Class = "malformed"      // statemachine.ErrMalformed
	ClassUnknownEvent  Class = "unknown_event"  // statemachine.ErrUnknownEvent
	ClassTooLarge      Class = "too_large"      // statemachine.ErrTooLarge
	ClassRejected      Class = "rejected"       // *message.RejectedError
	ClassClient        Class = "client"         // a downstream's refusal (message.StatusRefused), or a transport's error that blames the request
	ClassBadAttributes Class = "bad_attributes" // *AttributeError: unreadable retry state
)

// Permanent reports whether retrying a message that failed with c is useless.
func (c Class) Permanent() bool {
	switch c {
	case ClassMalformed, ClassUnknownEvent, ClassTooLarge,
		ClassRejected, ClassClient, ClassBadAttributes:
		return true
	}
	return false
}

// statusClasses are the classes of a downstream's HTTP answers, as
// message.ClassifyStatus classifies them.
var statusClasses = map[message.StatusClass]Class{
	message.StatusRefused: ClassClient,
	message.StatusClient:  ClassHTTPClient,
	message.StatusLimited: ClassThrottled,
	message.StatusTimeout: ClassTimeout,
	message.StatusServer:  ClassServer,
}

// A Classifier classifies the errors of one transport or store that [Classify]
// cannot judge by type alone (infra/sqsq.ClassifyAWS reads the AWS SDK's
// error codes and faults). It returns "" for an error it does not recognise.
type Classifier func(error) Class

// Classify returns the class of a handler error, judged by type only
// (errors.Is, errors.As, HTTP status codes, and what the transport
// classifiers given recognise), never by message text. Domain errors win over
// transport errors: a rejection that wraps an HTTP error is a rejection; a
// transport's classification wins over the HTTP status its error carries. It
// returns "" for a nil error and ClassUnknown for an error it does not
// recognise.
func Classify(err error, transports ...Classifier) Class {
	if err == nil {
		return ""
	}
	if _, ok := errors.AsType[*AttributeError](err); ok {
		return ClassBadAttributes
	}
	if _, ok := errors.AsType[*message.PanicError](err); ok {
		return ClassPanic
	}
	if _, ok := errors.AsType[*message.RejectedError](err); ok {
		return ClassRejected
	}
	// Envelope errors may come joined (several problems at once); the order
	// below picks the most specific.
	for _, c := range []struct {
		target error
		class  Class
	}{
		{message.ErrDeferred, ClassDeferred},
		{statemachine.ErrConflict, ClassConflict},
		{statemachine.ErrTooLarge, ClassTooLarge},
		{statemachine.ErrUnknownEvent, ClassUnknownEvent},
		{statemachine.ErrMalformed, ClassMalformed},
	} {
		if errors.Is(err, c.target) {
			return c.class
		}
	}
	for _, classify := range transports {
		if classify == nil {
			continue
		}
		if c := classify(err); c != "" {
			return c
		}
	}
	if st, ok := message.StatusOf(err); ok {
		return statusClasses[st.Class]
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ClassTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return ClassTimeout
	}
	return ClassUnknown
}
