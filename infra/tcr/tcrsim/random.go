package tcrsim

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// random is the one source of every random draw, seeded so that a run can be
// repeated. It is safe for concurrent use. The faults and delays (chance,
// between) follow the order requests and timers arrive in; the downstreams'
// decisions (decide) depend on the seed and what is decided alone, so that
// two systems driven through the same load meet the same world whatever
// order their requests come in.
type random struct {
	seed uint64
	mu   sync.Mutex
	r    *rand.Rand
}

func newRandom(seed uint64) *random {
	return &random{seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// decide reports true with probability p for the decision named by parts
// (what is decided, about which record, on which request body): the same
// parts always decide the same way under one seed. A request sent again
// after a loss is decided as it was; an edited one anew (the carriers'
// decisions excepted: their submission names only the carrier).
func (r *random) decide(p float64, parts ...string) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	h := fnv.New64a()
	_ = binary.Write(h, binary.LittleEndian, r.seed) // a hash.Hash never fails to write
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return float64(mix64(h.Sum64())>>11)/(1<<53) < p
}

// mix64 is splitmix64's finaliser: FNV-1a alone leaves its top bits nearly
// unchanged when only a key's last bytes differ, which decided campaigns
// 70 to 79 alike.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
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
