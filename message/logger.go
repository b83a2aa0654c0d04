package message

import (
	"context"
	"log/slog"
)

type loggerKey struct{}

// logHolder is the per-message logger of a context: one per message, so
// that what the middleware set (the message's ids, the attempt) is on the
// consumer runtime's own lines about the message too.
type logHolder struct{ l *slog.Logger }

// WithLogger returns a context whose per-message logger is l, in a holder of
// its own. A consumer runtime calls it once per message, so that no two
// messages share a holder.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, &logHolder{l})
}

// SetLogger makes l the per-message logger of ctx: in place when ctx carries
// one (the runtime's, which then logs with l too), in a new context
// otherwise. Middleware call it on the message's goroutine before the
// handler runs, for everything that follows; a handler that wants a logger
// of its own for a while uses LoggerFrom(ctx, ...).With instead.
func SetLogger(ctx context.Context, l *slog.Logger) context.Context {
	if h, ok := ctx.Value(loggerKey{}).(*logHolder); ok {
		h.l = l
		return ctx
	}
	return WithLogger(ctx, l)
}

// LoggerFrom returns the per-message logger of ctx, or fallback.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if h, ok := ctx.Value(loggerKey{}).(*logHolder); ok {
		return h.l
	}
	return fallback
}
