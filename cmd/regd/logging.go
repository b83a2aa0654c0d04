package main

import (
	"log/slog"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
)

// attemptAttr is the attempt a message is on, for its per-message logger:
// decoded from the retry state the retry middleware keeps in its attributes,
// or the raw attribute when it does not decode (the middleware dead-letters
// such a message).
func attemptAttr(m *message.Message) slog.Attr {
	a, err := retry.DecodeAttrs(m.Attributes, m.SentAt)
	if err != nil {
		return slog.String(retry.AttrRetry, m.Attributes[retry.AttrRetry])
	}
	return slog.Int("attempt", a.Attempt)
}
