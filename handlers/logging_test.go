package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tendlc/tendlc/message"
	"log/slog"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/statemachine"
)

// logLines decodes the JSON lines of buf.
func logLines(tb testing.TB, buf *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			tb.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

func TestLoggingPutsTheMessageIDsOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, nil))
	attempt := func(m *message.Message) slog.Attr { return slog.Int("attempt", len(m.Attributes["retry"])) }
	none := func(*message.Message) slog.Attr { return slog.Attr{} }
	h := message.Chain(func(ctx context.Context, m *message.Message) error {
		message.LoggerFrom(ctx, nil).Info("transition")
		return errors.New("store down")
	}, Logging(base, attempt, none))
	m := &message.Message{ID: "m-1", Queue: "events", ReceiveCount: 2, Attributes: map[string]string{
		statemachine.AttrEventType: "brand.verified", statemachine.AttrEntityID: "b1",
		statemachine.AttrEventID: "e-1", statemachine.AttrCorrelationID: "corr-x", "retry": "abc",
	}}
	if err := h(t.Context(), m); err == nil {
		t.Fatal("the handler's error was swallowed")
	}
	lines := logLines(t, &buf)
	if got, want := len(lines), 2; got != want {
		t.Fatalf("%d lines, want %d: the handler's and the redelivery's", got, want)
	}
	want := map[string]any{"message_id": "m-1", "queue": "events", "event": "brand.verified", "record_id": "b1",
		"event_id": "e-1", "correlation_id": "corr-x", "receive_count": 2.0, "attempt": 3.0}
	for i, line := range lines {
		for k, v := range want {
			if line[k] != v {
				t.Errorf("line %d (%s): %s = %v, want %v", i, line["msg"], k, line[k], v)
			}
		}
		if _, ok := line[""]; ok {
			t.Errorf("line %d carries an empty attribute", i)
		}
	}
	if got, want := lines[1]["msg"], "message left for redelivery"; got != want {
		t.Errorf("last line %q, want %q", got, want)
	}
}

func TestLoggingDoesNotLogShutdownAsAnError(t *testing.T) {
	var buf bytes.Buffer
	h := message.Chain(func(context.Context, *message.Message) error { return fmt.Errorf("wait: %w", context.Canceled) },
		Logging(slog.New(slog.NewJSONHandler(&buf, nil))))
	if err := h(t.Context(), &message.Message{ID: "m-1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged %q, want nothing", buf.String())
	}
}
