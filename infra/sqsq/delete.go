package sqsq

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/message"
)

// deleteLinger is how long a partial delete batch waits for more messages
// while handlers are still running. With none running it is sent at once.
const deleteLinger = 10 * time.Millisecond

// ack is a message to delete, with how long its handler ran and what it
// observed that holds once the message is deleted.
type ack struct {
	id, receipt string
	took        time.Duration
	settled     *message.Settled
}

// deleteLoop deletes acknowledged messages in batches until acks is closed and
// drained, with at most Pollers DeleteMessageBatch calls at once.
func (r *run) deleteLoop() {
	var calls sync.WaitGroup
	defer calls.Wait()
	limit := make(chan struct{}, r.cfg.Pollers)
	for {
		first, ok := <-r.acks
		if !ok {
			return
		}
		batch, open := r.gather(first)
		limit <- struct{}{}
		calls.Go(func() {
			defer func() { <-limit }()
			r.delete(batch)
		})
		if !open {
			return
		}
	}
}

// gather collects a batch that starts with first. It ends the batch when it is
// full, when no ack is waiting and no handler is running, or after
// deleteLinger. It reports false if acks was closed.
func (r *run) gather(first ack) ([]ack, bool) {
	batch := make([]ack, 1, maxBatch)
	batch[0] = first
	var linger <-chan time.Time
	for len(batch) < maxBatch {
		select {
		case a, ok := <-r.acks:
			if !ok {
				return batch, false
			}
			batch = append(batch, a)
			continue
		default:
		}
		if r.running.Load() == 0 {
			return batch, true
		}
		if linger == nil {
			t := time.NewTimer(deleteLinger)
			defer t.Stop()
			linger = t.C
		}
		select {
		case a, ok := <-r.acks:
			if !ok {
				return batch, false
			}
			batch = append(batch, a)
		case <-r.idle: // checked above
		case <-linger:
			return batch, true
		}
	}
	return batch, true
}

// delete deletes one batch and reports each message's outcome: handled ok
// once deleted, and then what its handler observed (message.OnSettled). A
// message that is not deleted is redelivered after its visibility timeout, so
// failures are logged, not retried.
func (r *run) delete(batch []ack) {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(batch))
	for i, a := range batch {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(a.receipt)}
	}
	out, err := r.api.DeleteMessageBatch(r.bg, &sqs.DeleteMessageBatchInput{
		QueueUrl: aws.String(r.cfg.QueueURL),
		Entries:  entries,
	})
	if err != nil {
		r.log.Error("delete failed; messages will be redelivered", "messages", len(batch), "error", err)
		r.cfg.Observer.DeleteFailed(r.cfg.Queue, len(batch))
		for _, a := range batch {
			r.cfg.Observer.Handled(r.cfg.Queue, fmt.Errorf("%w: %w", ErrNotDeleted, err), a.took)
		}
		return
	}
	failed := make(map[int]bool, len(out.Failed))
	for _, f := range out.Failed {
		id := aws.ToString(f.Id)
		if i, err := strconv.Atoi(id); err == nil && i >= 0 && i < len(batch) {
			failed[i], id = true, batch[i].id
		}
		r.log.Error("delete failed; message will be redelivered",
			"message_id", id, "code", aws.ToString(f.Code), "error", aws.ToString(f.Message))
	}
	if len(failed) > 0 {
		r.cfg.Observer.DeleteFailed(r.cfg.Queue, len(failed))
	}
	for i, a := range batch {
		var err error
		if failed[i] {
			err = fmt.Errorf("%w: delete refused", ErrNotDeleted)
		}
		r.cfg.Observer.Handled(r.cfg.Queue, err, a.took)
		if err == nil {
			a.settled.Run()
		}
	}
}
