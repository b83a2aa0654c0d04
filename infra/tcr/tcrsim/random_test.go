package tcrsim

import (
	"fmt"
	"testing"
)

// A decision depends on the seed and what is decided, not on when it is
// asked: two systems meet the same world whatever order their requests
// come in; its rate is the configured probability.
func TestDecideIsKeyedNotOrdered(t *testing.T) {
	a, b := newRandom(7), newRandom(7)
	const n = 20000
	var yes int
	for i := range n {
		key := fmt.Sprintf("campaign-%05d", i)
		// b draws sequentially in between: that must not change decide.
		b.chance(0.5)
		got, want := a.decide(0.3, "reviewer", key), b.decide(0.3, "reviewer", key)
		if got != want {
			t.Fatalf("%s decided %v and %v under one seed", key, got, want)
		}
		if got {
			yes++
		}
	}
	if rate := float64(yes) / n; rate < 0.28 || rate > 0.32 {
		t.Errorf("decided yes at %.3f, want about 0.3", rate)
	}
	differ := false
	for i := range 100 {
		key := fmt.Sprintf("campaign-%05d", i)
		differ = differ || newRandom(8).decide(0.5, "reviewer", key) != a.decide(0.5, "reviewer", key)
	}
	if !differ {
		t.Error("seeds 7 and 8 decided 100 campaigns alike")
	}
	if a.decide(0, "x") || !a.decide(1, "x") {
		t.Error("probabilities 0 and 1 are not certain")
	}
}

// Neighbouring record ids are decided independently: over many seeds, 40
// campaigns at a 3% rate meet no rejection about 30% of the time (0.97^40),
// not most of the time as when ten neighbours share a decision.
func TestDecideSpreadsOverNeighbours(t *testing.T) {
	const seeds = 400
	none := 0
	for seed := range uint64(seeds) {
		r, rejected := newRandom(seed), 0
		for i := range 40 {
			if r.decide(0.03, "reviewer", fmt.Sprintf("campaign-%05d", i)) {
				rejected++
			}
		}
		if rejected == 0 {
			none++
		}
	}
	if got := float64(none) / seeds; got < 0.2 || got > 0.4 {
		t.Errorf("%.2f of seeds rejected none of 40 campaigns, want about 0.30", got)
	}
}
