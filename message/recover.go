package message

import (
	"context"
	"runtime/debug"
)

// Recover returns middleware that turns a panic in the next handler into a
// *PanicError carrying the panic value and the stack, returned as the handler's
// error. It belongs innermost, just outside the dispatcher, so that the retry
// and dead-letter logic sees a panic like any other failure and the message is
// never lost with the goroutine. The SQS consumer runtime wraps every handler
// in it too, as the last-resort guard of its goroutines.
func Recover() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, m *Message) (err error) {
			defer func() {
				// Since Go 1.21 panic(nil) recovers as *runtime.PanicNilError,
				// so a nil value means there was no panic.
				if v := recover(); v != nil {
					err = &PanicError{Value: v, Stack: debug.Stack()}
				}
			}()
			return next(ctx, m)
		}
	}
}
