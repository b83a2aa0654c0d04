package sqsq

import (
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// flights is the set of messages whose handlers are running, by receipt
// handle, with the time each was received.
type flights struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// add adds messages received at the same time.
func (f *flights) add(msgs []types.Message, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		f.m[aws.ToString(m.ReceiptHandle)] = at
	}
}

func (f *flights) remove(receipt string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, receipt)
}

// takeAll empties the set and returns the receipt handles it held.
func (f *flights) takeAll() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := slices.Collect(maps.Keys(f.m))
	clear(f.m)
	return all
}

func (f *flights) has(receipt string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.m[receipt]
	return ok
}

// olderThan returns the receipt handles received at least age before now.
func (f *flights) olderThan(now time.Time, age time.Duration) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var due []string
	for receipt, at := range f.m {
		if now.Sub(at) >= age {
			due = append(due, receipt)
		}
	}
	return due
}

// heartbeat extends, every HeartbeatEvery, the visibility of each running
// message received at least HeartbeatEvery ago, until stop is closed.
func (r *run) heartbeat(stop <-chan struct{}) {
	t := time.NewTicker(r.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			due := r.flights.olderThan(now, r.cfg.HeartbeatEvery)
			for len(due) > 0 {
				n := min(len(due), maxBatch)
				r.extend(due[:n])
				due = due[n:]
			}
		}
	}
}

// extend resets the visibility timeout of up to 10 messages.
func (r *run) extend(receipts []string) {
	failed, err := r.changeVisibility(receipts, r.cfg.VisibilityTimeout)
	if err != nil {
		r.cfg.Observer.ExtendFailed(r.cfg.Queue, len(receipts))
		r.log.Warn("extend visibility failed; messages may be delivered twice", "messages", len(receipts), "error", err)
		return
	}
	for _, f := range failed {
		if !r.flights.has(f.receipt) {
			continue // finished meanwhile: nothing left to extend
		}
		r.cfg.Observer.ExtendFailed(r.cfg.Queue, 1)
		r.log.Warn("extend visibility failed; message may be delivered twice", "code", f.code, "error", f.message)
	}
}

// release makes messages whose handlers will not finish receivable at once,
// rather than after their visibility timeout.
func (r *run) release(receipts []string) {
	for len(receipts) > 0 {
		n := min(len(receipts), maxBatch)
		failed, err := r.changeVisibility(receipts[:n], 0)
		if err != nil {
			r.log.Warn("release failed; messages are redelivered after their visibility timeout", "messages", n, "error", err)
		}
		for _, f := range failed {
			r.log.Warn("release failed; message is redelivered after its visibility timeout", "code", f.code, "error", f.message)
		}
		receipts = receipts[n:]
	}
}

// visibilityFailure is an entry a ChangeMessageVisibilityBatch call refused.
type visibilityFailure struct{ receipt, code, message string }

// changeVisibility sets the visibility timeout of up to 10 messages to
// timeout. It returns the entries refused, or the error of the whole call.
func (r *run) changeVisibility(receipts []string, timeout time.Duration) ([]visibilityFailure, error) {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(receipts))
	for i, receipt := range receipts {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			ReceiptHandle:     aws.String(receipt),
			VisibilityTimeout: int32(timeout / time.Second),
		}
	}
	out, err := r.api.ChangeMessageVisibilityBatch(r.bg, &sqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: aws.String(r.cfg.QueueURL),
		Entries:  entries,
	})
	if err != nil {
		return nil, err
	}
	var failed []visibilityFailure
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(receipts) {
			continue
		}
		failed = append(failed, visibilityFailure{receipts[i], aws.ToString(f.Code), aws.ToString(f.Message)})
	}
	return failed, nil
}
