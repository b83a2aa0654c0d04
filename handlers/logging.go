package handlers

import (
	"context"
	"errors"
	"github.com/tendlc/tendlc/message"
	"log/slog"

	"github.com/tendlc/tendlc/statemachine"
)

// Logging builds the per-message logger once, with the ids every line about a
// message carries and the attributes each of attrs derives from it (the
// attempt, which the retry package decodes from its attribute; an empty Attr
// adds nothing), and puts it in the context for the handlers below. It logs
// an error that reaches it: one that no inner middleware decided about, after
// which the message is left for redelivery.
func Logging(base *slog.Logger, attrs ...func(*message.Message) slog.Attr) message.Middleware {
	return func(next message.Handler) message.Handler {
		return func(ctx context.Context, m *message.Message) error {
			args := []any{
				"message_id", m.ID,
				"queue", m.Queue,
				"event", m.Attributes[statemachine.AttrEventType],
				"record_id", m.Attributes[statemachine.AttrEntityID],
				"event_id", m.Attributes[statemachine.AttrEventID],
				"correlation_id", m.Attributes[statemachine.AttrCorrelationID],
				"receive_count", m.ReceiveCount,
			}
			for _, attr := range attrs {
				args = append(args, attr(m))
			}
			l := base.With(args...)
			err := next(message.WithLogger(ctx, l), m)
			if err != nil && !errors.Is(err, context.Canceled) {
				l.Error("message left for redelivery", "error", err)
			}
			return err
		}
	}
}
