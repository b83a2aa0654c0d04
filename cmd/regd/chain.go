package main

import (
	"log/slog"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
)

// middleware returns regd's middleware around every consumer's handler,
// outermost first; this is the one place their order is written:
//
//  1. handlers.Logging builds the per-message logger with the message's ids;
//  2. the retry middleware decodes the retry state once (the attempt joins
//     the logger), and decides every failure: a delayed copy on the queue or
//     a dead letter, logged once there;
//  3. message.Recover turns a panic of the handler into a
//     *message.PanicError, which the retry middleware sees like any failure.
//
// What the chain leaves undecided (a copy that could not be sent, a shutdown)
// the consumer runtime logs once, at level error, with the message's logger
// as the chain left it (message.SetLogger replaces the runtime's in place),
// and leaves for redelivery.
func middleware(log *slog.Logger, retrier *retry.Retrier) []message.Middleware {
	return []message.Middleware{handlers.Logging(log), retrier.Middleware(), message.Recover()}
}
