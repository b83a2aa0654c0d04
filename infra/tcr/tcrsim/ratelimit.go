package tcrsim

import (
	"sync"
	"time"
)

// limiter is one group's rate limit: at most limit accepted requests in any
// one-second window (a sliding window over a log of recent requests). It also
// records the busiest one-second window seen, of accepted and of all received
// requests, so that a benchmark can check the caller's own limiter.
type limiter struct {
	mu       sync.Mutex
	limit    int         // per second; 0 means unlimited
	accepted []time.Time // accepted in the last second, oldest first
	received []time.Time // received in the last second, oldest first

	maxAccepted, maxReceived int
}

func newLimiter(perSecond int) *limiter { return &limiter{limit: perSecond} }

// allow records a request at now and reports whether it is accepted. When it
// is not, wait is how long until the window has room again.
func (l *limiter) allow(now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := now.Add(-time.Second)
	l.accepted = dropUpTo(l.accepted, since)
	l.received = append(dropUpTo(l.received, since), now)
	l.maxReceived = max(l.maxReceived, len(l.received))
	if l.limit > 0 && len(l.accepted) >= l.limit {
		return l.accepted[len(l.accepted)-l.limit].Add(time.Second).Sub(now), false
	}
	l.accepted = append(l.accepted, now)
	l.maxAccepted = max(l.maxAccepted, len(l.accepted))
	return 0, true
}

// peaks returns the most accepted and the most received requests seen in any
// one-second window.
func (l *limiter) peaks() (accepted, received int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxAccepted, l.maxReceived
}

// dropUpTo removes the times at or before t from the front of ts.
func dropUpTo(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(t) {
		i++
	}
	return ts[i:]
}
