package handlers

import (
	"context"
	"log/slog"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Logging builds the per-message logger once (MessageLogger) and puts it in
// the context for the middleware and handlers below (message.LoggerFrom); the
// retry middleware adds the attempt. It logs nothing itself: a message's
// failure is logged once, where it is decided (the retry middleware's copy or
// dead letter, or the consumer runtime's redelivery, whose
// ConsumerConfig.MessageLogger regd sets to MessageLogger).
func Logging(base *slog.Logger) message.Middleware {
	return func(next message.Handler) message.Handler {
		return func(ctx context.Context, m *message.Message) error {
			return next(message.WithLogger(ctx, MessageLogger(base, m)), m)
		}
	}
}

// MessageLogger returns base with the ids every line about m carries: the
// message's, the envelope's that its attributes mirror, the receive count.
func MessageLogger(base *slog.Logger, m *message.Message) *slog.Logger {
	return base.With(
		"message_id", m.ID,
		"queue", m.Queue,
		"event", m.Attributes[statemachine.AttrEventType],
		"record_id", m.Attributes[statemachine.AttrEntityID],
		"event_id", m.Attributes[statemachine.AttrEventID],
		"correlation_id", m.Attributes[statemachine.AttrCorrelationID],
		"receive_count", m.ReceiveCount,
	)
}
