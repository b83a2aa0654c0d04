package retry

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Dead-letter reasons besides the permanent classes.
const (
	// ReasonExhausted: the message's retryable failures (or deferrals) used
	// up its policy.
	ReasonExhausted = "exhausted"
	// ReasonUnsupportedVersion: the envelope was written by a newer build (a
	// higher schema version, or fields this build does not know) and was
	// deferred until the deferral budget was spent, no newer replica having
	// taken it. The error text names the version or the fields.
	ReasonUnsupportedVersion = "unsupported_version"
	// ReasonUnsupportedFlow: the event's record or type belongs to a newer
	// flow than this replica runs (statemachine.ErrNewerFlow), and it was
	// deferred until the newer-flow budget ([Policies.NewerFlow]) was spent,
	// no replica on that flow having taken it.
	ReasonUnsupportedFlow = "unsupported_flow"
)

// MaxErrorBytes bounds the error text a dead letter carries.
const MaxErrorBytes = 256

// DeadLetterFacts is the content of [AttrDeadLetter].
type DeadLetterFacts struct {
	Reason    string // ReasonExhausted, ReasonUnsupportedVersion, ReasonUnsupportedFlow or a permanent class
	Class     Class  // class of the last failure
	Code      int    // CPaaS error code of a rejection, if any
	At        time.Time
	Source    string // URL of the queue the message failed on
	MessageID string // id of the message that failed
}

// Field names inside [AttrDeadLetter].
const (
	fieldReason = "reason"
	fieldClass  = "class"
	fieldCode   = "code"
	fieldAt     = "at"
	fieldSource = "source"
	fieldID     = "message_id"
)

var errSourceSeparator = errors.New("source queue URL contains ';'")

// Encode returns the value of [AttrDeadLetter]. It fails only for a source
// URL holding the field separator, which no SQS queue URL does.
func (f DeadLetterFacts) Encode() (string, error) {
	if strings.Contains(f.Source, ";") {
		return "", errSourceSeparator
	}
	code := ""
	if f.Code != 0 {
		code = strconv.Itoa(f.Code)
	}
	id := f.MessageID
	if strings.Contains(id, ";") {
		id = "" // no SQS message id holds it; the id is only shown, so a dead letter without one is better than none
	}
	return encodeFields([]field{
		{fieldReason, f.Reason},
		{fieldClass, string(f.Class)},
		{fieldCode, code},
		{fieldAt, millisText(f.At)},
		{fieldSource, f.Source},
		{fieldID, id},
	}), nil
}

// DecodeDeadLetterFacts reads [AttrDeadLetter], leaving unreadable fields
// zero: a listing shows what it can.
func DecodeDeadLetterFacts(s string) DeadLetterFacts {
	fs, err := decodeFields(s)
	if err != nil {
		return DeadLetterFacts{}
	}
	f := DeadLetterFacts{Reason: fs[fieldReason], Class: Class(fs[fieldClass]), Source: fs[fieldSource], MessageID: fs[fieldID]}
	f.Code, _ = strconv.Atoi(fs[fieldCode])
	f.At, _ = parseMillis(fs[fieldAt])
	return f
}

// errorText returns err's text fit for a message attribute: characters SQS
// refuses (control characters other than tab and newlines, invalid UTF-8)
// replaced by U+FFFD, cut to at most MaxErrorBytes on a character boundary,
// never empty.
func errorText(err error, class Class) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(err.Error(), string(utf8.RuneError)))
	if len(s) > MaxErrorBytes {
		cut := MaxErrorBytes
		for !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" {
		return string(class)
	}
	return s
}
