package message

import (
	"context"
	"time"
)

// Message is one received queue message as handlers see it. The consumer
// runtime fills it; handlers and middleware read it.
type Message struct {
	ID            string            // SQS MessageId
	Queue         string            // logical queue name (a statemachine.Destination, or a DLQ name)
	QueueURL      string            // where the message came from
	ReceiptHandle string            // for delete and visibility changes
	Body          []byte            // the raw body
	Attributes    map[string]string // message attributes; String and Number values as text
	ReceiveCount  int               // ApproximateReceiveCount
	SentAt        time.Time         // SentTimestamp
}

// Handler processes one message. A nil error acknowledges it: the runtime
// deletes it. A non-nil error leaves it on the queue for redelivery after its
// visibility timeout.
type Handler func(ctx context.Context, m *Message) error

// Middleware wraps a handler.
type Middleware func(Handler) Handler

// Chain wraps h in mw so that mw[0] is the outermost: Chain(h, a, b) runs
// a, then b, then h.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
