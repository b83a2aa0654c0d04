package retry

import (
	"context"
	"errors"
	"net"

	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Class is the kind of a handler failure, as far as retrying is concerned. Its
// values are short snake_case words, usable as metric labels and as the
// machine-readable reason of a dead letter.
type Class string

// Retryable classes: the same message may succeed later.
const (
	ClassThrottled Class = "throttled" // an AWS throttling error code, or HTTP 429
	ClassServer    Class = "server"    // HTTP 5xx, or an AWS server fault
	ClassTimeout   Class = "timeout"   // a deadline, a network timeout, HTTP 408, an AWS request timeout
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
	ClassClient        Class = "client"         // a downstream's refusal (message.StatusRefused), or an AWS error code that blames the request
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

// requestIsWrong are the AWS error codes that blame the request itself:
// sending it again cannot succeed.
var requestIsWrong = map[string]struct{}{
	"ValidationException": {}, "SerializationException": {}, "InvalidParameterValue": {},
	"InvalidParameterCombination": {}, "MissingParameter": {}, "InvalidAttributeValue": {},
	"MessageTooLong": {}, "InvalidMessageContents": {}, "ItemCollectionSizeLimitExceededException": {},
}

// Classify returns the class of a handler error, judged by type only
// (errors.Is, errors.As, smithy API error codes, HTTP status codes), never by
// message text. Domain errors win over transport errors: a rejection that
// wraps an HTTP error is a rejection. It returns "" for a nil error and
// ClassUnknown for an error it does not recognise.
func Classify(err error) Class {
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
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		if _, ok := awsretry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]; ok {
			return ClassThrottled
		}
		if _, ok := awsretry.DefaultRetryableErrorCodes[apiErr.ErrorCode()]; ok {
			return ClassTimeout // RequestTimeout, RequestTimeoutException
		}
		// The response's status, as message.ClassifyStatus reads it for
		// every caller: a 5xx is the server's, a 408 a timeout.
		st, hasStatus := message.StatusOf(err)
		if (hasStatus && st.Code >= 500) || apiErr.ErrorFault() == smithy.FaultServer {
			return ClassServer
		}
		if hasStatus && st.Class == message.StatusTimeout {
			return ClassTimeout
		}
		if _, ok := requestIsWrong[apiErr.ErrorCode()]; ok {
			return ClassClient
		}
		// Any other AWS error says nothing against the message itself: a
		// throttled transaction (400 TransactionCanceledException), expiring
		// credentials, a queue being recreated. Retry it within the policy's
		// bounds instead of dead-lettering it at once.
		return ClassUnknown
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
