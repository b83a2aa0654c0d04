package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// rolloutRun is a run of 5 campaigns with a rollout over 2 replicas:
// campaigns 0 and 1 seeded at the start (0 ACTIVE at 30 s, 1 REJECTED),
// 2 and 3 after the first deploy at 25 s (2 ACTIVE at 45 s, 3 stuck), 4
// after the second at 50 s (ACTIVE at 60 s). Campaigns 0, 1 and 3 started
// on v1, 2 and 4 on v2; shift adds seconds to every closing time.
func rolloutRun(system string, shift float64) RunData {
	began := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return began.Add(time.Duration(s * float64(time.Second))) }
	sc := Scenario{Name: "rollout", Brands: 1, Campaigns: 5, Numbers: 1, Replicas: 2, Deadline: Duration(2 * time.Minute),
		Rollout: &Rollout{Start: Duration(20 * time.Second), Every: Duration(20 * time.Second), Flow: "v2", SeededBefore: 0.4}}
	ids := []string{"campaign-00000", "campaign-00001", "campaign-00002", "campaign-00003", "campaign-00004"}
	seen := map[string]Campaign{
		ids[0]: {State: statemachine.Active, CreatedAt: at(1), EnteredAt: at(30 + shift)},
		ids[1]: {State: statemachine.Rejected, CreatedAt: at(1), EnteredAt: at(10)},
		ids[2]: {State: statemachine.Active, CreatedAt: at(26), EnteredAt: at(45 + shift)},
		ids[3]: {State: statemachine.InReview, CreatedAt: at(26), EnteredAt: at(40)},
		ids[4]: {State: statemachine.Active, CreatedAt: at(51), EnteredAt: at(60 + shift)},
	}
	flows := []statemachine.Flow{0, statemachine.FlowV1, statemachine.FlowV2, statemachine.FlowV1, statemachine.FlowV2}
	var records []statemachine.Record
	for i, id := range ids {
		records = append(records, statemachine.Record{Kind: statemachine.KindCampaign, ID: id, State: seen[id].State, Flow: flows[i]})
	}
	records = append(records, statemachine.Record{Kind: statemachine.KindBrand, ID: "brand-0000", State: statemachine.Verified})
	return RunData{SystemName: system, Scenario: sc, Began: began, Elapsed: 70 * time.Second, IDs: ids, Seen: seen,
		Seeded: map[string]float64{ids[2]: 25, ids[3]: 25, ids[4]: 50},
		Rollout: &RolloutData{
			During: ids[2:],
			Steps: []RolloutStep{{Replica: "regd-1", Flow: "v2", StoppedAt: 20, UpAt: 25, Seeded: 2},
				{Replica: "regd-2", Flow: "v2", StoppedAt: 45, UpAt: 50, Seeded: 1}},
			Records: records,
			FlowMix: map[string]float64{"defer": 7, "reject": 0},
			Change: ChangeSize{Commits: []CommitSize{
				{Part: "the system's step", Subject: "Flow v2 (" + system + "):", Commits: []string{"abc1234"}, Files: 12,
					Code: Lines{Added: 300, Removed: 40}, Test: Lines{Added: 200, Removed: 5}, Docs: Lines{Added: 30}, Harness: Lines{Added: 9, Removed: 2}},
				{Part: "the shared wire", Subject: SharedWireSubject, Commits: []string{"828f555"}, Files: 17,
					Code: Lines{Added: 120, Removed: 6}, Test: Lines{Added: 73, Removed: 1}},
			}, Matrix: map[statemachine.Kind]CellChanges{statemachine.KindCampaign: {Added: 14, Changed: 3, Before: 150, After: 176}}},
		}}
}

// TestRolloutFigures: the report's rollout figures, from the run's
// campaigns, seeding times and records.
func TestRolloutFigures(t *testing.T) {
	r := Summarize(rolloutRun("legacy", 0), nil)
	f := r.Rollout
	if f == nil {
		t.Fatal("no rollout figures")
	}
	if !f.Done || f.Flow != "v2" || len(f.Steps) != 2 {
		t.Errorf("rollout %+v, want done on v2 in 2 steps", f)
	}
	if got, want := f.Before, (CampaignGroup{Campaigns: 2, Completed: 1, Failed: 1, ToActive: LatencyOf([]float64{30})}); got != want {
		t.Errorf("before %+v, want %+v", got, want)
	}
	// Each from its own seeding: 45-25 and 60-50.
	if got, want := f.During, (CampaignGroup{Campaigns: 3, Completed: 2, Stuck: 1, ToActive: LatencyOf([]float64{20, 10})}); got != want {
		t.Errorf("during %+v, want %+v", got, want)
	}
	if got, want := f.ByFlow["v1"], (CampaignGroup{Campaigns: 3, Completed: 1, Failed: 1, Stuck: 1, ToActive: LatencyOf([]float64{30})}); got != want {
		t.Errorf("v1 (the zero flow counted as v1) %+v, want %+v", got, want)
	}
	if got, want := f.ByFlow["v2"], (CampaignGroup{Campaigns: 2, Completed: 2, ToActive: LatencyOf([]float64{20, 10})}); got != want {
		t.Errorf("v2 %+v, want %+v", got, want)
	}
	if got, want := r.EndToEnd, LatencyOf([]float64{30, 20, 10}); got != want {
		t.Errorf("time to ACTIVE %+v, want %+v, each from its own seeding", got, want)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Rollout   RolloutFigures  `json:"rollout"`
		Campaigns []campaignTimes `json:"campaign_times"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Rollout.ByFlow["v2"].Completed != 2 || back.Rollout.Change.Commits[0].Code.Added != 300 || back.Campaigns[4].Seeded == nil ||
		*back.Campaigns[4].Seeded != 50 || back.Campaigns[0].Seeded != nil {
		t.Errorf("report.json's rollout %+v and campaign times %+v do not hold the figures", back.Rollout, back.Campaigns)
	}
	failed := rolloutRun("legacy", 0) // the second deploy failed: campaign 4 was never seeded
	delete(failed.Seen, "campaign-00004")
	delete(failed.Seeded, "campaign-00004")
	failed.Rollout.Steps[1] = RolloutStep{Replica: "regd-2", Flow: "v2", StoppedAt: 45, Error: "regd-2 exited while starting"}
	failed.Rollout.Records = failed.Rollout.Records[:4]
	if f := Summarize(failed, nil).Rollout; f.Done || f.During.Campaigns != 3 || f.During.Lost != 1 || f.Before.Campaigns != 2 {
		t.Errorf("a failed rollout: done %v, before %+v, during %+v; want not done, the unseeded campaign lost during it", f.Done, f.Before, f.During)
	}
	if Summarize(RunData{Scenario: Scenario{Name: "bench"}}, nil).Rollout != nil {
		t.Error("a run without a rollout has rollout figures")
	}
}

// TestRolloutSummary: summary.md's Rollout section holds the timeline, the
// campaigns before and during it and by flow, the cost of the mix and the
// size of the change.
func TestRolloutSummary(t *testing.T) {
	d := rolloutRun("legacy", 0)
	d.Rollout.Change.Commits[1] = CommitSize{Part: "the shared wire", Subject: SharedWireSubject, Unknown: "git log in .: exit status 128"}
	var b bytes.Buffer
	if err := Summarize(d, nil).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	containsEach(t, "summary.md", b.String(),
		"- load: 5 campaigns over 1 brands (phone numbers per campaign: 1), 40% of the brands with their campaigns seeded at the start, the rest during a rollout of v2 (from 20s, one replica every 20s); 2 replicas",
		"\n## Rollout\n\nEvery replica started on v1; from 20 s on, one at a time was stopped with SIGTERM and started again on v2, the next 20 s after it served. 2 campaigns were seeded at the start, 3 in batches after the deploys (one after each).\n",
		"| regd-1 | 20.0 s | 25.0 s | 2 |\n| regd-2 | 45.0 s | 50.0 s | 1 |\n",
		"| seeded before the rollout | 2 | 1 | 1 | 0 | 0 | 30.0 s | 30.0 s | 30.0 s |\n",
		"| seeded during it | 3 | 2 | 0 | 1 | 0 | 10.0 s | 20.0 s | 20.0 s |\n",
		"| started on v1 | 3 | 1 | 1 | 1 | 0 | 30.0 s | 30.0 s | 30.0 s |\n",
		"| started on v2 | 2 | 2 | 0 | 0 | 0 | 10.0 s | 20.0 s | 20.0 s |\n",
		"What the mix of flows cost: defer 7, reject 0.\n",
		"| the system's step (`Flow v2 (legacy):`) | abc1234 | 12 | +300 / -40 | +200 / -5 | +30 / -0 | +9 / -2 |\n",
		"| the shared wire (`The opt-in evidence step's wire`) | unknown: git log in .: exit status 128 | | | | | |\n",
		"State table cells the change touched: 14 added, 3 changed: campaign 14 added, 3 changed (150 -> 176 cells).\n")
}

// TestCompareRollout: compare.md sets the rollout figures of two runs side
// by side, and the comparison draws their time to ACTIVE before and during
// the rollout.
func TestCompareRollout(t *testing.T) {
	var c Comparison
	for i, sys := range []string{"legacy", "temporal"} {
		d := rolloutRun(sys, float64(i)*4)
		if sys == "temporal" {
			d.Rollout.FlowMix = map[string]float64{"workflow tasks failed (WorkflowError)": 5}
			d.Rollout.Change.Matrix, d.Rollout.Change.MatrixNote = nil, "no table: the workflow's code is its flow"
		}
		c.Runs = append(c.Runs, ComparedRun{Path: sys + "/report.json", Report: Summarize(d, nil)})
	}
	c.CodeError = "not counted here"
	containsEach(t, "compare.md", compareMarkdown(t, c),
		"\n## Rollout\n\n",
		"| rollout | legacy (rollout) | temporal (rollout) |\n",
		"| flow deployed | v2, on every worker | v2, on every worker |\n",
		"| workers up on it at | regd-1 25.0 s, regd-2 50.0 s | regd-1 25.0 s, regd-2 50.0 s |\n",
		"| seeded before the rollout: campaigns, ACTIVE / failed / stuck / lost | 2: 1 / 1 / 0 / 0 | 2: 1 / 1 / 0 / 0 |\n",
		"| seeded before the rollout: time to ACTIVE p50 / p95 / p99 | 30.0 s / 30.0 s / 30.0 s | 34.0 s / 34.0 s / 34.0 s |\n",
		"| seeded during it: time to ACTIVE p50 / p95 / p99 | 10.0 s / 20.0 s / 20.0 s | 14.0 s / 24.0 s / 24.0 s |\n",
		"| started on v2: campaigns, ACTIVE / failed / stuck / lost | 2: 2 / 0 / 0 / 0 | 2: 2 / 0 / 0 / 0 |\n",
		"| what the mix of flows cost | defer 7, reject 0 | workflow tasks failed (WorkflowError) 5 |\n",
		"| change, the system's step: commits; files; code lines +/-; test lines +/-; docs lines +/-; harness lines +/- | `Flow v2 (legacy):` abc1234; 12; +300 / -40; +200 / -5; +30 / -0; +9 / -2 | `Flow v2 (temporal):` abc1234; 12; +300 / -40; +200 / -5; +30 / -0; +9 / -2 |\n",
		"| change, all parts: files (summed over the parts); code lines +/-; test lines +/-; docs lines +/-; harness lines +/- | 29; +420 / -46; +273 / -6; +30 / -0; +9 / -2 | 29; +420 / -46; +273 / -6; +30 / -0; +9 / -2 |\n",
		"| state table cells the change touched | 14 added, 3 changed: campaign 14 added, 3 changed (150 -> 176 cells) | no table: the workflow's code is its flow |\n",
		"![Time to ACTIVE before and during the rollout, CDF](rollout-latency.svg)")
	ch := c.rolloutChart()
	if len(ch.Lines) != 4 || ch.Lines[1].Name != "legacy (rollout), during" {
		t.Fatalf("rollout chart lines %+v, want 4, before and during per run", ch.Lines)
	}
	if got := ch.Lines[3].Points; len(got) != 3 || got[1] != (point{14, 0.5}) || got[2] != (point{24, 1}) {
		t.Errorf("temporal's during CDF %v, want (14, 0.5), (24, 1)", got)
	}
	dir := t.TempDir()
	if err := c.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, rolloutLatencySVG)); err != nil {
		t.Errorf("no %s: %v", rolloutLatencySVG, err)
	}
	c.Runs[1].Report.Rollout = nil
	if md := compareMarkdown(t, c); strings.Contains(md, "## Rollout") || !strings.Contains(md, "Not every run deployed a newer flow") {
		t.Errorf("one rollout only: compare.md has a rollout section or says nothing:\n%s", md)
	}
}

// containsEach fails tb for each of wants that text, the file what, lacks.
func containsEach(tb testing.TB, what, text string, wants ...string) {
	tb.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			tb.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}
