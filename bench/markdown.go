package bench

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/statemachine"
)

// WriteMarkdown renders s as summary.md: the figures a reader compares
// between runs, in tables, the system's own at the places Part names.
// report.json holds them all, and the series. Its error is w's.
func (s Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	sc := s.Scenario
	fmt.Fprintf(&b, "# regbench %s\n\n", sc.Name)
	fmt.Fprintf(&b, "%s.\n\n", strings.TrimSuffix(sc.Description, "."))
	seeded := "all seeded at once"
	if ro := sc.Rollout; ro != nil {
		seeded = fmt.Sprintf("%.0f%% of the brands with their campaigns seeded at the start, the rest during a rollout of %s (from %v, one replica every %v)",
			100*ro.SeededBefore, ro.Flow, time.Duration(ro.Start), time.Duration(ro.Every))
	}
	fmt.Fprintf(&b, "- load: %d campaigns over %d brands (phone numbers per campaign: %d), %s; %d replicas",
		sc.Campaigns, sc.Brands, sc.Numbers, seeded, sc.Replicas)
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
		t.Count, s.RunTime(t.P50, 1), s.RunTime(t.P95, 1), s.RunTime(t.P99, 1), s.RunTime(t.Max, 1), s.RunTime(t.Mean, 1))
	s.writeSystem(&b, PartCampaigns)
	s.writeRollout(&b)
	if s.Handoff != nil {
		s.Handoff.writeMarkdown(&b, s)
	}

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

	s.writeSystem(&b, PartSections)
	if s.Limit != nil {
		s.Limit.writeMarkdown(&b)
	}

	b.WriteString("\n## regd processes\n\n| replica | incarnations | killed | failed starts | CPU seconds | peak RSS |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range s.Replicas {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", p.Name, p.Incarnations, p.Kills, p.StartFailures, f1(p.CPUSeconds), mib(p.PeakRSSBytes))
	}

	if len(s.Services) > 0 {
		b.WriteString("\n## Backing services\n\n| service | processes | CPU seconds (from the seeding) | peak RSS |\n|---|---:|---:|---:|\n")
		for _, sv := range s.Services {
			fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", sv.Name, sv.Processes, f1(sv.CPUSeconds), mib(sv.PeakRSSBytes))
		}
	}

	fmt.Fprintf(&b, "\n## Campaigns per interval (%s s)\n\n| from | started | closed | completed | failed | backlog (open at the end) |\n|---:|---:|---:|---:|---:|---:|\n",
		f0(s.IntervalSeconds))
	for _, in := range s.Intervals {
		fmt.Fprintf(&b, "| %s s | %d | %d | %d | %d | %d |\n", f0(in.Start), in.Started, in.Closed, in.Completed, in.Failed, in.Backlog)
	}

	s.writeSystem(&b, PartAppendix)

	b.WriteString("\nCharts: [completed.svg](completed.svg) (campaigns over time), [latency-cdf.svg](latency-cdf.svg) (time to ACTIVE), " +
		"[backlog.svg](backlog.svg) (backlog per queue). Every figure and series: report.json.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSystem writes the system's figures at part, if there are any.
func (s Report) writeSystem(b *strings.Builder, part Part) {
	if s.System != nil {
		s.System.WriteMarkdown(b, s, part)
	}
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

// mib writes bytes in MiB: "28.6 MiB".
func mib(bytes int64) string { return f1(float64(bytes)/(1<<20)) + " MiB" }
