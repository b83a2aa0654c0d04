package devserver

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger is the server's log.Logger writing to a slog.Logger. The
// server's tags become attributes under their own keys, only for the
// records l is enabled for. Once stopping is set it drops everything below
// errors: a stopping server's services warn about each other's closed
// connections for as long as they take to stop.
type serverLogger struct {
	l        *slog.Logger
	stopping *atomic.Bool
	tags     []tag.Tag // from With
}

var _ log.WithLogger = serverLogger{}

func (s serverLogger) Debug(msg string, tags ...tag.Tag) { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)  { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)  { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// DPanic is an error: the server panics on it only in its development mode.
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// Panic logs msg as an error and panics, as the server's own loggers do.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

// Fatal logs msg as an error and exits with status 1, as the server's own
// loggers do: the server calls it where it cannot go on.
func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

// With returns a logger adding tags to every record.
func (s serverLogger) With(tags ...tag.Tag) log.Logger {
	s.tags = append(slices.Clip(s.tags), tags...)
	return s
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if level < slog.LevelError && s.stopping.Load() || !s.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(s.tags)+len(tags))
	for _, t := range slices.Concat(s.tags, tags) {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}
