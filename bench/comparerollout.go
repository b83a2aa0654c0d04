package bench

import (
	"fmt"
	"slices"
	"strings"
)

// rolloutLatencySVG is the comparison's chart of the time to ACTIVE before
// and during a rollout, written when both runs had one.
const rolloutLatencySVG = "rollout-latency.svg"

// rollouts reports whether every run had a rollout.
func (c Comparison) rollouts() bool {
	all, _ := c.all(func(r Report) bool { return r.Rollout != nil })
	return all
}

// writeRollout writes the rollout section when both runs had a rollout
// (a scenario with one, such as rollout).
func (c Comparison) writeRollout(b *strings.Builder) {
	if !c.rollouts() {
		if _, any := c.all(func(r Report) bool { return r.Rollout != nil }); any {
			b.WriteString("\nNot every run deployed a newer flow (a scenario with `rollout`): no rollout section.\n")
		}
		return
	}
	b.WriteString("\n## Rollout\n\nA rolling deploy of a newer flow: every worker started on v1 and was stopped (SIGTERM) and started on the new flow " +
		"one at a time; part of the load was seeded before, the rest in a batch after each deploy. A campaign's flow is the one its record started on. " +
		"Time to ACTIVE from each campaign's own seeding.\n\n")
	c.table(b, "rollout")
	ro := func(r Report) *RolloutFigures { return r.Rollout }
	c.row(b, "flow deployed", func(r Report) string {
		if !ro(r).Done {
			return fmt.Sprintf("%s, **not on every worker**", ro(r).Flow)
		}
		return ro(r).Flow + ", on every worker"
	})
	c.row(b, "workers up on it at", func(r Report) string {
		var parts []string
		for _, st := range ro(r).Steps {
			if st.Error != "" {
				parts = append(parts, st.Replica+" **did not serve**")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %s s", st.Replica, f1(st.UpAt)))
		}
		return strings.Join(parts, ", ")
	})
	group := func(label string, of func(*RolloutFigures) (CampaignGroup, bool)) {
		c.row(b, label+": campaigns, ACTIVE / failed / stuck / lost", func(r Report) string {
			g, ok := of(ro(r))
			if !ok {
				return notInReport
			}
			return fmt.Sprintf("%d: %d / %d / %d / %d", g.Campaigns, g.Completed, g.Failed, g.Stuck, g.Lost)
		})
		c.row(b, label+": time to ACTIVE p50 / p95 / p99", func(r Report) string {
			g, ok := of(ro(r))
			switch {
			case !ok:
				return notInReport
			case g.ToActive.Count == 0:
				return "none completed"
			}
			l := g.ToActive
			return fmt.Sprintf("%s / %s / %s", r.RunTime(l.P50, 1), r.RunTime(l.P95, 1), r.RunTime(l.P99, 1))
		})
	}
	group("seeded before the rollout", func(f *RolloutFigures) (CampaignGroup, bool) { return f.Before, true })
	group("seeded during it", func(f *RolloutFigures) (CampaignGroup, bool) { return f.During, true })
	var flows []string
	for _, run := range c.Runs {
		for flow := range run.Report.Rollout.ByFlow {
			if !slices.Contains(flows, flow) {
				flows = append(flows, flow)
			}
		}
	}
	slices.Sort(flows)
	for _, flow := range flows {
		group("started on "+flow, func(f *RolloutFigures) (CampaignGroup, bool) { g, ok := f.ByFlow[flow]; return g, ok })
	}
	c.row(b, "what the mix of flows cost", func(r Report) string { return flowMixText(ro(r).FlowMix) })
	c.writeChange(b)
	fmt.Fprintf(b, "\n![Time to ACTIVE before and during the rollout, CDF](%s)\n", rolloutLatencySVG)
}

// writeChange writes the rows of the changes' sizes, part by part.
func (c Comparison) writeChange(b *strings.Builder) {
	var parts []string
	for _, run := range c.Runs {
		for _, p := range run.Report.Rollout.Change.Commits {
			if !slices.Contains(parts, p.Part) {
				parts = append(parts, p.Part)
			}
		}
	}
	part := func(r Report, name string) (CommitSize, bool) {
		i := slices.IndexFunc(r.Rollout.Change.Commits, func(p CommitSize) bool { return p.Part == name })
		if i < 0 {
			return CommitSize{}, false
		}
		return r.Rollout.Change.Commits[i], true
	}
	for _, name := range parts {
		c.row(b, "change, "+name+": commits; files; code lines +/-; test lines +/-; docs lines +/-; harness lines +/-", func(r Report) string {
			p, ok := part(r, name)
			switch {
			case !ok:
				return notInReport
			case p.Unknown != "":
				return "unknown: " + p.Unknown
			}
			return fmt.Sprintf("`%s` %s; %d; %s; %s; %s; %s", p.Subject, strings.Join(p.Commits, ", "), p.Files, p.Code, p.Test, p.Docs, p.Harness)
		})
	}
	c.row(b, "change, all parts: files (summed over the parts); code lines +/-; test lines +/-; docs lines +/-; harness lines +/-", func(r Report) string {
		var files int
		var code, test, docs, harness Lines
		for _, p := range r.Rollout.Change.Commits {
			if p.Unknown != "" {
				return "unknown: " + p.Unknown
			}
			files += p.Files
			code, test, docs, harness = code.plus(p.Code), test.plus(p.Test), docs.plus(p.Docs), harness.plus(p.Harness)
		}
		return fmt.Sprintf("%d; %s; %s; %s; %s", files, code, test, docs, harness)
	})
	c.row(b, "state table cells the change touched", func(r Report) string { return r.Rollout.Change.cellsText() })
}

// rolloutChart is the comparison's rollout-latency.svg: the distribution of
// the time to ACTIVE of each run's campaigns seeded before the rollout and
// during it, four series.
func (c Comparison) rolloutChart() chart {
	titles := c.titles()
	var lines []line
	for i, run := range c.Runs {
		var before, during []float64
		for _, ct := range run.Report.Campaigns {
			t, ok := ct.toActive()
			switch {
			case !ok:
			case ct.Seeded == nil:
				before = append(before, t)
			default:
				during = append(during, t)
			}
		}
		slices.Sort(before)
		slices.Sort(during)
		lines = append(lines, line{Name: titles[i] + ", before", Points: cdf(before), Step: true},
			line{Name: titles[i] + ", during", Points: cdf(during), Step: true})
	}
	return chart{
		Title:  "Time to ACTIVE before and during the rollout: " + joined(titles),
		XLabel: "seconds from the campaign's seeding to ACTIVE", YLabel: "fraction of completed campaigns", YMax: 1,
		Note:  "campaigns seeded before the first deploy, and after a deploy; " + c.scaleNote(),
		Lines: lines,
	}
}
