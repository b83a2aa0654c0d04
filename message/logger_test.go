package message_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/message"
)

// A runtime gives each message a logger of its own, even when its context
// carries one already; middleware set the message's logger in place, so the
// runtime's lines carry what they added, and no other message's do.
func TestEachMessageHasALoggerOfItsOwn(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, nil))
	run := message.WithLogger(t.Context(), base) // a caller's context that carries a logger
	first := message.WithLogger(run, base.With("message_id", "m-1"))
	second := message.WithLogger(run, base.With("message_id", "m-2"))
	if got := message.SetLogger(first, message.LoggerFrom(first, nil).With("attempt", 2)); got != first {
		t.Error("SetLogger on a context with a logger returned a new context, want the same")
	}
	message.LoggerFrom(first, nil).Info("first")
	message.LoggerFrom(second, nil).Info("second")
	message.LoggerFrom(run, nil).Info("run")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "message_id=m-1 attempt=2") ||
		strings.Contains(lines[1], "attempt") || !strings.Contains(lines[1], "message_id=m-2") ||
		strings.Contains(lines[2], "message_id") {
		t.Errorf("lines:\n%s\nwant m-1 with its attempt, m-2 without, the run's without a message id", buf.String())
	}
	if l := message.LoggerFrom(message.SetLogger(t.Context(), base), nil); l != base {
		t.Error("SetLogger on a context without a logger: LoggerFrom does not return it")
	}
}
