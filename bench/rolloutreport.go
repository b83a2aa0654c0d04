package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// RolloutData is what a run with a rollout gathered of it (RunData.Rollout).
type RolloutData struct {
	Steps []RolloutStep
	// During are the campaigns of the rollout's batches, those a failed
	// rollout did not seed included.
	During []string
	// Records are the run's records as the checker read them; nil when it
	// could not, and HistoryError says why.
	Records      []statemachine.Record
	HistoryError string
	FlowMix      map[string]float64 // Deployer.FlowMix
	Change       ChangeSize         // Deployer.FlowChange, measured
}

// RolloutFigures are the figures of a rolling deploy (Scenario.Rollout):
// report.json's rollout.
type RolloutFigures struct {
	Flow  string        `json:"flow"`
	Steps []RolloutStep `json:"steps"` // each replica's deploy, in order
	// Done is whether every replica came up on Flow.
	Done bool `json:"done"`
	// Before and During are the campaigns seeded at the start and those of
	// the batches after each replica's deploy (lost if a failed rollout did
	// not seed them), their time to ACTIVE from their own seeding.
	Before CampaignGroup `json:"seeded_before"`
	During CampaignGroup `json:"seeded_during"`
	// ByFlow are the campaigns of the load by the flow their record started
	// on ("v1", "v2"), from the run's records; absent when they could not
	// be read, and HistoryError says why.
	ByFlow       map[string]CampaignGroup `json:"campaigns_by_flow,omitempty"`
	HistoryError string                   `json:"history_error,omitempty"`
	// FlowMix is what the mix of flows cost the system (Deployer.FlowMix).
	FlowMix map[string]float64 `json:"flow_mix"`
	// Change is the size of the change that added Flow to the system.
	Change ChangeSize `json:"change"`
}

// CampaignGroup are some of the load's campaigns by outcome, and their
// time to ACTIVE.
type CampaignGroup struct {
	Campaigns int     `json:"campaigns"`
	Completed int     `json:"completed"`      // ACTIVE
	Failed    int     `json:"failed"`         // another terminal state
	Stuck     int     `json:"stuck"`          // created, not terminal at the end
	Lost      int     `json:"lost,omitempty"` // never created
	ToActive  Latency `json:"time_to_active_seconds"`
}

// add counts a campaign that ended in state ("" if never created), its time
// to ACTIVE t when ok.
func (g *CampaignGroup) add(state statemachine.State, t float64, ok bool, toActive *[]float64) {
	g.Campaigns++
	switch {
	case state == "":
		g.Lost++
	case state == statemachine.Active:
		g.Completed++
		if ok {
			*toActive = append(*toActive, t)
		}
	case statemachine.IsTerminal(statemachine.KindCampaign, state):
		g.Failed++
	default:
		g.Stuck++
	}
}

// fillRollout fills the rollout's figures of a run with one, once the
// campaigns' are.
func (s *Report) fillRollout(d RunData) {
	if d.Scenario.Rollout == nil || d.Rollout == nil {
		return
	}
	ro := d.Rollout
	f := &RolloutFigures{Flow: d.Scenario.Rollout.Flow, Steps: ro.Steps, FlowMix: ro.FlowMix, Change: ro.Change,
		HistoryError: ro.HistoryError}
	if f.Steps == nil {
		f.Steps = []RolloutStep{}
	}
	if f.FlowMix == nil {
		f.FlowMix = map[string]float64{}
	}
	up := 0
	for _, st := range ro.Steps {
		if st.Error == "" {
			up++
		}
	}
	f.Done = up == d.Scenario.Replicas
	var before, during []float64
	times := map[string]campaignTimes{}
	for _, c := range s.Campaigns {
		times[c.ID] = c
		t, ok := c.toActive()
		if !slices.Contains(ro.During, c.ID) {
			f.Before.add(c.State, t, ok, &before)
		} else {
			f.During.add(c.State, t, ok, &during)
		}
	}
	f.Before.ToActive, f.During.ToActive = LatencyOf(before), LatencyOf(during)
	if ro.Records != nil {
		f.ByFlow = byFlow(ro.Records, times)
	}
	s.Rollout = f
}

// byFlow counts the campaigns of times (the load's) among records by the
// flow they started on.
func byFlow(records []statemachine.Record, times map[string]campaignTimes) map[string]CampaignGroup {
	out := map[string]CampaignGroup{}
	toActive := map[string][]float64{}
	for _, r := range records {
		c, ok := times[r.ID]
		if r.Kind != statemachine.KindCampaign || !ok {
			continue
		}
		flow := r.Flow.OrV1().String()
		g, all := out[flow], toActive[flow]
		t, ok := c.toActive()
		g.add(r.State, t, ok, &all)
		out[flow], toActive[flow] = g, all
	}
	for flow, g := range out {
		g.ToActive = LatencyOf(toActive[flow])
		out[flow] = g
	}
	return out
}

// writeRollout writes summary.md's Rollout section.
func (s Report) writeRollout(b *strings.Builder) {
	f := s.Rollout
	if f == nil {
		return
	}
	ro := s.Scenario.Rollout
	fmt.Fprintf(b, "\n## Rollout\n\nEvery replica started on v1; from %s s on, one at a time was stopped with SIGTERM and started again on %s, "+
		"the next %s s after it served. %d campaigns were seeded at the start, %d in batches after the deploys (one after each).\n\n",
		f0(time.Duration(ro.Start).Seconds()), f.Flow, f0(time.Duration(ro.Every).Seconds()), f.Before.Campaigns, f.During.Campaigns)
	b.WriteString("| replica | stopped | up on the new flow | campaigns seeded then |\n|---|---:|---:|---:|\n")
	for _, st := range f.Steps {
		up := s.RunTime(st.UpAt, 1)
		if st.Error != "" {
			up = "**did not serve**: " + st.Error
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d |\n", st.Replica, s.RunTime(st.StoppedAt, 1), up, st.Seeded)
	}
	if !f.Done {
		fmt.Fprintf(b, "\n**Not every replica came up on %s.**\n", f.Flow)
	}
	b.WriteString("\n| campaigns | count | ACTIVE | failed | stuck | lost | time to ACTIVE p50 | p95 | p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, g CampaignGroup) {
		lat := "– | – | –"
		if l := g.ToActive; l.Count > 0 {
			lat = fmt.Sprintf("%s | %s | %s", s.RunTime(l.P50, 1), s.RunTime(l.P95, 1), s.RunTime(l.P99, 1))
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %s |\n", name, g.Campaigns, g.Completed, g.Failed, g.Stuck, g.Lost, lat)
	}
	row("seeded before the rollout", f.Before)
	row("seeded during it", f.During)
	for _, flow := range slices.Sorted(maps.Keys(f.ByFlow)) {
		row("started on "+flow, f.ByFlow[flow])
	}
	if f.ByFlow == nil {
		fmt.Fprintf(b, "\nThe records could not be read, so the campaigns by flow are not known: %s\n", f.HistoryError)
	}
	b.WriteString("\nTime to ACTIVE from each campaign's own seeding. A campaign's flow is its record's, set by the replica that created it.\n")
	fmt.Fprintf(b, "\nWhat the mix of flows cost: %s.\n", flowMixText(f.FlowMix))
	f.Change.writeMarkdown(b)
}

// flowMixText writes a system's flow mix figures: "deferred 12, rejected 0".
func flowMixText(m map[string]float64) string {
	if len(m) == 0 {
		return "nothing counted"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %s", k, f0(m[k])))
	}
	return strings.Join(parts, ", ")
}

// writeMarkdown writes the size of the change: its commits' and its cells'.
func (c ChangeSize) writeMarkdown(b *strings.Builder) {
	b.WriteString("\nThe change (`git log --numstat` of the commits found by subject; test lines are _test.go and testdata/, docs lines Markdown, harness lines the benchmark's and the simulator's code, code lines the rest):\n\n" +
		"| part | commits | files | code lines +/- | test lines +/- | docs lines +/- | harness lines +/- |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, p := range c.Commits {
		if p.Unknown != "" {
			fmt.Fprintf(b, "| %s (`%s`) | unknown: %s | | | | | |\n", p.Part, p.Subject, p.Unknown)
			continue
		}
		fmt.Fprintf(b, "| %s (`%s`) | %s | %d | %s | %s | %s | %s |\n", p.Part, p.Subject, strings.Join(p.Commits, ", "),
			p.Files, p.Code, p.Test, p.Docs, p.Harness)
	}
	fmt.Fprintf(b, "\nState table cells the change touched: %s.\n", c.cellsText())
}

// cellsText writes the cells a change touched: "campaign 12 added, 3
// changed (48 -> 60 cells)", or the note of a system without tables.
func (c ChangeSize) cellsText() string {
	if c.Matrix == nil {
		return c.MatrixNote
	}
	var parts []string
	added, changed := 0, 0
	for _, k := range statemachine.Kinds {
		m, ok := c.Matrix[k]
		if !ok {
			continue
		}
		added, changed = added+m.Added, changed+m.Changed
		parts = append(parts, fmt.Sprintf("%s %d added, %d changed (%d -> %d cells)", k, m.Added, m.Changed, m.Before, m.After))
	}
	return fmt.Sprintf("%d added, %d changed: %s", added, changed, strings.Join(parts, "; "))
}
