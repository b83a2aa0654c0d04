package main

import (
	"context"
	"flag"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// dlqFlag declares --queue for the dlq commands.
func dlqFlag(fs *flag.FlagSet) *string {
	return fs.String("queue", "", "the dead-letter queue of queue `Q`: events, registry, att, tmobile, verizon, numbers or temporal (the bridge's) (required)")
}

// parseDLQ returns the logical name of the dead-letter queue of q, a logical
// queue name ("events") or its dead-letter queue's ("events-dlq"), or a
// usage error.
func parseDLQ(q string) (string, error) {
	q = strings.TrimSuffix(q, resources.DLQ(""))
	if q == "" {
		return "", usageErrorf("--queue is required")
	}
	if err := checkQueue("--queue", q); err != nil {
		return "", err
	}
	return resources.DLQ(q), nil
}

// checkQueue returns a usage error naming flag unless q is the logical name
// of a queue regd consumes, or of the bridge's.
func checkQueue(flag, q string) error {
	if !slices.Contains(statemachine.Queues(), statemachine.Destination(q)) {
		return usageErrorf("%s %q: want events, registry, att, tmobile, verizon, numbers or temporal", flag, q)
	}
	return nil
}

// openDLQ connects to the deployment and returns the URL of the dead-letter
// queue that --queue names.
func openDLQ(ctx context.Context, prefix, logical string) (*conn, string, error) {
	d, err := connect(ctx, prefix)
	if err != nil {
		return nil, "", err
	}
	url, err := d.queueURL(ctx, logical)
	if err != nil {
		return nil, "", err
	}
	return d, url, nil
}

// deadLetterView is a dead letter as the dlq commands print it.
type deadLetterView struct {
	MessageID         string                 `json:"message_id"`
	OriginalMessageID string                 `json:"original_message_id"`
	DeadAt            time.Time              `json:"dead_at"`
	AgeSeconds        int64                  `json:"age_seconds"`
	Reason            string                 `json:"reason"`
	Class             retry.Class            `json:"class"`
	Code              int                    `json:"code"`
	EventType         statemachine.EventType `json:"event_type"`
	EntityID          string                 `json:"entity_id"`
	Attempt           int                    `json:"attempt"`
	Deferrals         int                    `json:"deferrals"`
	Redriven          int                    `json:"redriven"`
	FirstSeen         *time.Time             `json:"first_seen"`
	TriedForSeconds   int64                  `json:"tried_for_seconds"`
	SourceQueue       string                 `json:"source_queue"`
	Error             string                 `json:"error,omitempty"`
	Body              string                 `json:"body,omitempty"`
}

// newDeadLetterView returns d as of now; with full, with its error text and
// body.
func newDeadLetterView(d sqsq.DeadLetter, now time.Time, full bool) deadLetterView {
	v := deadLetterView{
		MessageID: d.MessageID, OriginalMessageID: d.OriginalMessageID, DeadAt: d.DeadAt.UTC(), AgeSeconds: int64(now.Sub(d.DeadAt) / time.Second),
		Reason: d.Reason, Class: d.Class, Code: d.Code, EventType: d.EventType, EntityID: d.EntityID,
		Attempt: d.Attempt, Deferrals: d.Deferrals, Redriven: d.Redriven,
		TriedForSeconds: int64(d.Age / time.Second), SourceQueue: d.SourceQueue,
	}
	if !d.FirstSeen.IsZero() {
		t := d.FirstSeen.UTC()
		v.FirstSeen = &t
	}
	if full {
		v.Error, v.Body = d.Error, d.Body
	}
	return v
}

// peekDLQ checks the flags shared by dlq list and dlq show and reads up to
// limit dead letters of the logical queue's DLQ. A listing that failed part
// way comes back with what it read and listErr; err is for everything else.
func peekDLQ(ctx context.Context, env *Env, prefix, queue string, limit int) (logical string, now time.Time, dls []sqsq.DeadLetter, listErr, err error) {
	if logical, err = parseDLQ(queue); err != nil {
		return "", now, nil, nil, err
	}
	if limit <= 0 {
		return "", now, nil, nil, usageErrorf("--limit %d: want a positive number", limit)
	}
	if now, err = env.now(); err != nil {
		return "", now, nil, nil, err
	}
	d, url, err := openDLQ(ctx, prefix, logical)
	if err != nil {
		return "", now, nil, nil, err
	}
	dls, listErr = sqsq.ListDeadLetters(ctx, d.sqs, url, limit)
	return logical, now, dls, listErr, nil
}
