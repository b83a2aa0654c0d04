package retry

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/statemachine"
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
)

// MaxErrorBytes bounds the error text a dead letter carries.
const MaxErrorBytes = 256

// DeadLetter is a message in a dead-letter queue, as [List] shows it. A
// message the queue's RedrivePolicy moved (it crashed its consumers too often)
// has no dead-letter facts: Reason, Class, Code, Error and SourceQueue are
// zero, its OriginalMessageID is its MessageID (SQS keeps the id when it moves
// a message), and its retry state reads as a first attempt.
type DeadLetter struct {
	MessageID string // the dead-letter copy's id, which the dlq commands take
	// OriginalMessageID is the id of the message that failed, as regd's logs
	// name it (the "dead-lettered" line's message_id); "" if unknown.
	OriginalMessageID string
	Reason            string // ReasonExhausted, ReasonUnsupportedVersion or a permanent class; "" if moved by the RedrivePolicy
	Class             Class  // class of the last failure
	Code              int    // CPaaS error code of a rejection, if any
	Error             string // error text, at most MaxErrorBytes
	SourceQueue       string // URL of the queue the message failed on
	Attempt           int
	Deferrals         int
	Redriven          int
	FirstSeen         time.Time
	DeadAt            time.Time     // when it was dead-lettered (its SentTimestamp if unknown)
	Age               time.Duration // DeadAt − FirstSeen: how long it was tried; 0 if unknown
	EventType         statemachine.EventType
	EntityID          string
	Body              string
}

// deadLetterFacts is the content of [AttrDeadLetter].
type deadLetterFacts struct {
	reason string
	class  Class
	code   int
	at     time.Time
	source string
	id     string // message id of the message that failed
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

// encode returns the value of [AttrDeadLetter]. It fails only for a source
// URL holding the field separator, which no SQS queue URL does.
func (f deadLetterFacts) encode() (string, error) {
	if strings.Contains(f.source, ";") {
		return "", errSourceSeparator
	}
	code := ""
	if f.code != 0 {
		code = strconv.Itoa(f.code)
	}
	id := f.id
	if strings.Contains(id, ";") {
		id = "" // no SQS message id holds it; the id is only shown, so a dead letter without one is better than none
	}
	return encodeFields([]field{
		{fieldReason, f.reason},
		{fieldClass, string(f.class)},
		{fieldCode, code},
		{fieldAt, millisText(f.at)},
		{fieldSource, f.source},
		{fieldID, id},
	}), nil
}

// decodeDeadLetterFacts reads [AttrDeadLetter], leaving unreadable fields zero:
// the listing shows what it can.
func decodeDeadLetterFacts(s string) deadLetterFacts {
	fs, err := decodeFields(s)
	if err != nil {
		return deadLetterFacts{}
	}
	f := deadLetterFacts{reason: fs[fieldReason], class: Class(fs[fieldClass]), source: fs[fieldSource], id: fs[fieldID]}
	f.code, _ = strconv.Atoi(fs[fieldCode])
	f.at, _ = parseMillis(fs[fieldAt])
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

// deadLetterOf reads a received dead-letter message.
func deadLetterOf(m types.Message) DeadLetter {
	attrs := textAttributes(m.MessageAttributes)
	raw, hasFacts := attrs[AttrDeadLetter]
	facts := decodeDeadLetterFacts(raw)
	d := DeadLetter{
		MessageID:         aws.ToString(m.MessageId),
		OriginalMessageID: facts.id,
		Reason:            facts.reason,
		Class:             facts.class,
		Code:              facts.code,
		Error:             attrs[AttrDeadLetterError],
		SourceQueue:       facts.source,
		DeadAt:            facts.at,
		EventType:         statemachine.EventType(attrs[statemachine.AttrEventType]),
		EntityID:          attrs[statemachine.AttrEntityID],
		Body:              aws.ToString(m.Body),
	}
	if !hasFacts {
		d.OriginalMessageID = d.MessageID // moved by SQS, which keeps the id
	}
	if d.DeadAt.IsZero() {
		d.DeadAt = sentTimestamp(m)
	}
	if a, err := DecodeAttrs(attrs, time.Time{}); err == nil {
		d.Attempt, d.Deferrals, d.Redriven, d.FirstSeen = a.Attempt, a.Deferrals, a.Redriven, a.FirstSeen
	}
	if !d.FirstSeen.IsZero() && !d.DeadAt.IsZero() {
		d.Age = d.DeadAt.Sub(d.FirstSeen)
	}
	return d
}

// sentTimestamp returns the SentTimestamp system attribute of m, or zero.
func sentTimestamp(m types.Message) time.Time {
	t, err := parseMillis(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)])
	if err != nil {
		return time.Time{}
	}
	return t
}
