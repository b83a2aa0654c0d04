package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// notInReport is a figure's cell when the report does not hold it.
const notInReport = "–"

// WriteMarkdown renders compare.md: the two runs side by side, one column
// each, section by section, and the charts. Its error is w's.
func (c Comparison) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	t := c.titles()
	fmt.Fprintf(&b, "# regbench compare: %s\n\n", joined(t))
	c.writeRuns(&b)
	c.writeOutcomes(&b)
	c.writeTimes(&b)
	c.writeDownstreams(&b)
	c.writeStores(&b)
	c.writeProcesses(&b)
	c.writeCeiling(&b)
	c.writeRollout(&b)
	c.writeHandoff(&b)
	c.writeCode(&b)
	fmt.Fprintf(&b, "\nEvery figure of a run: its report.json (%s).\n", strings.Join(c.paths(), ", "))
	_, err := io.WriteString(w, b.String())
	return err
}

// table starts a table whose first column is head and whose others are the
// runs'.
func (c Comparison) table(b *strings.Builder, head string) {
	fmt.Fprintf(b, "| %s | %s |\n|---|%s\n", head, strings.Join(c.titles(), " | "), strings.Repeat("---:|", len(c.Runs)))
}

// paths are the runs' report.json paths.
func (c Comparison) paths() []string {
	var p []string
	for _, run := range c.Runs {
		p = append(p, run.Path)
	}
	return p
}

// cells writes a table row: label, then cell i of each run i.
func (c Comparison) cells(b *strings.Builder, label string, cell func(i int) string) {
	fmt.Fprintf(b, "| %s |", label)
	for i := range c.Runs {
		fmt.Fprintf(b, " %s |", cell(i))
	}
	b.WriteString("\n")
}

// row writes a table row: label, then value of each run's report.
func (c Comparison) row(b *strings.Builder, label string, value func(r Report) string) {
	c.cells(b, label, func(i int) string { return value(c.Runs[i].Report) })
}

func (c Comparison) writeRuns(b *strings.Builder) {
	fmt.Fprintf(b, "| run | %s |\n|---|%s\n", strings.Join(c.titles(), " | "), strings.Repeat("---|", len(c.Runs)))
	c.cells(b, "report", func(i int) string { return "`" + c.Runs[i].Path + "`" })
	c.row(b, "load", func(r Report) string {
		sc := r.Scenario
		return fmt.Sprintf("%d campaigns over %d brands, numbers per campaign: %d", sc.Campaigns, sc.Brands, sc.Numbers)
	})
	c.row(b, "workers", func(r Report) string {
		if r.Scenario.KillEvery > 0 {
			return fmt.Sprintf("%d, one killed every %v", r.Scenario.Replicas, time.Duration(r.Scenario.KillEvery))
		}
		return strconv.Itoa(r.Scenario.Replicas)
	})
	c.row(b, "time scale", func(r Report) string {
		if r.Production == nil {
			return "none (compressed ad hoc)"
		}
		return r.Production.Scale
	})
	c.row(b, "began", func(r Report) string { return r.Began.Format(time.RFC3339) })
	c.row(b, "elapsed", func(r Report) string {
		return fmt.Sprintf("%s s of %v%s", f0(r.ElapsedSeconds), time.Duration(r.Scenario.Deadline), reached(r.DeadlineReached))
	})
	c.row(b, "run error", func(r Report) string {
		if r.Error == "" {
			return "none"
		}
		return "**" + r.Error + "**"
	})
	if d := c.scenarioDifferences(); len(d) > 0 {
		fmt.Fprintf(b, "\nThe runs' scenarios differ in %s: the figures below are not like for like.\n", strings.Join(d, ", "))
	}
}

// scenarioDifferences names what sets a run's scenario apart from the
// first run's: their load, workers, kills, time scale and simulated world.
func (c Comparison) scenarioDifferences() []string {
	var out []string
	a := c.Runs[0].Report.Scenario
	for _, run := range c.Runs[1:] {
		for _, d := range differences(a, run.Report.Scenario) {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}

// differences names what sets the scenarios a and b apart.
func differences(a, b Scenario) []string {
	var out []string
	for _, d := range []struct {
		name   string
		differ bool
	}{
		{"campaigns", a.Campaigns != b.Campaigns}, {"brands", a.Brands != b.Brands}, {"numbers per campaign", a.Numbers != b.Numbers},
		{"workers", a.Replicas != b.Replicas}, {"kills", a.KillEvery != b.KillEvery}, {"time scale", a.TimeScale != b.TimeScale},
		{"the simulator's flags", !slices.Equal(a.Carriersim, b.Carriersim)},
	} {
		if d.differ {
			out = append(out, d.name)
		}
	}
	return out
}

func (c Comparison) writeOutcomes(b *strings.Builder) {
	b.WriteString("\n## Outcomes\n\n")
	c.table(b, "campaigns")
	c.row(b, "started", func(r Report) string { return strconv.Itoa(r.Started) })
	c.row(b, "completed (ACTIVE)", func(r Report) string { return strconv.Itoa(r.Completed) })
	c.row(b, "failed (another terminal state)", func(r Report) string { return strconv.Itoa(r.Failed) })
	c.row(b, "stuck (not terminal at the end)", func(r Report) string { return strconv.Itoa(r.Stuck) })
	c.row(b, "lost (never created)", func(r Report) string { return strconv.Itoa(r.Lost) })
	c.row(b, "checker", func(r Report) string {
		switch ch := r.Check; {
		case ch == nil:
			return "not checked"
		case ch.Error != "":
			return "**failed**: " + ch.Error
		case !ch.Passed:
			return fmt.Sprintf("**failed** (violations: %d)", len(ch.Violations))
		}
		ran, skipped := 0, []string{}
		for _, rr := range r.Check.Rules {
			if rr.NotApplicable != "" {
				skipped = append(skipped, rr.Rule)
				continue
			}
			ran++
		}
		if len(skipped) > 0 {
			return fmt.Sprintf("passed (%d rules; not applicable: %s)", ran, strings.Join(skipped, ", "))
		}
		return fmt.Sprintf("passed (%d rules)", ran)
	})
	c.row(b, "every configured fault happened", func(r Report) string {
		if len(r.Faults.Checks) == 0 {
			return "no fault configured"
		}
		return yesNo(r.Faults.AllHappened)
	})
}

func (c Comparison) writeTimes(b *strings.Builder) {
	b.WriteString("\n## Time to ACTIVE\n\nFrom the seeding to ACTIVE, over the completed campaigns; a scaled run's times are followed by their production equivalent.\n\n")
	c.table(b, "time to ACTIVE")
	for _, p := range []struct {
		name string
		of   func(Latency) float64
	}{
		{"p50", func(l Latency) float64 { return l.P50 }}, {"p95", func(l Latency) float64 { return l.P95 }},
		{"p99", func(l Latency) float64 { return l.P99 }}, {"max", func(l Latency) float64 { return l.Max }},
		{"mean", func(l Latency) float64 { return l.Mean }},
	} {
		c.row(b, p.name, func(r Report) string {
			if r.EndToEnd.Count == 0 {
				return "none completed"
			}
			return r.RunTime(p.of(r.EndToEnd), 1)
		})
	}
	fmt.Fprintf(b, "\n![Time to ACTIVE, CDF](%s)\n\n![Campaigns completed over time](%s)\n", latencyCDFSVG, completedSVG)
}

// simulatorTotal returns the sum over every downstream group of one of
// carriersim's request counts in r, and whether r holds the counters.
func simulatorTotal(r Report, count func(tcrsim.RequestStats) int64) (int64, bool) {
	var n int64
	for _, g := range simulatorCounters(r.Carriersim).Groups {
		n += count(g.RequestStats)
	}
	return n, r.Carriersim != nil
}

func (c Comparison) writeDownstreams(b *strings.Builder) {
	b.WriteString("\n## Downstream calls\n\nThe simulator's counters (`carriersim_counters`): every request it received, status look-ups and refused ones included; " +
		"per campaign over the campaigns started.\n\n")
	c.table(b, "downstream requests")
	total := func(count func(tcrsim.RequestStats) int64) func(Report) string {
		return func(r Report) string {
			if n, ok := simulatorTotal(r, count); ok {
				return strconv.FormatInt(n, 10)
			}
			return notInReport
		}
	}
	requests := func(s tcrsim.RequestStats) int64 { return s.Requests }
	c.row(b, "requests", total(requests))
	c.row(b, "requests per campaign", func(r Report) string {
		if n, ok := simulatorTotal(r, requests); ok && r.Started > 0 {
			return f2(float64(n) / float64(r.Started))
		}
		return notInReport
	})
	c.row(b, "repeated (same key: answered from the first)", total(func(s tcrsim.RequestStats) int64 { return s.Repeated }))
	c.row(b, "resubmitted (new key: decided anew)", total(func(s tcrsim.RequestStats) int64 { return s.Resubmitted }))
	c.row(b, "lost by the simulator (accepted, forgotten)", total(func(s tcrsim.RequestStats) int64 { return s.Lost }))
	c.row(b, "answered 429", total(func(s tcrsim.RequestStats) int64 { return s.RateLimited }))
	c.row(b, "answered 503 (injected)", total(func(s tcrsim.RequestStats) int64 { return s.ServerErrors }))
	groups := map[tcrsim.Group]bool{}
	for _, run := range c.Runs {
		for g := range simulatorCounters(run.Report.Carriersim).Groups {
			groups[g] = true
		}
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		c.row(b, fmt.Sprintf("&nbsp;&nbsp;%s requests per campaign", g), func(r Report) string {
			if r.Carriersim == nil || r.Started == 0 {
				return notInReport
			}
			return f2(float64(simulatorCounters(r.Carriersim).Groups[g].Requests) / float64(r.Started))
		})
	}
}

func (c Comparison) writeStores(b *strings.Builder) {
	b.WriteString("\n## Backing stores\n\nRequests the system's processes sent to the stores it keeps its state and messages in, every attempt, " +
		"per campaign started (total in parentheses); each system names its own stores (`backing_store_requests`).\n\n")
	c.table(b, "requests per campaign")
	stores := map[string]bool{}
	for _, run := range c.Runs {
		for s := range run.Report.BackingStores {
			stores[s] = true
		}
	}
	if len(stores) == 0 {
		c.row(b, "every store", func(Report) string { return "not counted" })
	}
	for _, s := range slices.Sorted(maps.Keys(stores)) {
		c.row(b, s, func(r Report) string {
			req, ok := r.BackingStores[s]
			switch {
			case r.BackingStores == nil:
				return "not counted"
			case !ok:
				return notInReport
			}
			return fmt.Sprintf("%s (%s)", f2(req.PerCampaign), f0(req.Total))
		})
	}
}

// workerCPU returns the CPU seconds of every worker of r, over every
// incarnation.
func workerCPU(r Report) float64 {
	var cpu float64
	for _, p := range r.Replicas {
		cpu += p.CPUSeconds
	}
	return cpu
}

// perCampaignMS returns seconds per campaign started, in milliseconds.
func perCampaignMS(seconds float64, r Report) string {
	if r.Started == 0 {
		return notInReport
	}
	return f1(1000 * seconds / float64(r.Started))
}

func (c Comparison) writeProcesses(b *strings.Builder) {
	b.WriteString("\n## Processes\n\nCPU time (user + system) over every incarnation of a worker, and its peak resident memory (VmHWM).\n\n")
	c.table(b, "CPU and memory")
	c.row(b, "workers", func(r Report) string { return strconv.Itoa(len(r.Replicas)) })
	c.row(b, "worker CPU seconds, all", func(r Report) string { return f1(workerCPU(r)) })
	c.row(b, "worker CPU ms per campaign", func(r Report) string { return perCampaignMS(workerCPU(r), r) })
	c.row(b, "worker peak RSS, largest", func(r Report) string {
		var peak int64
		for _, p := range r.Replicas {
			peak = max(peak, p.PeakRSSBytes)
		}
		return mib(peak)
	})
	c.row(b, "workers killed and restarted", func(r Report) string { return strconv.Itoa(r.Faults.ReplicaKills) })
	n := 0
	for _, run := range c.Runs {
		n = max(n, len(run.Report.Replicas))
	}
	for i := range n {
		c.row(b, fmt.Sprintf("&nbsp;&nbsp;worker %d: CPU s, peak RSS", i+1), func(r Report) string {
			if i >= len(r.Replicas) {
				return notInReport
			}
			p := r.Replicas[i]
			return fmt.Sprintf("%s: %s s, %s", p.Name, f1(p.CPUSeconds), mib(p.PeakRSSBytes))
		})
	}
	c.writeServices(b)
}

// notMeasured is the cell of a run that measured no backing service.
const notMeasured = "not measured"

// serviceCPU returns the CPU seconds of every backing service of r, and
// whether r measured any.
func serviceCPU(r Report) (float64, bool) {
	var cpu float64
	for _, s := range r.Services {
		cpu += s.CPUSeconds
	}
	return cpu, len(r.Services) > 0
}

// writeServices writes the rows of the backing services: all of them, and
// each by name.
func (c Comparison) writeServices(b *strings.Builder) {
	c.row(b, "backing services CPU seconds, all (from the seeding)", func(r Report) string {
		if cpu, ok := serviceCPU(r); ok {
			return f1(cpu)
		}
		return notMeasured
	})
	c.row(b, "backing services CPU ms per campaign", servicePerCampaign)
	names := map[string]bool{}
	for _, run := range c.Runs {
		for _, s := range run.Report.Services {
			names[s.Name] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		c.row(b, fmt.Sprintf("&nbsp;&nbsp;%s: CPU s, peak RSS", name), func(r Report) string {
			if len(r.Services) == 0 {
				return notMeasured
			}
			i := slices.IndexFunc(r.Services, func(s ServiceFigures) bool { return s.Name == name })
			if i < 0 {
				return notInReport
			}
			s := r.Services[i]
			return fmt.Sprintf("%s s, %s", f1(s.CPUSeconds), mib(s.PeakRSSBytes))
		})
	}
}

// servicePerCampaign is the backing services' CPU ms per campaign of r.
func servicePerCampaign(r Report) string {
	if cpu, ok := serviceCPU(r); ok {
		return perCampaignMS(cpu, r)
	}
	return notMeasured
}

// writeCeiling writes the ceiling section when both runs measured their
// limit (a scenario with limit, such as ceiling).
func (c Comparison) writeCeiling(b *strings.Builder) {
	if all, any := c.all(func(r Report) bool { return r.Limit != nil }); !all {
		if any {
			b.WriteString("\nNot every run measured its limit (a scenario with `limit`, such as `ceiling`): no ceiling section.\n")
		}
		return
	}
	b.WriteString("\n## Ceiling\n\nThroughput and cost of runs that measured their limit: campaigns completed per second of the run, " +
		"CPU per campaign started, and each system's own transitions beside the bare loop of its limit.\n\n")
	c.table(b, "ceiling")
	c.row(b, "campaigns completed per second", func(r Report) string {
		if r.ElapsedSeconds <= 0 {
			return notInReport
		}
		return f2(float64(r.Completed) / r.ElapsedSeconds)
	})
	c.row(b, "worker CPU ms per campaign", func(r Report) string { return perCampaignMS(workerCPU(r), r) })
	c.row(b, "backing services CPU ms per campaign", servicePerCampaign)
	c.row(b, "transitions per second (the system's own)", func(r Report) string {
		if r.Limit.System.Transitions == 0 {
			return notMeasured
		}
		return f1(r.Limit.System.PerSecond)
	})
	c.row(b, "worker CPU ms per transition", func(r Report) string {
		if r.Limit.System.Transitions == 0 {
			return notMeasured
		}
		return f2(r.Limit.System.CPUPerTransitionMS)
	})
	c.row(b, "bare loop: transitions per second", func(r Report) string {
		if r.Limit.Error != "" {
			return notMeasured
		}
		return f1(r.Limit.Bare.PerSecond)
	})
	c.row(b, "system / bare loop, throughput", func(r Report) string {
		if r.Limit.Error != "" {
			return notMeasured
		}
		return f2(r.Limit.ThroughputRatio)
	})
}

func (c Comparison) writeCode(b *strings.Builder) {
	b.WriteString("\n## Lines of code per concern\n\n")
	if c.Code == nil {
		fmt.Fprintf(b, "Not counted: %s.\n", c.CodeError)
		return
	}
	fmt.Fprintf(b, "Non-blank, non-comment lines of the non-test .go files that %s maps to each concern of each system, "+
		"counted in the source tree at `%s` when the comparison was made, not at the commits the runs were built from. "+
		"A file that mixes concerns counts under its main one; the mapping says which, and which code it leaves out.\n\n", ConcernsFile, c.CodeRoot)
	counts := make([][]ConcernCount, len(c.Runs))
	var titles []string
	for i, run := range c.Runs {
		counts[i] = c.Code[run.Report.SystemName]
		for _, cc := range counts[i] {
			if !slices.Contains(titles, cc.Concern) {
				titles = append(titles, cc.Concern)
			}
		}
	}
	c.table(b, "concern: lines (files)")
	cell := func(i int, concern string) string {
		if counts[i] == nil {
			return "no mapping for " + c.Runs[i].Report.SystemName
		}
		for _, cc := range counts[i] {
			if cc.Concern == concern && len(cc.Files) > 0 {
				return fmt.Sprintf("%d (%d)", cc.Lines, len(cc.Files))
			}
		}
		return "no files"
	}
	for _, t := range titles {
		c.cells(b, t, func(i int) string { return cell(i, t) })
	}
	total := func(i int) string {
		if counts[i] == nil {
			return notInReport
		}
		lines, files := 0, 0
		for _, cc := range counts[i] {
			lines, files = lines+cc.Lines, files+len(cc.Files)
		}
		return fmt.Sprintf("**%d** (%d)", lines, files)
	}
	c.cells(b, "**total**", total)
	c.writeCodeNotes(b, counts)
}

// writeCodeNotes lists the mapping's notes on the concerns of the compared
// systems, each system once: code in a file of another concern, code reused
// from another system.
func (c Comparison) writeCodeNotes(b *strings.Builder, counts [][]ConcernCount) {
	var notes []string
	var noted []string
	for i, run := range c.Runs {
		if slices.Contains(noted, run.Report.SystemName) {
			continue
		}
		noted = append(noted, run.Report.SystemName)
		for _, cc := range counts[i] {
			if cc.Note != "" {
				notes = append(notes, fmt.Sprintf("- %s, %s: %s.\n", run.Report.SystemName, cc.Concern, cc.Note))
			}
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes of the mapping on the counts:\n\n" + strings.Join(notes, ""))
	}
}
