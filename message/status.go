package message

import (
	"errors"
	"net/http"
)

// StatusClass is what a downstream's HTTP status says about a command. It is
// the one classification of HTTP statuses: the outbound handler, the retry
// middleware (retry.Classify, through [StatusOf]) and infra/tcr.HTTPError
// all ask [ClassifyStatus].
type StatusClass string

const (
	// StatusRefused: a 400 or 422 that carries a reason code, the only answer
	// that refuses the command itself; the registration fails with the reason.
	StatusRefused StatusClass = "refused"
	// StatusClient: any other 4xx (401, 403, 404, 409, a 400 without a reason
	// code). It blames the caller's credentials, permissions or
	// configuration, which an operator fixes, not the command: retried on a
	// capped budget, never a refusal.
	StatusClient  StatusClass = "client"
	StatusLimited StatusClass = "limited" // 429
	StatusTimeout StatusClass = "timeout" // 408
	// StatusServer: a 5xx, or a status no downstream should answer with an
	// error (1xx, 3xx, 2xx, above 599); retried.
	StatusServer StatusClass = "server"
)

// ClassifyStatus classifies a downstream's non-2xx answer by its status and
// the CPaaS reason code of its body (zero when it had none).
func ClassifyStatus(status, reasonCode int) StatusClass {
	switch {
	case status == http.StatusTooManyRequests:
		return StatusLimited
	case status == http.StatusRequestTimeout:
		return StatusTimeout
	case (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) && reasonCode != 0:
		return StatusRefused
	case status >= 400 && status < 500:
		return StatusClient
	}
	return StatusServer
}

// Retryable reports whether the same request may succeed later: every class
// but a refusal.
func (c StatusClass) Retryable() bool { return c != StatusRefused }

// Status is a downstream's non-2xx answer as an error carries it.
type Status struct {
	Code   int // the HTTP status
	Reason int // the CPaaS reason code of the body; zero when it had none
	Class  StatusClass
}

// statusError is a downstream's non-2xx answer; infra/tcr.HTTPError and the
// AWS SDK's response errors are.
type statusError interface {
	error
	HTTPStatusCode() int
}

// reasonCoder is implemented by refusals that carry a CPaaS reason code.
type reasonCoder interface {
	ReasonCode() int
}

// StatusOf returns the HTTP answer err carries (an HTTPStatusCode method in
// its chain, with the reason code of a ReasonCode method), classified, and
// false for an error that carries no status.
func StatusOf(err error) (Status, bool) {
	se, ok := errors.AsType[statusError](err)
	if !ok {
		return Status{}, false
	}
	s := Status{Code: se.HTTPStatusCode()}
	var rc reasonCoder
	if errors.As(err, &rc) {
		s.Reason = rc.ReasonCode()
	}
	s.Class = ClassifyStatus(s.Code, s.Reason)
	return s, true
}
