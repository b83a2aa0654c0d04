package sqsq

import "sync/atomic"

// slots counts the free handler slots of a run: pollers take them before
// receiving, one per message they ask for, and give back those they did not
// use; handlers give theirs back when they finish. A counter rather than a
// channel of tokens: a receive takes up to ten at once, and pollers and
// handlers would otherwise contend on the channel's lock for every one.
type slots struct {
	free atomic.Int64
	// wake holds a token whenever slots may be free for a waiting poller:
	// every give and every take that leaves slots free puts one, so no
	// waiter misses a free slot.
	wake chan struct{}
}

func newSlots(n int) *slots {
	s := &slots{wake: make(chan struct{}, 1)}
	s.free.Store(int64(n))
	return s
}

// take takes up to n free slots without waiting and returns how many it took.
func (s *slots) take(n int) int {
	for {
		free := s.free.Load()
		if free <= 0 {
			return 0
		}
		k := min(free, int64(n))
		if s.free.CompareAndSwap(free, free-k) {
			if free > k {
				s.signal()
			}
			return int(k)
		}
	}
}

// give returns n slots.
func (s *slots) give(n int) {
	if n > 0 {
		s.free.Add(int64(n))
		s.signal()
	}
}

func (s *slots) signal() {
	select {
	case s.wake <- struct{}{}:
	default: // a token is there already
	}
}
