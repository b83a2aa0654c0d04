package sqsq

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// Peeker receives messages and makes them visible again; *sqs.Client
// satisfies it.
type Peeker interface {
	ReceiveMessage(ctx context.Context, params *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, params *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// Redriver moves messages from a dead-letter queue back to their source
// queues; *sqs.Client satisfies it.
type Redriver interface {
	Peeker
	Sender
	DeleteMessage(ctx context.Context, params *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Purger empties a queue; *sqs.Client satisfies it.
type Purger interface {
	PurgeQueue(ctx context.Context, params *sqs.PurgeQueueInput, optFns ...func(*sqs.Options)) (*sqs.PurgeQueueOutput, error)
}

var (
	_ Peeker   = (*sqs.Client)(nil)
	_ Redriver = (*sqs.Client)(nil)
	_ Purger   = (*sqs.Client)(nil)
)

// Errors of the dead-letter operations.
var (
	// ErrNotConfirmed: Purge was called without confirmation.
	ErrNotConfirmed = errors.New("purge not confirmed")
	// ErrNotFound: a message id given to Redrive is not in the dead-letter queue.
	ErrNotFound = errors.New("not in the dead-letter queue")
	// ErrNoSource: a dead letter does not say which queue it came from (the
	// queue's RedrivePolicy moved it, not this package), so Redrive leaves it;
	// RedriveTo sends it to a queue the caller names.
	ErrNoSource = errors.New("dead letter names no source queue")
)

// DefaultListMax is the number of dead letters ListDeadLetters returns when
// asked for 0.
const DefaultListMax = 100

// Visibility timeouts of the operations, in seconds: long enough for one pass
// over the queue, short enough that an interrupted pass leaves the messages
// hidden only briefly.
const (
	peekVisibility    = 30
	redriveVisibility = 60
)

// ListDeadLetters returns up to limit dead letters of the queue at dlqURL
// (DefaultListMax if limit ≤ 0), oldest death first, without removing them: it receives them
// with a short visibility timeout and then makes them visible again at once.
// A message delivered twice is listed once. If the listing fails part way, it
// returns what it read with the error; messages it could not make visible
// again reappear after 30 seconds.
func ListDeadLetters(ctx context.Context, api Peeker, dlqURL string, limit int) ([]DeadLetter, error) {
	if limit <= 0 {
		limit = DefaultListMax
	}
	var (
		out     []DeadLetter
		handles []string
		seen    = map[string]bool{}
		recvErr error
	)
	for len(out) < limit {
		msgs, err := peek(ctx, api, dlqURL, min(10, limit-len(out)), peekVisibility)
		if err != nil {
			recvErr = err
			break
		}
		fresh := false
		for _, m := range msgs {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id], fresh = true, true
				out = append(out, deadLetterOf(m, dlqURL))
			}
		}
		if !fresh {
			break
		}
	}
	slices.SortFunc(out, func(a, b DeadLetter) int {
		return cmp.Or(a.DeadAt.Compare(b.DeadAt), cmp.Compare(a.MessageID, b.MessageID))
	})
	return out, errors.Join(recvErr, makeVisible(ctx, api, dlqURL, handles))
}

// DeadLetter is a message in a dead-letter queue, as [ListDeadLetters] shows
// it. A
// message the queue's RedrivePolicy moved (it crashed its consumers too often)
// has no dead-letter facts: Reason, Class, Code, Error and SourceQueue are
// zero, its OriginalMessageID is its MessageID (SQS keeps the id when it moves
// a message), and its retry state reads as a first attempt.
type DeadLetter struct {
	MessageID string // the dead-letter copy's id, which the dlq commands take
	// OriginalMessageID is the id of the message that failed, as regd's logs
	// name it (the "dead-lettered" line's message_id); "" if unknown.
	OriginalMessageID string
	Reason            string      // retry.ReasonExhausted, retry.ReasonUnsupportedVersion or a permanent class; "" if moved by the RedrivePolicy
	Class             retry.Class // class of the last failure
	Code              int         // CPaaS error code of a rejection, if any
	Error             string      // error text, at most retry.MaxErrorBytes
	SourceQueue       string      // URL of the queue the message failed on
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

// deadLetterOf reads a message received from the dead-letter queue at dlqURL.
func deadLetterOf(m types.Message, dlqURL string) DeadLetter {
	msg := newMessage(m, "", dlqURL)
	raw, hasFacts := msg.Attributes[retry.AttrDeadLetter]
	facts := retry.DecodeDeadLetterFacts(raw)
	d := DeadLetter{
		MessageID:         msg.ID,
		OriginalMessageID: facts.MessageID,
		Reason:            facts.Reason,
		Class:             facts.Class,
		Code:              facts.Code,
		Error:             msg.Attributes[retry.AttrDeadLetterError],
		SourceQueue:       facts.Source,
		DeadAt:            facts.At,
		EventType:         statemachine.EventType(msg.Attributes[statemachine.AttrEventType]),
		EntityID:          msg.Attributes[statemachine.AttrEntityID],
		Body:              string(msg.Body),
	}
	if !hasFacts {
		d.OriginalMessageID = d.MessageID // moved by SQS, which keeps the id
	}
	if d.DeadAt.IsZero() {
		d.DeadAt = msg.SentAt
	}
	if a, err := retry.DecodeAttrs(msg.Attributes, time.Time{}); err == nil {
		d.Attempt, d.Deferrals, d.Redriven, d.FirstSeen = a.Attempt, a.Deferrals, a.Redriven, a.FirstSeen
	}
	if !d.FirstSeen.IsZero() && !d.DeadAt.IsZero() {
		d.Age = d.DeadAt.Sub(d.FirstSeen)
	}
	return d
}

// Redrive sends the dead letters with the given message ids (nil: all of
// them) back to their source queues; it is RedriveTo with no queue named.
func Redrive(ctx context.Context, api Redriver, dlqURL string, ids []string) (int, error) {
	return RedriveTo(ctx, api, dlqURL, ids, "")
}

// RedriveTo sends the dead letters with the given message ids (nil: all of
// them) to the queue at toURL, or back to their source queues if toURL is "",
// and deletes them from the dead-letter queue, in that order: a failure in
// between leaves a duplicate, never a loss.
// The copy has the body and the envelope attributes, a fresh retry state
// (attempt 1, no deferrals) that keeps first_seen and counts the redrive
// (redriven+1), and no dead-letter facts. It returns how many messages it sent
// back, and the problems it met, joined: ErrNotFound for ids not in the queue,
// ErrNoSource for dead letters without a source when toURL is "", SQS
// errors. Messages it leaves are made visible again.
func RedriveTo(ctx context.Context, api Redriver, dlqURL string, ids []string, toURL string) (int, error) {
	var want map[string]bool
	if ids != nil {
		want = make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
	}
	var (
		n     int
		errs  []error
		keep  []string // receipt handles to make visible again
		seen  = map[string]bool{}
		found = map[string]bool{}
	)
	for want == nil || len(found) < len(want) {
		msgs, err := peek(ctx, api, dlqURL, 10, redriveVisibility)
		if err != nil {
			errs = append(errs, err)
			break
		}
		fresh := false
		for _, m := range msgs {
			id, handle := aws.ToString(m.MessageId), aws.ToString(m.ReceiptHandle)
			if seen[id] {
				keep = append(keep, handle)
				continue
			}
			seen[id], fresh = true, true
			if want != nil && !want[id] {
				keep = append(keep, handle)
				continue
			}
			found[id] = true
			sent, err := redriveOne(ctx, api, dlqURL, m, toURL)
			if sent {
				n++
			} else {
				keep = append(keep, handle)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("redrive %s: %w", id, err))
			}
		}
		if !fresh {
			break
		}
	}
	var missing []string
	for _, id := range slices.Sorted(maps.Keys(want)) {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrNotFound, strings.Join(missing, ", ")))
	}
	errs = append(errs, makeVisible(ctx, api, dlqURL, keep))
	return n, errors.Join(errs...)
}

// redriveOne sends one dead letter to the queue at toURL, or back to its
// source queue if toURL is "", then deletes it. It reports whether the copy
// was sent.
func redriveOne(ctx context.Context, api Redriver, dlqURL string, m types.Message, toURL string) (bool, error) {
	dead := newMessage(m, "", dlqURL)
	dest := cmp.Or(toURL, retry.DecodeDeadLetterFacts(dead.Attributes[retry.AttrDeadLetter]).Source)
	if dest == "" {
		return false, ErrNoSource
	}
	// A message SQS moved has no retry state: it was first seen when sent.
	old, err := retry.DecodeAttrs(dead.Attributes, dead.SentAt)
	if err != nil {
		old = retry.Attrs{} // a bad_attributes dead letter: the redrive starts its history afresh
	}
	fresh := retry.Attrs{Attempt: 1, FirstSeen: old.FirstSeen, Redriven: old.Redriven + 1}
	own := map[string]string{}
	if err := fresh.Encode(own); err != nil {
		return false, err
	}
	// A dead letter carries at most 10 attributes, two of them dead-letter
	// facts the copy leaves out, so nothing is dropped here.
	in, _ := copyInput(dest, string(dead.Body), dead.Attributes, own, 0)
	if _, err := api.SendMessage(ctx, in); err != nil {
		return false, fmt.Errorf("send to %s: %w", dest, err)
	}
	if _, err := api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		return true, fmt.Errorf("sent to %s but not deleted from the dead-letter queue, so it may be redriven twice: %w", dest, err)
	}
	return true, nil
}

// Purge deletes every message of the queue at dlqURL. It refuses with
// ErrNotConfirmed unless confirm is true, and otherwise returns the SQS error
// (SQS allows one purge per queue every 60 seconds).
func Purge(ctx context.Context, api Purger, dlqURL string, confirm bool) error {
	if !confirm {
		return fmt.Errorf("purge %s: %w", dlqURL, ErrNotConfirmed)
	}
	if _, err := api.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(dlqURL)}); err != nil {
		return fmt.Errorf("purge %s: %w", dlqURL, err)
	}
	return nil
}

// peek receives up to n messages with their attributes and SentTimestamp,
// hiding them for visibility seconds. It waits up to a second for the first
// one, so that an empty answer means an empty queue rather than SQS sampling
// too few of its servers.
func peek(ctx context.Context, api Peeker, queueURL string, n, visibility int) ([]types.Message, error) {
	out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(queueURL),
		MaxNumberOfMessages:         int32(n),
		VisibilityTimeout:           int32(visibility),
		WaitTimeSeconds:             1,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp},
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", queueURL, err)
	}
	return out.Messages, nil
}

// makeVisible makes the received messages with the given receipt handles visible
// again, ten at a time.
func makeVisible(ctx context.Context, api Peeker, queueURL string, handles []string) error {
	var errs []error
	for batch := range slices.Chunk(handles, 10) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(batch))
		for i, h := range batch {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			}
		}
		out, err := api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(queueURL), Entries: entries,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("make messages visible again in %s: %w", queueURL, err))
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("make a message visible again in %s: %s: %s",
				queueURL, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}
