package sqsq

import (
	"context"
	"sync"
)

// gate scales the receive loops of a run to the traffic. One loop is active
// from the start and at least one stays active; the others start parked. A
// loop whose receive came back empty parks if another loop is active: an
// empty long poll says the queue has nothing for one more receiver (the
// emulator answers every waiting long poll when one message arrives, all but
// one empty; SQS does so too, less often). A loop whose receive came back
// with every message it asked for wakes a parked loop: the queue likely holds
// more, and a second receive in flight hides the round trip of the first. Loops ramp up
// as fast as full batches come back (each active loop can wake one per
// receive) and fall back to one when the backlog is gone, each extra loop
// after its first empty receive.
type gate struct {
	mu     sync.Mutex
	active int // loops receiving, or waiting for handler slots to receive
	parked int // loops waiting for a wake that no full batch has given yet
	// wake holds a token per woken loop. A waker counts the loop as active
	// when it puts the token, so that two full batches wake two loops and a
	// loop about to take a token is never parked twice. Its capacity is the
	// number of loops: each token is for a loop that parked and has not yet
	// taken one, so a put never blocks.
	wake chan struct{}
}

// newGate returns the gate of n loops, one of them active.
func newGate(n int) *gate {
	return &gate{active: 1, parked: n - 1, wake: make(chan struct{}, n)}
}

// park reports whether a loop whose receive came back empty is to park: it
// is if another loop is active, and it then counts as parked. A loop that
// parks calls wait before its next receive.
func (g *gate) park() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active <= 1 {
		return false
	}
	g.active--
	g.parked++
	return true
}

// wait waits until a full batch wakes the loop. It reports false if ctx is
// done first.
func (g *gate) wait(ctx context.Context) bool {
	select {
	case <-g.wake:
		return true
	case <-ctx.Done():
		return false
	}
}

// full wakes a parked loop, if there is one, after a receive came back with
// every message it asked for.
func (g *gate) full() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.parked == 0 {
		return
	}
	g.parked--
	g.active++
	g.wake <- struct{}{} // never blocks: fewer tokens than parked loops before this one
}
