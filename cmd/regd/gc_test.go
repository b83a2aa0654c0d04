package main

import (
	"runtime/debug"
	"testing"
)

// TestSetGCDefault: regd collects at gcPercent unless the environment sets
// GOGC, whose value (even "off") wins.
func TestSetGCDefault(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	unset := func(string) (string, bool) { return "", false }
	if !setGCDefault(unset) {
		t.Error("GOGC unset: setGCDefault did not set the default")
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}

	set := func(k string) (string, bool) { return "50", k == "GOGC" }
	if setGCDefault(set) {
		t.Error("GOGC=50: setGCDefault overrode the environment")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50: GC percent %d, want it left at 100", got)
	}
}
