package gc

import (
	"runtime/debug"
	"testing"
)

// TestSetDefault: the process collects at Percent unless the environment sets
// GOGC, whose value (even "off") wins.
func TestSetDefault(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	unset := func(string) (string, bool) { return "", false }
	if !SetDefault(unset) {
		t.Error("GOGC unset: SetDefault did not set the default")
	}
	if got := debug.SetGCPercent(100); got != Percent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, Percent)
	}

	set := func(k string) (string, bool) { return "50", k == "GOGC" }
	if SetDefault(set) {
		t.Error("GOGC=50: SetDefault overrode the environment")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50: GC percent %d, want it left at 100", got)
	}
}
