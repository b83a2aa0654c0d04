package tcrsim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// random is the one source of every random draw, seeded so that a run can be
// repeated. It is safe for concurrent use; the order of concurrent draws
// follows the order requests and timers arrive in.
type random struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newRandom(seed uint64) *random {
	return &random{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// chance reports true with probability p. Certain outcomes (p <= 0, p >= 1)
// draw nothing, so turning a knob off does not shift the other draws.
func (r *random) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64() < p
}

// between returns a delay drawn uniformly from l.
func (r *random) between(l Latency) time.Duration {
	if l.Max <= l.Min {
		return l.Min
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return l.Min + time.Duration(r.r.Int64N(int64(l.Max-l.Min)+1))
}

// upTo returns a delay drawn uniformly from [0, d].
func (r *random) upTo(d time.Duration) time.Duration { return r.between(Latency{0, d}) }
