package tcr

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tendlc/tendlc/message"
)

// HTTPError is a downstream's non-2xx answer. Transport failures and timeouts
// are not HTTPErrors: they come back wrapped as the http.Client returned them
// (classify them with errors.As and net.Error).
type HTTPError struct {
	Status     int           // the HTTP status code
	RetryAfter time.Duration // from the Retry-After header; zero when absent
	Code       int           // CPaaS reason code from the JSON error body (30795, ...); zero when absent
	Message    string        // the error body's message
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "http %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later: anything but
// a refusal (a 400 or 422 with a reason code), as message.ClassifyStatus
// decides for every caller.
func (e *HTTPError) Retryable() bool {
	return message.ClassifyStatus(e.Status, e.Code).Retryable()
}

// HTTPStatusCode returns the status, so that callers classify the error
// without importing this package.
func (e *HTTPError) HTTPStatusCode() int { return e.Status }

// ReasonCode returns the CPaaS reason code, zero when the answer had none.
func (e *HTTPError) ReasonCode() int { return e.Code }

// RetryDelay returns how long the downstream asked callers to wait.
func (e *HTTPError) RetryDelay() time.Duration { return e.RetryAfter }

// MaxRetryAfter bounds the delay a Retry-After header may ask for; callers
// clamp it further to their own caps (the retry policy's, the shared rate
// limiter's).
const MaxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// A date is measured from the answer's Date header, or from now without one.
// A delay beyond MaxRetryAfter is clamped to it; a negative one, a number of
// seconds past what a time.Duration holds, or an unreadable value is no
// advice at all (zero).
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || s > math.MaxInt64/uint64(time.Second) {
			return 0
		}
		return min(time.Duration(s)*time.Second, MaxRetryAfter)
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return min(max(at.Sub(now), 0), MaxRetryAfter)
}
