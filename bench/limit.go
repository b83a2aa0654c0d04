package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LimitMeasurer is a System that measures the limit of its event path beside
// a run whose scenario asks for it (Scenario.Limit): a bare loop of the SDK
// calls its transitions make, at its concurrency, with none of its own logic,
// on the same endpoints, once the run's processes have stopped. Runner finds
// it with a type assertion, like RateLimited.
type LimitMeasurer interface {
	// Transitions returns the state transitions the run d wrote: the unit
	// both sides of the limit are measured in.
	Transitions(d RunData) float64
	// MeasureLimit runs the bare loop for n transitions at the concurrency
	// of env's scenario and returns what it measured.
	MeasureLimit(ctx context.Context, env Env, n int) (BareRun, error)
}

// BareRun is what a bare loop measured: the transitions it made, in how long,
// and the CPU time its own process spent on them (setup and seeding
// excluded).
type BareRun struct {
	Transitions int     `json:"transitions"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
}

// Limit is the limit section of a report: the system's run and the bare loop
// side by side, in transitions, and their ratios.
type Limit struct {
	Concurrency int       `json:"concurrency"` // transitions in flight in the bare loop
	System      LimitSide `json:"system"`
	Bare        LimitSide `json:"bare"`
	// ThroughputRatio is the system's transitions per second over the bare
	// loop's, CPURatio its CPU per transition over the bare loop's.
	ThroughputRatio float64 `json:"throughput_ratio"`
	CPURatio        float64 `json:"cpu_ratio"`
	// Error says why the bare loop was not measured; the other fields are
	// then the system's only.
	Error string `json:"error,omitempty"`
}

// LimitSide is one side of the limit.
type LimitSide struct {
	Transitions        float64 `json:"transitions"`
	Seconds            float64 `json:"seconds"`
	PerSecond          float64 `json:"transitions_per_second"`
	CPUSeconds         float64 `json:"cpu_seconds"`
	CPUPerTransitionMS float64 `json:"cpu_ms_per_transition"`
}

func limitSide(transitions, seconds, cpu float64) LimitSide {
	s := LimitSide{Transitions: transitions, Seconds: seconds, CPUSeconds: cpu}
	if seconds > 0 {
		s.PerSecond = transitions / seconds
	}
	if transitions > 0 {
		s.CPUPerTransitionMS = 1000 * cpu / transitions
	}
	return s
}

// newLimit sets the system's side of run d (its transitions over the run's
// elapsed time, its replicas' CPU time over every incarnation) beside the
// bare loop's, or beside err when the bare loop failed.
func newLimit(transitions float64, d RunData, bare BareRun, err error) *Limit {
	var cpu float64
	for _, r := range d.Replicas {
		cpu += r.CPUSeconds
	}
	l := &Limit{System: limitSide(transitions, d.Elapsed.Seconds(), cpu)}
	if err != nil {
		l.Error = err.Error()
		return l
	}
	l.Concurrency = bare.Concurrency
	l.Bare = limitSide(float64(bare.Transitions), bare.Seconds, bare.CPUSeconds)
	if l.Bare.PerSecond > 0 {
		l.ThroughputRatio = l.System.PerSecond / l.Bare.PerSecond
	}
	if l.Bare.CPUPerTransitionMS > 0 {
		l.CPURatio = l.System.CPUPerTransitionMS / l.Bare.CPUPerTransitionMS
	}
	return l
}

// measureLimit measures the limit of the run d after stopping its processes,
// so that the bare loop has the machine the replicas had. It returns nil for
// an interrupted run, and a Limit with only an Error when the system has no
// bare loop (which does not fail the run) or the processes keep serving.
func (r Runner) measureLimit(ctx context.Context, stdout io.Writer, env Env, sup *Supervisor, d RunData) *Limit {
	lm, ok := r.System.(LimitMeasurer)
	switch {
	case ctx.Err() != nil:
		return nil
	case !ok:
		return &Limit{Error: "the system under test has no bare loop to measure (its event path is not SQS and DynamoDB calls)"}
	case r.Serve:
		return &Limit{Error: "not measured: the run's processes keep serving (--serve)"}
	}
	n := lm.Transitions(d)
	if n < 1 {
		return newLimit(n, d, BareRun{}, errors.New("the run made no transition"))
	}
	sup.StopAll()
	fmt.Fprintf(stdout, "regbench: the limit: a bare SDK loop of %.0f transitions on the same endpoints\n", n)
	bare, err := lm.MeasureLimit(ctx, env, int(n))
	return newLimit(n, d, bare, err)
}

// writeMarkdown writes the limit section of summary.md.
func (l *Limit) writeMarkdown(b *strings.Builder) {
	b.WriteString("\n## The event path's limit\n\n")
	if l.Error != "" {
		fmt.Fprintf(b, "The bare SDK loop was **not measured**: %s.\n", l.Error)
		return
	}
	fmt.Fprintf(b, "The SDK calls of one transition (a share of a 10-message ReceiveMessage, a consistent GetItem, a TransactWriteItems of record and audit item, "+
		"a SendMessageBatch of one follow-up, an UpdateItem clearing the outbox, a share of a DeleteMessageBatch) in a bare loop, "+
		"%d in flight, on the same endpoints after the run. CPU: the replicas' over the whole run; the bare loop's own process over its loop.\n\n", l.Concurrency)
	b.WriteString("| | transitions | seconds | transitions/s | CPU seconds | CPU ms per transition |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, s LimitSide) {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, f0(s.Transitions), f1(s.Seconds), f1(s.PerSecond), f1(s.CPUSeconds), f2(s.CPUPerTransitionMS))
	}
	row("system (regd replicas)", l.System)
	row("bare SDK loop", l.Bare)
	fmt.Fprintf(b, "| **system / bare** | | | **%s** | | **%s** |\n", f2(l.ThroughputRatio), f2(l.CPURatio))
}
