package message

import (
	"context"
	"log/slog"
)

type loggerKey struct{}

// logHolder is the per-message logger of a context. A consumer runtime puts
// one in the context of each message it hands to a handler, so that what the
// middleware below adds to the logger (the message's ids, the attempt) is on
// the runtime's own lines about the message too.
type logHolder struct{ l *slog.Logger }

// WithLogger sets the per-message logger of ctx to l. If ctx carries one
// already (its consumer runtime's), it is replaced in place and ctx is
// returned; otherwise the returned context carries l. Middleware call it on
// the message's goroutine before the handler runs, which is when the runtime
// does not read it.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	if h, ok := ctx.Value(loggerKey{}).(*logHolder); ok {
		h.l = l
		return ctx
	}
	return context.WithValue(ctx, loggerKey{}, &logHolder{l})
}

// LoggerFrom returns the per-message logger of ctx, or fallback.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if h, ok := ctx.Value(loggerKey{}).(*logHolder); ok {
		return h.l
	}
	return fallback
}
