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
