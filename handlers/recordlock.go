package handlers

import (
	"context"
	"sync"
)

// recordLocks lets one message of a record at a time through the dispatcher's
// read, decide and write, within one process. Answers that arrive together
// (three carriers on one campaign, two numbers settling) would otherwise each
// read the same version and all but one conflict, re-read and decide again;
// in line they cost one read and one write each. Across processes the
// version condition still decides, as before.
type recordLocks struct {
	mu sync.Mutex
	m  map[string]*recordLock
}

// recordLock is one record's lock: a one-slot channel, so that a waiter can
// give up with its context, and the number of holders and waiters, so that
// the last one out forgets it.
type recordLock struct {
	slot chan struct{}
	refs int
}

// lock waits until no other message of key is being applied here, and
// returns the function that lets the next one in; or ctx's error.
func (l *recordLocks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	e := l.m[key]
	if e == nil {
		e = &recordLock{slot: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.slot <- struct{}{}:
		return func() { <-e.slot; l.release(key, e) }, nil
	case <-ctx.Done():
		l.release(key, e)
		return nil, ctx.Err()
	}
}

func (l *recordLocks) release(key string, e *recordLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, key)
	}
}
