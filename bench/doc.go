// Package bench is the harness that measures an implementation of the
// 10DLC registration flow end to end and proves each run: the engine behind
// `regbench run`, `make run`, `make demo` and `make bench`, kept apart from
// the system it measures so that a second implementation (a durable
// execution one) is driven, checked and reported by the same code.
//
// A Scenario (a named profile, or a .json file) gives the load, the
// replicas, the deadline, the faults of the simulated world (carriersim's
// flags) and of the system, and how time is compressed. Runner starts
// carriersim (the simulator of infra/tcr/tcrsim as a process; the engine
// reads its counters and journal as that package's types, and takes its
// steps, groups and defaults from there) and, through the System interface,
// the system under test's processes under one Supervisor; it seeds the Load,
// prints a progress line from the campaigns' states and the system's queue
// backlog, kills a replica on the scenario's schedule and restarts it
// (Replica.Restart), collects every replica's Prometheus counters and
// histograms (Metrics), CPU time and peak memory, runs the checker (package
// bench/check) and writes the Report: report.json (docs/regbench-report.md),
// summary.md and three SVG charts. It also measures the CPU time and memory
// of backing services it does not start (Runner.Services: the emulators).
//
// The engine computes what every system has: the campaigns' outcomes and
// times, the simulated world's faults, the replicas' CPU and memory, the
// backlog and the checker's verdict. What only the system can read from its
// metrics (for tendlc: transitions, queue waits, AWS requests, retries, the
// sweeper, its own injected faults) the system computes itself
// (System.Figures): the engine knows none of the system's metric names.
// Summarize makes a Report of a RunData.
//
// System is small on purpose, one or two methods for each step of a run:
// start its processes, seed, watch progress, collect. What not every system
// has is an optional interface that Runner checks for: RateLimited (the
// limits the checker's rate rule holds the run to), Hinter (what to look
// at while a run is served), Serviced (a backing service the system starts
// itself, measured as Runner.Services are) and LimitMeasurer (a bare loop
// of the SDK calls of the system's transitions, which a scenario with Limit
// runs after the run: the report's Limit sets the system's transitions per
// second and CPU per transition beside the bare loop's).
//
// A Comparison sets two runs' reports side by side (`regbench compare`):
// compare.md and two charts with a series per run, from the engine's fields
// only, so that any two systems compare; CountCode counts each system's
// lines of code per concern from the checked-in mapping ConcernsFile.
//
// Package bench/legacy implements System for tendlc itself, and
// bench/temporal for the same flow on Temporal (driving the regtemporal
// binary); bench imports no AWS adapter.
package bench
