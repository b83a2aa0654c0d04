package sqsq

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/statemachine"
)

// maxBatchBytes is the most payload one SendMessageBatch call takes: bodies
// plus attribute names, types and values. SQS allows as much as one message.
const maxBatchBytes = statemachine.MaxMessageBytes

// entry is one message to send.
type entry struct {
	eventID string // names the message in errors
	body    string
	attrs   map[string]types.MessageAttributeValue
	delay   int32 // seconds
}

// size is what the entry counts against maxBatchBytes.
func (e entry) size() int {
	n := len(e.body)
	for name, v := range e.attrs {
		n += len(name) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}

// FailedMessage is one message that was not sent.
type FailedMessage struct {
	QueueURL    string
	EventID     string
	Code        string // the SQS error code of the entry; "" when the whole call failed
	Message     string // why
	SenderFault bool   // SQS blames the request: resending the same entry fails again
}

// SendError lists the messages of a send that were not sent; the others were.
// The errors of whole failed calls are in Calls, and errors.Is and errors.As
// see them.
type SendError struct {
	Failed []FailedMessage
	Calls  []error
}

func (e *SendError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d messages not sent:", len(e.Failed))
	for i, f := range e.Failed {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s to %s", f.EventID, f.QueueURL)
		if f.Code != "" {
			fmt.Fprintf(&b, " (%s: %s)", f.Code, f.Message)
		} else {
			fmt.Fprintf(&b, " (%s)", f.Message)
		}
	}
	return b.String()
}

// Unwrap returns the errors of the whole calls that failed.
func (e *SendError) Unwrap() []error { return e.Calls }

// sendAll sends entries to queueURL with SendMessageBatch, at most 10 entries
// and maxBatchBytes per call, and adds every message not sent to failed.
func sendAll(ctx context.Context, api API, queueURL string, entries []entry, failed *SendError) {
	for len(entries) > 0 {
		n, size := 1, entries[0].size()
		for n < len(entries) && n < maxBatch && size+entries[n].size() <= maxBatchBytes {
			size += entries[n].size()
			n++
		}
		sendBatch(ctx, api, queueURL, entries[:n], failed)
		entries = entries[n:]
	}
}

// sendBatch sends one SendMessageBatch call.
func sendBatch(ctx context.Context, api API, queueURL string, batch []entry, failed *SendError) {
	in := &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(queueURL),
		Entries:  make([]types.SendMessageBatchRequestEntry, len(batch)),
	}
	for i, e := range batch {
		in.Entries[i] = types.SendMessageBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			MessageBody:       aws.String(e.body),
			MessageAttributes: e.attrs,
			DelaySeconds:      e.delay,
		}
	}
	out, err := api.SendMessageBatch(ctx, in)
	if err != nil {
		err = fmt.Errorf("send %d messages to %s: %w", len(batch), queueURL, err)
		failed.Calls = append(failed.Calls, err)
		for _, e := range batch {
			failed.Failed = append(failed.Failed, FailedMessage{QueueURL: queueURL, EventID: e.eventID, Message: err.Error()})
		}
		return
	}
	for _, f := range out.Failed {
		fm := FailedMessage{
			QueueURL:    queueURL,
			EventID:     aws.ToString(f.Id),
			Code:        aws.ToString(f.Code),
			Message:     aws.ToString(f.Message),
			SenderFault: f.SenderFault,
		}
		if i, err := strconv.Atoi(fm.EventID); err == nil && i >= 0 && i < len(batch) {
			fm.EventID = batch[i].eventID
		}
		failed.Failed = append(failed.Failed, fm)
	}
}
