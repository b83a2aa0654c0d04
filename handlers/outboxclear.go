package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// clearTimeout bounds one deferred ClearOutbox.
const clearTimeout = 5 * time.Second

// deferredClears holds the outbox entries this process has sent and not yet
// cleared. The next transition of the record in this process removes them in
// its own write (the dispatcher takes them under the record's lock); an entry
// no transition took within its delay is cleared by a write of its own, as
// before. Only the process that sent an entry's messages knows they went out,
// so only its transitions fold the clear in: a transition of another process,
// or a crash before the clear, leaves the entry, and a redelivered duplicate
// of the event then sends its messages again (the same messages, which their
// consumers take once).
type deferredClears struct {
	after time.Duration
	clear func(ctx context.Context, kind statemachine.Kind, id, eventID string)

	mu      sync.Mutex
	pending map[recordKey]map[string]*time.Timer // event id -> the timer of its clear
	running int                                  // clears under way
	done    *sync.Cond                           // signalled when running drops
	flushed bool                                 // after flush: clear at once
}

type recordKey struct {
	kind statemachine.Kind
	id   string
}

func newDeferredClears(after time.Duration, clear func(ctx context.Context, kind statemachine.Kind, id, eventID string)) *deferredClears {
	c := &deferredClears{after: after, clear: clear, pending: map[recordKey]map[string]*time.Timer{}}
	c.done = sync.NewCond(&c.mu)
	return c
}

// add schedules the clear of eventID's entry on the record.
func (c *deferredClears) add(kind statemachine.Kind, id, eventID string) {
	key := recordKey{kind, id}
	c.mu.Lock()
	if c.flushed {
		c.running++
		c.mu.Unlock()
		c.run(key, eventID)
		return
	}
	defer c.mu.Unlock()
	if c.pending[key] == nil {
		c.pending[key] = map[string]*time.Timer{}
	}
	if _, ok := c.pending[key][eventID]; ok {
		return
	}
	c.pending[key][eventID] = time.AfterFunc(c.after, func() {
		if c.forget(key, eventID) {
			c.run(key, eventID)
		}
	})
}

// sent reports whether this process sent eventID's messages and has not
// cleared its entry yet.
func (c *deferredClears) sent(kind statemachine.Kind, id, eventID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[recordKey{kind, id}][eventID]
	return ok
}

// take returns the record's entries whose clears have not started, which the
// caller removes in its transition; it gives back with give those its write
// did not make.
func (c *deferredClears) take(kind statemachine.Kind, id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked(recordKey{kind, id})
}

// give schedules again the clears take returned.
func (c *deferredClears) give(kind statemachine.Kind, id string, ids []string) {
	for _, eventID := range ids {
		c.add(kind, id, eventID)
	}
}

// flush runs every pending clear now and waits for them and for those
// already under way; a clear added after it runs at once.
func (c *deferredClears) flush() {
	c.mu.Lock()
	c.flushed = true
	due := map[recordKey][]string{}
	for key := range c.pending {
		due[key] = c.stopLocked(key)
		c.running += len(due[key])
	}
	c.mu.Unlock()
	for key, ids := range due {
		for _, eventID := range ids {
			go c.run(key, eventID)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.running > 0 {
		c.done.Wait()
	}
}

// stopLocked stops the record's clears that have not started and returns
// their event ids. A clear whose timer fired stays pending: its function
// runs it.
func (c *deferredClears) stopLocked(key recordKey) []string {
	var ids []string
	for eventID, t := range c.pending[key] {
		if t.Stop() {
			ids = append(ids, eventID)
			delete(c.pending[key], eventID)
		}
	}
	if len(c.pending[key]) == 0 {
		delete(c.pending, key)
	}
	return ids
}

// forget removes one entry's clear as its timer fires; false when a
// transition took it first.
func (c *deferredClears) forget(key recordKey, eventID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[key][eventID]; !ok {
		return false
	}
	delete(c.pending[key], eventID)
	if len(c.pending[key]) == 0 {
		delete(c.pending, key)
	}
	c.running++
	return true
}

// run makes one clear that add, forget or flush counted as running.
func (c *deferredClears) run(key recordKey, eventID string) {
	defer func() {
		c.mu.Lock()
		c.running--
		c.done.Broadcast()
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), clearTimeout)
	defer cancel()
	c.clear(ctx, key.kind, key.id, eventID)
}
