package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/message"
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
	errStore := errors.New("store down")
	h := message.Chain(func(ctx context.Context, m *message.Message) error {
		message.LoggerFrom(ctx, nil).Info("transition")
		return errStore
	}, Logging(base))
	m := &message.Message{ID: "m-1", Queue: "events", ReceiveCount: 2, Attributes: map[string]string{
		statemachine.AttrEventType: "brand.verified", statemachine.AttrEntityID: "b1",
		statemachine.AttrEventID: "e-1", statemachine.AttrCorrelationID: "corr-x",
	}}
	if err := h(t.Context(), m); !errors.Is(err, errStore) {
		t.Fatalf("error %v, want the handler's", err)
	}
	lines := logLines(t, &buf)
	if got, want := len(lines), 1; got != want {
		t.Fatalf("%d lines, want %d: the handler's only (a failure is logged where it is decided)", got, want)
	}
	want := map[string]any{"message_id": "m-1", "queue": "events", "event": "brand.verified", "record_id": "b1",
		"event_id": "e-1", "correlation_id": "corr-x", "receive_count": 2.0}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("%s = %v, want %v", k, lines[0][k], v)
		}
	}
}
