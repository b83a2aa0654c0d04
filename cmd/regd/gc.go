package main

import "runtime/debug"

// gcPercent is regd's garbage collection target (GOGC) when the environment
// sets none. Its live heap is a few MiB and every SDK call allocates (about
// 170 KB and 1,700 objects per transition in `regbench bare`), so at Go's
// default, 100, it collected about 10 times a second under load; at 400 it
// collects a fifth as often, for a peak heap of a few tens of MiB more. An
// operator's GOGC (or GOMEMLIMIT, to cap the heap) still applies.
const gcPercent = 400

// setGCDefault sets the collector's target to gcPercent unless GOGC is set
// in the environment (lookup is os.LookupEnv), and reports whether it did.
func setGCDefault(lookup func(string) (string, bool)) bool {
	if _, ok := lookup("GOGC"); ok {
		return false
	}
	debug.SetGCPercent(gcPercent)
	return true
}
