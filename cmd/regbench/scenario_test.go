package main

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestEveryProfileIsValidAndStatesItsCompression(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(profiles)) {
		t.Run(name, func(t *testing.T) {
			s, err := profile(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name || s.Compression == "" || s.Description == "" {
				t.Errorf("profile %q: name %q, compression %q, description %q", name, s.Name, s.Compression, s.Description)
			}
		})
	}
}

// TestBenchProfileIsShortAndHasEveryFault: make bench runs in at most 3
// minutes and exercises every kind of fault.
func TestBenchProfileIsShortAndHasEveryFault(t *testing.T) {
	s, err := profile("bench")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(s.Deadline); d > 3*time.Minute {
		t.Errorf("deadline %v, want at most 3 minutes", d)
	}
	var got []string
	for _, c := range faultChecks(s, faultFigures{}) {
		got = append(got, c.Fault)
	}
	want := []string{"regd dup-send", "regd delay-send", "regd dup-receive", "regd throttle", "regd 5xx", "regd stale-read",
		"webhook lost", "webhook duplicated", "webhook reordered", "downstream 503", "replica killed (SIGKILL)"}
	if !slices.Equal(got, want) {
		t.Errorf("bench faults %q, want %q", got, want)
	}
}
