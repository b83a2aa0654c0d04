package sqsq

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing delays with jitter: the n-th delay
// (from 0) is drawn from [d/2, d] with d = min(first * 2^n, max).
type backoff struct {
	first, max time.Duration
	attempt    int
}

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
	d := b.max
	if b.attempt < 32 && b.first<<b.attempt < b.max {
		d = b.first << b.attempt
	}
	b.attempt++
	return d/2 + rand.N(d/2+1)
}

// reset starts over at the first delay.
func (b *backoff) reset() { b.attempt = 0 }

// sleep waits for d or until ctx is done. It reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
