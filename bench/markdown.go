package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/statemachine"
)

// writeMarkdown renders s as summary.md: the figures a reader compares
// between runs, in tables. report.json holds them all, and the series.
func (s Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	sc := s.Scenario
	fmt.Fprintf(&b, "# regbench %s\n\n", sc.Name)
	fmt.Fprintf(&b, "%s.\n\n", strings.TrimSuffix(sc.Description, "."))
	fmt.Fprintf(&b, "- load: %d campaigns over %d brands (phone numbers per campaign: %d), all seeded at once; %d regd replicas",
		sc.Campaigns, sc.Brands, sc.Numbers, sc.Replicas)
	if sc.KillEvery > 0 {
		fmt.Fprintf(&b, ", one killed with SIGKILL every %v and restarted", time.Duration(sc.KillEvery))
	}
	fmt.Fprintf(&b, "\n- time compression: %s\n", sc.Compression)
	if p := s.Production; p != nil {
		fmt.Fprintf(&b, "- time scale: %s (x%.3g); a time below is followed by its production equivalent, and this run's %s s are %s\n",
			p.Scale, s.TimeScale, f0(s.ElapsedSeconds), productionDuration(p.ElapsedSeconds))
	}
	fmt.Fprintf(&b, "- run: began %s, %.0f s (deadline %v%s); prefix `%s`; report.json schema %d\n",
		s.Began.Format(time.RFC3339), s.ElapsedSeconds, time.Duration(sc.Deadline), reached(s.DeadlineReached), s.Prefix, s.SchemaVersion)
	if s.Error != "" {
		fmt.Fprintf(&b, "- **run failed**: %s\n", s.Error)
	}

	b.WriteString("\n## Campaigns\n\n| outcome | campaigns |\n|---|---:|\n")
	fmt.Fprintf(&b, "| started | %d |\n| completed (ACTIVE) | %d |\n| failed (another terminal state) | %d |\n", s.Started, s.Completed, s.Failed)
	for _, st := range statemachine.States(statemachine.KindCampaign) {
		if n := s.Ended[st]; n > 0 && st != statemachine.Active {
			fmt.Fprintf(&b, "| &nbsp;&nbsp;%s | %d |\n", st, n)
		}
	}
	fmt.Fprintf(&b, "| stuck (not terminal at the end) | %d |\n| lost (never created) | %d |\n", s.Stuck, s.Lost)
	t := s.EndToEnd
	fmt.Fprintf(&b, "\nEnd-to-end time to ACTIVE, from the seeding (%d campaigns): p50 %s, p95 %s, p99 %s, max %s, mean %s.\n",
		t.Count, s.runTime(t.P50, f1), s.runTime(t.P95, f1), s.runTime(t.P99, f1), s.runTime(t.Max, f1), s.runTime(t.Mean, f1))
	var byKind []string
	for _, k := range statemachine.Kinds {
		byKind = append(byKind, fmt.Sprintf("%s %s", k, f0(s.Transitions.ByKind[k])))
	}
	fmt.Fprintf(&b, "Transitions written: %s (%s per second): %s.\n", f0(s.Transitions.Total), f1(s.Transitions.PerSecond), strings.Join(byKind, ", "))

	if s.Check != nil {
		s.Check.WriteMarkdown(&b, check.SummaryViolations)
	}

	b.WriteString("\n## Faults\n\n")
	if len(s.Faults.Checks) == 0 {
		b.WriteString("No fault configured.\n")
	} else {
		b.WriteString("| fault | configured | happened |\n|---|---|---:|\n")
		for _, c := range s.Faults.Checks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Fault, c.Configured, f0(c.Count))
		}
		fmt.Fprintf(&b, "\nEvery configured fault happened: %s.\n", yesNo(s.Faults.AllHappened))
	}

	b.WriteString("\n## Queues\n\nSchedule-to-start is the time from a message's send to its receive (SentTimestamp), " +
		"retry and deferral delays included; estimated from histogram buckets.\n\n")
	b.WriteString("| queue | received | schedule-to-start p50 | p95 | p99 | mean | backlog max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, q := range slices.Sorted(maps.Keys(s.Queues)) {
		f := s.Queues[q]
		w := f.ScheduleToStart
		if w.Count == 0 {
			fmt.Fprintf(&b, "| %s | %s | – | – | – | – | %d |\n", q, f0(f.Received), f.BacklogMax)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d |\n", q, f0(f.Received),
			s.runTime(w.P50, f2), s.runTime(w.P95, f2), s.runTime(w.P99, f2), s.runTime(w.Mean, f2), f.BacklogMax)
	}

	b.WriteString("\n## Cost per campaign\n\nRequests regd sent (every attempt, the SDK's retries included), divided by the campaigns started; " +
		"brands and numbers are part of a campaign's cost.\n\n")
	b.WriteString("| SQS API | requests | per campaign |\n|---|---:|---:|\n")
	writeRequests(&b, s.AWS.SQS)
	b.WriteString("\n| DynamoDB API | requests | per campaign |\n|---|---:|---:|\n")
	writeRequests(&b, s.AWS.DynamoDB)
	c := s.AWS.Capacity
	fmt.Fprintf(&b, "\nDynamoDB capacity (ReturnConsumedCapacity): %s RCU (%s per campaign), %s WCU (%s per campaign).\n\n",
		f1(c.ReadUnits), f2(c.ReadUnitsPerCampaign), f1(c.WriteUnits), f2(c.WriteUnitsPerCampaign))
	b.WriteString("| store operation | requests | RCU | WCU |\n|---|---:|---:|---:|\n")
	for _, op := range slices.Sorted(maps.Keys(c.ByOperation)) {
		u := c.ByOperation[op]
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", op, f0(u.Requests), f1(u.ReadUnits), f1(u.WriteUnits))
	}

	r := s.Reliability
	b.WriteString("\n## Retries, duplicates, dead letters, sweeper\n\n| figure | count |\n|---|---:|\n")
	fmt.Fprintf(&b, "| retries | %s |\n", f0(r.Retries))
	for _, cl := range slices.Sorted(maps.Keys(r.RetriesByClass)) {
		fmt.Fprintf(&b, "| &nbsp;&nbsp;%s | %s |\n", cl, f0(r.RetriesByClass[cl]))
	}
	fmt.Fprintf(&b, "| deferrals (event arrived early) | %s |\n| ignored (duplicate or stale event) | %s |\n| rejected | %s |\n",
		f0(r.Deferrals), f0(r.Ignored), f0(r.Rejected))
	fmt.Fprintf(&b, "| dead letters | %s |\n", f0(r.DeadLetters))
	for _, reason := range slices.Sorted(maps.Keys(r.DeadLettersBy)) {
		fmt.Fprintf(&b, "| &nbsp;&nbsp;%s | %s |\n", reason, f0(r.DeadLettersBy[reason]))
	}
	fmt.Fprintf(&b, "| version conflicts | %s |\n| outbox replays | %s |\n| handler errors (left for redelivery) | %s |\n",
		f0(r.VersionConflicts), f0(r.OutboxReplays), f0(r.HandlerErrors))
	fmt.Fprintf(&b, "| downstream submissions repeated (same key) | %s |\n| downstream submissions resubmitted (new key) | %s |\n| downstream submissions the simulator lost | %s |\n| 429s received by regd | %s |\n",
		f0(r.RepeatedSubmissions), f0(r.ResubmittedSubmissions), f0(r.LostSubmissions), f0(r.RateLimited))
	sw := s.Sweeper
	fmt.Fprintf(&b, "| sweeper re-drives that re-sent | %s |\n", f0(sw.Redriven))
	for _, o := range slices.Sorted(maps.Keys(sw.ByOutcome)) {
		fmt.Fprintf(&b, "| &nbsp;&nbsp;re-drives %s | %s |\n", o, f0(sw.ByOutcome[o]))
	}
	for _, o := range slices.Sorted(maps.Keys(sw.Lookups)) {
		fmt.Fprintf(&b, "| sweeper look-ups %s | %s |\n", o, f0(sw.Lookups[o]))
	}
	fmt.Fprintf(&b, "| sweeper gave up | %s |\n| sweeper items examined | %s |\n| sweeper read units | %s |\n| sweeps that ran | %s |\n",
		f0(sw.GaveUp), f0(sw.ExaminedItems), f1(sw.ReadUnits), f0(sw.Runs["ok"]))

	b.WriteString("\n## Downstreams\n\n| downstream | regd calls ok | 429 | 5xx | carriersim requests | 429 sent | 503 sent | repeated | resubmitted | max accepted/s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range slices.Sorted(maps.Keys(s.Downstreams)) {
		d := s.Downstreams[name]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, f0(d.Calls["ok"]), f0(d.Calls["429"]), f0(d.Calls["5xx"]),
			f0(d.Requests), f0(d.RateLimited), f0(d.ServerErrors), f0(d.Repeated), f0(d.Resubmitted), f0(d.MaxAcceptedPerSecond))
	}

	b.WriteString("\n## regd processes\n\n| replica | incarnations | killed | failed starts | CPU seconds | peak RSS |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range s.Replicas {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s MiB |\n", p.Name, p.Incarnations, p.Kills, p.StartFailures,
			f1(p.CPUSeconds), f1(float64(p.PeakRSSBytes)/(1<<20)))
	}

	fmt.Fprintf(&b, "\n## Campaigns per interval (%s s)\n\n| from | started | closed | completed | failed | backlog (open at the end) |\n|---:|---:|---:|---:|---:|---:|\n",
		f0(s.IntervalSeconds))
	for _, in := range s.Intervals {
		fmt.Fprintf(&b, "| %s s | %d | %d | %d | %d | %d |\n", f0(in.Start), in.Started, in.Closed, in.Completed, in.Failed, in.Backlog)
	}

	b.WriteString("\n## State machine decisions (fsm matrix)\n\n| kind | states | events | cells | transition | ignore | defer | reject |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range statemachine.Kinds {
		m := s.FSM[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", k, m.States, m.Events, m.Cells, m.Transition, m.Ignore, m.Defer, m.Reject)
	}

	b.WriteString("\nCharts: [completed.svg](completed.svg) (campaigns over time), [latency-cdf.svg](latency-cdf.svg) (time to ACTIVE), " +
		"[backlog.svg](backlog.svg) (backlog per queue). Every figure and series: report.json.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRequests(b *strings.Builder, r requestCounts) {
	for _, op := range slices.Sorted(maps.Keys(r.ByOperation)) {
		fmt.Fprintf(b, "| %s | %s | %s |\n", op, f0(r.ByOperation[op]), f2(r.PerCampaignByOperation[op]))
	}
	fmt.Fprintf(b, "| **total** | %s | %s |\n", f0(r.Total), f2(r.PerCampaign))
}

func reached(yes bool) string {
	if yes {
		return ", reached"
	}
	return ""
}

func yesNo(yes bool) string {
	if yes {
		return "yes"
	}
	return "**no**"
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
