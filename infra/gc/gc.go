// Package gc sets the garbage collector's default for the processes whose
// work is SDK calls at a high rate: regd, the bare loop it is measured
// against (regbench bare) and the Temporal side's workers it is compared
// with (regtemporal worker), so that all of them collect alike.
package gc

import "runtime/debug"

// Percent is the garbage collection target (GOGC) when the environment
// sets none. Its live heap is a few MiB and every SDK call allocates (about
// 170 KB and 1,700 objects per transition in `regbench bare`), so at Go's
// default, 100, it collected about 10 times a second under load; at 400 it
// collects a fifth as often, for a peak heap of a few tens of MiB more. An
// operator's GOGC (or GOMEMLIMIT, to cap the heap) still applies.
const Percent = 400

// SetDefault sets the collector's target to Percent unless GOGC is set
// in the environment (lookup is os.LookupEnv), and reports whether it did.
func SetDefault(lookup func(string) (string, bool)) bool {
	if _, ok := lookup("GOGC"); ok {
		return false
	}
	debug.SetGCPercent(Percent)
	return true
}
