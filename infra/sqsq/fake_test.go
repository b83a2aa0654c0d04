package sqsq

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeSQS is one in-memory queue with the SQS semantics the consumer relies
// on: long polling, visibility timeouts, receipt handles, batch calls. It
// reads time.Now, so under testing/synctest its clock is the bubble's.
// Methods a test does not expect panic through the nil embedded API.
type fakeSQS struct {
	API

	mu          sync.Mutex
	msgs        []*fakeMsg // in send order
	seq         int
	changed     chan struct{}     // closed and replaced when messages change
	receiveErrs []error           // returned, in order, by the next ReceiveMessage calls
	sendFails   map[string]string // message body -> error code: SendMessageBatch fails that entry
	sendErr     error             // SendMessageBatch fails as a whole
	deleteErr   error             // DeleteMessageBatch fails as a whole
	extendErr   error             // ChangeMessageVisibilityBatch fails as a whole
	// wakeAll answers, empty and at once, every long poll that a send wakes
	// and that finds no message for it, as the emulator does (fauxqs): one
	// message sent to a queue with four long polls waiting answers one with
	// the message and three empty.
	wakeAll bool
	sent    int // messages sent, for wakeAll
	polling int // ReceiveMessage calls in progress

	receives []receiveCall
	deletes  [][]string // receipt handles of each DeleteMessageBatch call
	extends  [][]string // receipt handles of each ChangeMessageVisibilityBatch call
	sends    []*sqs.SendMessageBatchInput
}

type fakeMsg struct {
	id, body  string
	attrs     map[string]types.MessageAttributeValue
	sentAt    time.Time
	visibleAt time.Time
	receipt   string // of the latest receive
	receives  int
}

type receiveCall struct {
	at  time.Time
	max int32
}

func newFakeSQS() *fakeSQS { return &fakeSQS{changed: make(chan struct{})} }

// put adds messages with the given bodies, visible now.
func (f *fakeSQS) put(bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bodies {
		f.seq++
		f.msgs = append(f.msgs, &fakeMsg{id: fmt.Sprintf("m%d", f.seq), body: b, sentAt: time.Now()})
	}
	f.sent += len(bodies)
	f.notify()
}

// notify wakes long polls; f.mu is held.
func (f *fakeSQS) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// bodies returns the bodies of the messages still on the queue, sorted.
func (f *fakeSQS) bodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		out = append(out, m.body)
	}
	slices.Sort(out)
	return out
}

// visible returns the bodies of the messages a receive would return now,
// sorted.
func (f *fakeSQS) visible() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		if !m.visibleAt.After(time.Now()) {
			out = append(out, m.body)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	visibility := 30 * time.Second
	if in.VisibilityTimeout > 0 {
		visibility = time.Duration(in.VisibilityTimeout) * time.Second
	}
	deadline := time.Now().Add(time.Duration(in.WaitTimeSeconds) * time.Second)
	f.mu.Lock()
	f.receives = append(f.receives, receiveCall{at: time.Now(), max: in.MaxNumberOfMessages})
	f.polling++
	sent := f.sent
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.polling--
	}()
	for {
		f.mu.Lock()
		if len(f.receiveErrs) > 0 { // also ends a long poll in progress
			err := f.receiveErrs[0]
			f.receiveErrs = f.receiveErrs[1:]
			f.mu.Unlock()
			return nil, err
		}
		now, next := time.Now(), deadline
		var out []types.Message
		for _, m := range f.msgs {
			if len(out) == int(in.MaxNumberOfMessages) {
				break
			}
			if m.visibleAt.After(now) {
				next = minTime(next, m.visibleAt)
				continue
			}
			f.seq++
			m.receives++
			m.receipt = fmt.Sprintf("%s#%d", m.id, f.seq)
			m.visibleAt = now.Add(visibility)
			out = append(out, types.Message{
				MessageId:         aws.String(m.id),
				ReceiptHandle:     aws.String(m.receipt),
				Body:              aws.String(m.body),
				MessageAttributes: m.attrs,
				Attributes: map[string]string{
					"ApproximateReceiveCount": strconv.Itoa(m.receives),
					"SentTimestamp":           strconv.FormatInt(m.sentAt.UnixMilli(), 10),
				},
			})
		}
		answered := f.wakeAll && f.sent != sent // a send woke it and another receive took the message
		sent = f.sent
		changed := f.changed
		f.mu.Unlock()
		if len(out) > 0 || !now.Before(deadline) || answered {
			return &sqs.ReceiveMessageOutput{Messages: out}, nil
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		case <-changed:
			t.Stop()
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// byReceipt returns the message whose latest receipt handle is r; f.mu is held.
func (f *fakeSQS) byReceipt(r string) (int, bool) {
	i := slices.IndexFunc(f.msgs, func(m *fakeMsg) bool { return m.receipt == r })
	return i, i >= 0
}

func (f *fakeSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	out := &sqs.DeleteMessageBatchOutput{}
	var call []string
	for _, e := range in.Entries {
		call = append(call, *e.ReceiptHandle)
		i, ok := f.byReceipt(*e.ReceiptHandle)
		if !ok {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true})
			continue
		}
		f.msgs = slices.Delete(f.msgs, i, i+1)
		out.Successful = append(out.Successful, types.DeleteMessageBatchResultEntry{Id: e.Id})
	}
	f.deletes = append(f.deletes, call)
	f.notify()
	return out, nil
}

func (f *fakeSQS) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.extendErr != nil {
		return nil, f.extendErr
	}
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	var call []string
	for _, e := range in.Entries {
		call = append(call, *e.ReceiptHandle)
		i, ok := f.byReceipt(*e.ReceiptHandle)
		if !ok || !f.msgs[i].visibleAt.After(time.Now()) { // SQS refuses to extend a visible message
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("MessageNotInflight"), SenderFault: true})
			continue
		}
		f.msgs[i].visibleAt = time.Now().Add(time.Duration(e.VisibilityTimeout) * time.Second)
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	f.extends = append(f.extends, call)
	f.notify()
	return out, nil
}

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, in)
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if code, ok := f.sendFails[*e.MessageBody]; ok {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), Message: aws.String("injected")})
			continue
		}
		f.seq++
		id := fmt.Sprintf("m%d", f.seq)
		f.msgs = append(f.msgs, &fakeMsg{id: id, body: *e.MessageBody, attrs: e.MessageAttributes, sentAt: time.Now(),
			visibleAt: time.Now().Add(time.Duration(e.DelaySeconds) * time.Second)})
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String(id)})
		f.sent++
	}
	f.notify()
	return out, nil
}
