package temporal

import (
	"slices"
	"strings"
)

// workerFlags are the regd flags that `regtemporal worker` takes too, with
// the same meaning: the downstreams' rate limits, the recovery policy (the
// per-state thresholds, the maximum re-drives and checks), the time and
// retry scales, and the flow of the campaigns it starts.
var workerFlags = []string{"rate", "stuck-after", "max-redrives", "max-checks", "recovery", "time-scale", "retry-scale", "flow"}

// regdBoolFlags are regd's flags that take no separate value ("--pprof",
// "--sweep=false").
var regdBoolFlags = []string{"pprof", "sweep"}

// WorkerArgs splits a scenario's regd flags (Scenario.Regd) into the
// worker's flags (workerFlags, in their order in regd, as "--name value")
// and the flags the worker has no counterpart for, as written: the SQS and
// DynamoDB fault layer (--faults), the sweeper's schedule and mode (durable
// timers replace the sweeper), the consumers' concurrency, profiles. It
// reads flags as Go's flag package does: "-name value", "--name value",
// "--name=value", a boolean flag without a value; an argument that is not a
// flag is dropped too.
func WorkerArgs(regd []string) (worker, dropped []string) {
	for i := 0; i < len(regd); i++ {
		a := regd[i]
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name == "" {
			dropped = append(dropped, a)
			continue
		}
		written := []string{a}
		if !inline && !slices.Contains(regdBoolFlags, name) && i+1 < len(regd) {
			i++
			value = regd[i]
			written = append(written, value)
		}
		if slices.Contains(workerFlags, name) {
			worker = append(worker, "--"+name, value)
			continue
		}
		dropped = append(dropped, strings.Join(written, " "))
	}
	return worker, dropped
}
