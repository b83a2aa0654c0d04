package message

import (
	"context"
	"sync"
)

// Settled holds what a handler observed that is true only once its message
// is deleted: a message handled again after an attempt that was not deleted
// (its re-send failed, its delete failed, its process died) would otherwise
// be counted once per attempt. The consumer runtime gives each message one,
// through WithSettled, and runs it after the delete.
type Settled struct {
	mu sync.Mutex
	fs []func()
}

type settledKey struct{}

// WithSettled returns ctx carrying a new Settled, and the Settled.
func WithSettled(ctx context.Context) (context.Context, *Settled) {
	s := &Settled{}
	return context.WithValue(ctx, settledKey{}, s), s
}

// OnSettled runs f once the message handled with ctx is deleted, or at once
// if ctx carries no Settled (a handler called without the consumer runtime).
func OnSettled(ctx context.Context, f func()) {
	s, ok := ctx.Value(settledKey{}).(*Settled)
	if !ok {
		f()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fs = append(s.fs, f)
}

// Run runs the functions added, in order, and forgets them.
func (s *Settled) Run() {
	s.mu.Lock()
	fs := s.fs
	s.fs = nil
	s.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
