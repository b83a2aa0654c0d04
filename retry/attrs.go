package retry

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Names of the message attributes this package owns. Every other attribute of
// a message is copied as it came.
const (
	// AttrRetry holds the retry state ([Attrs]) on every copy this package
	// sends: "attempt=3;deferrals=1;first_seen=1718000000000;last_error=server".
	AttrRetry = "retry"
	// AttrDeadLetter holds the facts of a dead letter, on the dead-letter copy
	// only: "reason=exhausted;class=server;at=1718000000000;source=<queue URL>;
	// message_id=<id of the message that failed>" (and "code=30994" for a
	// rejection with a CPaaS code).
	AttrDeadLetter = "dead_letter"
	// AttrDeadLetterError holds the error text of a dead letter (at most
	// [MaxErrorBytes] bytes of valid UTF-8), on the dead-letter copy only.
	AttrDeadLetterError = "dead_letter_error"
)

// Attrs is the retry state of a message, carried in [AttrRetry].
type Attrs struct {
	Attempt   int       // 1-based number of this delivery's attempt; absent means 1
	FirstSeen time.Time // when the message was first sent; absent means its SentAt
	LastError Class     // class of the previous failure; "" before any failure
	NotBefore time.Time // do not handle before; set only while hopping a delay over 15 minutes
	Deferrals int       // how often the event was deferred (not counted in Attempt)
	// FlowDeferrals counts the deferrals of an event this build's replicas
	// deferred for a newer flow (statemachine.ErrNewerFlow), on the
	// NewerFlow policy's budget: not counted in Deferrals.
	FlowDeferrals int
	// ClientFailures counts a downstream's 4xx that refused nothing
	// ([ClassHTTPClient]), on the Client policy's budget (not counted in
	// Attempt): a key that expired after a run of 503s gets its whole budget.
	ClientFailures int
	Redriven       int // how often an operator redrove the message from the dead-letter queue
}

// Field names inside [AttrRetry].
const (
	fieldAttempt   = "attempt"
	fieldDeferrals = "deferrals"
	fieldFlow      = "flow_deferrals"
	fieldClient    = "client_failures"
	fieldFirstSeen = "first_seen"
	fieldLastError = "last_error"
	fieldNotBefore = "not_before"
	fieldRedriven  = "redriven"
)

// Bounds beyond which a value is absurd rather than merely large.
const maxCount = 10_000

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	// classWord accepts class names this build does not know yet, so that a
	// newer build's copies survive a rolling deploy.
	classWord = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)
)

// AttributeError reports an unreadable or absurd value in a message attribute
// this package owns. [Classify] maps it to ClassBadAttributes: the message is
// dead-lettered, since the same bytes will never read better.
type AttributeError struct {
	Attribute string // AttrRetry, ...
	Field     string // the field inside the attribute; "" for its overall syntax
	Value     string
	Err       error
}

func (e *AttributeError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("attribute %s %q: %v", e.Attribute, e.Value, e.Err)
	}
	return fmt.Sprintf("attribute %s: %s=%q: %v", e.Attribute, e.Field, e.Value, e.Err)
}

// Unwrap returns the underlying problem.
func (e *AttributeError) Unwrap() error { return e.Err }

// DecodeAttrs reads the retry state from a message's attributes. A message
// without [AttrRetry] is on its first attempt and was first seen at sentAt
// (truncated to the millisecond). Unknown fields are ignored, for forward
// compatibility. It returns an *AttributeError for a malformed value (not
// key=value, a repeated field, a non-decimal or negative number, an attempt of
// 0, a count over 10000, a time outside the years 2000 to 2099).
func DecodeAttrs(attrs map[string]string, sentAt time.Time) (Attrs, error) {
	a := Attrs{Attempt: 1}
	if !sentAt.Before(minTime) && sentAt.Before(maxTime) {
		a.FirstSeen = toMillis(sentAt)
	}
	raw, ok := attrs[AttrRetry]
	if !ok {
		return a, nil
	}
	fs, err := decodeFields(raw)
	if err != nil {
		return Attrs{}, &AttributeError{Attribute: AttrRetry, Value: raw, Err: err}
	}
	for k, v := range fs {
		var err error
		switch k {
		case fieldAttempt:
			a.Attempt, err = parseCount(v)
		case fieldDeferrals:
			a.Deferrals, err = parseCount(v)
		case fieldFlow:
			a.FlowDeferrals, err = parseCount(v)
		case fieldClient:
			a.ClientFailures, err = parseCount(v)
		case fieldRedriven:
			a.Redriven, err = parseCount(v)
		case fieldFirstSeen:
			a.FirstSeen, err = parseMillis(v)
		case fieldNotBefore:
			a.NotBefore, err = parseMillis(v)
		case fieldLastError:
			a.LastError = Class(v)
		}
		if err != nil {
			return Attrs{}, &AttributeError{Attribute: AttrRetry, Field: k, Value: v, Err: err}
		}
	}
	if err := a.validate(); err != nil {
		return Attrs{}, err
	}
	return a, nil
}

// Encode writes a into dst[AttrRetry], times to the millisecond and zero
// fields left out. It returns an *AttributeError, and writes nothing, for a
// value [DecodeAttrs] would refuse, so whatever Encode writes decodes again.
func (a Attrs) Encode(dst map[string]string) error {
	if err := a.validate(); err != nil {
		return err
	}
	// validate admits no value holding the field separator.
	dst[AttrRetry] = encodeFields([]field{
		{fieldAttempt, strconv.Itoa(a.Attempt)},
		{fieldDeferrals, countText(a.Deferrals)},
		{fieldFlow, countText(a.FlowDeferrals)},
		{fieldClient, countText(a.ClientFailures)},
		{fieldFirstSeen, millisText(a.FirstSeen)},
		{fieldLastError, string(a.LastError)},
		{fieldNotBefore, millisText(a.NotBefore)},
		{fieldRedriven, countText(a.Redriven)},
	})
	return nil
}

// validate checks the bounds that DecodeAttrs and Encode share.
func (a Attrs) validate() error {
	bad := func(field string, value any, problem string) error {
		return &AttributeError{Attribute: AttrRetry, Field: field, Value: fmt.Sprint(value), Err: errors.New(problem)}
	}
	switch {
	case a.Attempt < 1 || a.Attempt > maxCount:
		return bad(fieldAttempt, a.Attempt, "want 1 to 10000")
	case a.Deferrals < 0 || a.Deferrals > maxCount:
		return bad(fieldDeferrals, a.Deferrals, "want 0 to 10000")
	case a.FlowDeferrals < 0 || a.FlowDeferrals > maxCount:
		return bad(fieldFlow, a.FlowDeferrals, "want 0 to 10000")
	case a.ClientFailures < 0 || a.ClientFailures > maxCount:
		return bad(fieldClient, a.ClientFailures, "want 0 to 10000")
	case a.Redriven < 0 || a.Redriven > maxCount:
		return bad(fieldRedriven, a.Redriven, "want 0 to 10000")
	case !a.FirstSeen.IsZero() && !inRange(a.FirstSeen):
		return bad(fieldFirstSeen, a.FirstSeen.UnixMilli(), "want a time in the years 2000 to 2099")
	case !a.NotBefore.IsZero() && !inRange(a.NotBefore):
		return bad(fieldNotBefore, a.NotBefore.UnixMilli(), "want a time in the years 2000 to 2099")
	case a.LastError != "" && !classWord.MatchString(string(a.LastError)):
		return bad(fieldLastError, a.LastError, "want a class name")
	}
	return nil
}

func inRange(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

// parseCount reads a decimal count: digits only, no sign. Bounds are checked
// by validate.
func parseCount(s string) (int, error) {
	if len(s) > 9 || !isDigits(s) {
		return 0, errors.New("not a decimal count")
	}
	return strconv.Atoi(s)
}

// parseMillis reads Unix milliseconds. Bounds are checked by validate.
func parseMillis(s string) (time.Time, error) {
	if len(s) > 15 || !isDigits(s) {
		return time.Time{}, errors.New("not Unix milliseconds")
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms).UTC(), nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// toMillis truncates t to the millisecond, in UTC, as the attributes carry it.
func toMillis(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func millisText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func countText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
