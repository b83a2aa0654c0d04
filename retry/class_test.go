package retry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want retry.Class
	}{
		{"nil", nil, ""},
		{"downstream 429", fmt.Errorf("submit brand: %w", statusError(429)), retry.ClassThrottled},
		{"downstream 408", statusError(408), retry.ClassTimeout},
		{"downstream 502", statusError(502), retry.ClassServer},
		{"downstream 401", statusError(401), retry.ClassHTTPClient},
		{"downstream 403", statusError(403), retry.ClassHTTPClient},
		{"downstream 404", statusError(404), retry.ClassHTTPClient},
		{"downstream 409", statusError(409), retry.ClassHTTPClient},
		{"downstream 400 without a reason code", &downstreamError{status: 400}, retry.ClassHTTPClient},
		{"downstream 422 without a reason code", statusError(422), retry.ClassHTTPClient},
		{"downstream 401 with a reason code", &downstreamError{status: 401, code: 30795}, retry.ClassHTTPClient},
		{"downstream refusal: 400 with a reason code", &downstreamError{status: 400, code: 30795}, retry.ClassClient},
		{"downstream refusal: 422 with a reason code", fmt.Errorf("carrier: %w", &downstreamError{status: 422, code: 30899}), retry.ClassClient},
		{"context deadline", fmt.Errorf("get record: %w", context.DeadlineExceeded), retry.ClassTimeout},
		{"network timeout", fmt.Errorf("dial: %w", os.ErrDeadlineExceeded), retry.ClassTimeout},
		{"conflict", fmt.Errorf("write: %w", &statemachine.ConflictError{Kind: statemachine.KindBrand, ID: "b1"}), retry.ClassConflict},
		{"deferred", &message.DeferredError{Reason: "brand not verified yet"}, retry.ClassDeferred},
		{"panic", &message.PanicError{Value: "boom"}, retry.ClassPanic},
		{"unknown", errors.New("connection refused"), retry.ClassUnknown},
		{"rejected", fmt.Errorf("dispatch: %w", &message.RejectedError{Reason: "unknown record"}), retry.ClassRejected},
		{"rejected wins over a status", errors.Join(statusError(503), &message.RejectedError{Reason: "invalid"}), retry.ClassRejected},
		{"malformed", fmt.Errorf("%w: bad json", statemachine.ErrMalformed), retry.ClassMalformed},
		{"unknown event", fmt.Errorf("%w: x", statemachine.ErrUnknownEvent), retry.ClassUnknownEvent},
		{"too large", fmt.Errorf("%w: 300000 bytes", statemachine.ErrTooLarge), retry.ClassTooLarge},
		{"joined envelope errors: the most specific wins",
			errors.Join(fmt.Errorf("%w: empty id", statemachine.ErrMalformed), fmt.Errorf("%w: x", statemachine.ErrUnknownEvent)),
			retry.ClassUnknownEvent},
		{"bad attributes", &retry.AttributeError{Attribute: retry.AttrRetry, Field: "attempt", Value: "x", Err: errors.New("bad")}, retry.ClassBadAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retry.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestClassPermanent(t *testing.T) {
	permanent := []retry.Class{retry.ClassMalformed, retry.ClassUnknownEvent,
		retry.ClassTooLarge, retry.ClassRejected, retry.ClassClient, retry.ClassBadAttributes}
	retryable := []retry.Class{retry.ClassThrottled, retry.ClassServer, retry.ClassTimeout, retry.ClassConflict,
		retry.ClassDeferred, retry.ClassPanic, retry.ClassUnknown, retry.ClassHTTPClient}
	for _, c := range permanent {
		if !c.Permanent() {
			t.Errorf("%s.Permanent() = false, want true", c)
		}
	}
	for _, c := range retryable {
		if c.Permanent() {
			t.Errorf("%s.Permanent() = true, want false", c)
		}
	}
}

// A transport's classifier judges the errors it knows, after the domain's
// errors and before the HTTP status an error carries; the errors it does not
// know fall through.
func TestClassifyConsultsTransportClassifiers(t *testing.T) {
	// throttledCode is a transport error with a code and an HTTP status of
	// 400, as the AWS SDK's are.
	type throttledCode struct{ statusError }
	knows := func(err error) retry.Class {
		if _, ok := errors.AsType[throttledCode](err); ok {
			return retry.ClassThrottled
		}
		return ""
	}
	tests := []struct {
		name string
		err  error
		want retry.Class
	}{
		{"the classifier wins over the status", fmt.Errorf("put: %w", throttledCode{statusError(400)}), retry.ClassThrottled},
		{"an error it does not know falls through", statusError(400), retry.ClassHTTPClient},
		{"a domain error wins over it", errors.Join(throttledCode{statusError(400)}, &message.RejectedError{Reason: "invalid"}), retry.ClassRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retry.Classify(tt.err, nil, knows); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
