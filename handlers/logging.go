package handlers

import (
	"context"
	"log/slog"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Logging builds the per-message logger once, with the ids every line about a
// message carries (the message's, the envelope's that its attributes mirror,
// the receive count), and sets it as the message's logger in the context
// (message.SetLogger) for the middleware and handlers below; the retry
// middleware adds the attempt. It logs nothing itself: a message's failure is
// logged once, where it is decided (the retry middleware's copy or dead
// letter, or the consumer runtime's redelivery, with this logger).
func Logging(base *slog.Logger) message.Middleware {
	return func(next message.Handler) message.Handler {
		return func(ctx context.Context, m *message.Message) error {
			l := base.With(
				"message_id", m.ID,
				"queue", m.Queue,
				"event", m.Attributes[statemachine.AttrEventType],
				"record_id", m.Attributes[statemachine.AttrEntityID],
				"event_id", m.Attributes[statemachine.AttrEventID],
				"correlation_id", m.Attributes[statemachine.AttrCorrelationID],
				"receive_count", m.ReceiveCount,
			)
			return next(message.SetLogger(ctx, l), m)
		}
	}
}
