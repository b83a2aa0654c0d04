package retry_test

import (
	"context"
	"testing"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

func TestDeadLetterErrorText(t *testing.T) {
	long := ""
	for len(long) < 300 {
		long += "é" // two bytes: 256 falls on a character boundary, 255 does not
	}
	tests := []struct {
		name, err, want string
	}{
		{name: "short text as is", err: "downstream answered 503", want: "downstream answered 503"},
		{name: "cut at 256 bytes", err: "x" + long, want: "x" + long[:254]},
		{name: "control characters replaced", err: "bad\x00byte\x1b[0m\ttab\nline", want: "bad\uFFFDbyte\uFFFD[0m\ttab\nline"},
		{name: "invalid UTF-8 replaced", err: "bad \xff\xfe utf8", want: "bad \uFFFD utf8"},
		{name: "empty text names the class", err: "", want: "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = textError(tt.err)
			if tt.err == "" {
				err = emptyStatusError{}
			}
			g := newRig(t, testPolicy, maxRand{})
			h := g.handler(func(context.Context, *message.Message) error { return err })
			if err := h(t.Context(), newMessage(t, statemachine.CampaignCarrierApproved, nil)); err != nil {
				t.Fatal(err)
			}
			got := attr(g.queues.last(t), retry.AttrDeadLetterError)
			if got != tt.want {
				t.Errorf("dead_letter_error = %q, want %q", got, tt.want)
			}
			if len(got) > retry.MaxErrorBytes {
				t.Errorf("dead_letter_error is %d bytes, want at most %d", len(got), retry.MaxErrorBytes)
			}
		})
	}
}

// textError is a permanent error (a refusal: HTTP 400 with a reason code)
// with the given text.
type textError string

func (e textError) Error() string       { return string(e) }
func (e textError) HTTPStatusCode() int { return 400 }
func (e textError) ReasonCode() int     { return 30795 }

// emptyStatusError is a permanent error with no text at all.
type emptyStatusError struct{}

func (emptyStatusError) Error() string       { return "" }
func (emptyStatusError) HTTPStatusCode() int { return 400 }
func (emptyStatusError) ReasonCode() int     { return 30795 }
