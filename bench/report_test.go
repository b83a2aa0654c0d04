package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/statemachine"
)

// fixtureRun is a small run with an outcome of every kind. Its system's
// figures are stubFigures (package legacy tests tendlc's, and the whole
// summary against golden files).
func fixtureRun(tb testing.TB) RunData {
	tb.Helper()
	began := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return began.Add(time.Duration(s * float64(time.Second))) }
	var sim map[string]any
	if err := json.Unmarshal([]byte(`{"groups":{"att":{"requests":5,"server_errors":3,"lost":1},"tmobile":{"lost":1}},
		"webhooks":{"emitted":20,"dropped":2,"duplicated":1,"reordered":0,"sent":19}}`), &sim); err != nil {
		tb.Fatal(err)
	}
	return RunData{
		SystemName: "stub",
		Scenario: Scenario{Name: "fixture", Description: "a fixed run", Brands: 2, Campaigns: 4, Numbers: 1, Replicas: 2,
			Deadline: Duration(time.Minute), KillEvery: Duration(20 * time.Second), Compression: "x1000",
			Carriersim: []string{"--rate", "all=5", "--drop", "0.1", "--reorder", "0.05", "--errors", "all=0", "--lose", "0.01"}},
		Prefix: "fixture-", Began: began, Elapsed: 42 * time.Second,
		IDs: []string{"campaign-00000", "campaign-00001", "campaign-00002", "campaign-00003"},
		Seen: map[string]Campaign{
			"campaign-00000": {State: statemachine.Active, CreatedAt: at(1), EnteredAt: at(20)},
			"campaign-00001": {State: statemachine.Active, CreatedAt: at(1.5), EnteredAt: at(30)},
			"campaign-00002": {State: statemachine.Rejected, CreatedAt: at(2), EnteredAt: at(8)},
			// campaign-00003 was never created: lost.
		},
		Replicas: []ReplicaFigures{{Name: "regd-1", Incarnations: 2, Kills: 1, CPUSeconds: 3.25, PeakRSSBytes: 30 << 20, StartFailures: 1},
			{Name: "regd-2", Incarnations: 1, CPUSeconds: 2.5, PeakRSSBytes: 28 << 20}},
		Kills: 1,
		Backlog: []BacklogSample{
			{At: 0, Queues: map[string]QueueDepth{"events": {Visible: 6}, "att": {}, "events-dlq": {}}},
			{At: 2, Queues: map[string]QueueDepth{"events": {Visible: 2, InFlight: 3, Delayed: 1}, "att": {InFlight: 2}, "events-dlq": {}}},
			{At: 4, Queues: map[string]QueueDepth{"events": {}, "att": {}, "events-dlq": {Visible: 1}}},
		},
		Carriersim: sim,
		Check:      &check.Result{Passed: true},
	}
}

// scaledFixtureRun is fixtureRun with a time scale of 1 day = 10 s.
func scaledFixtureRun(tb testing.TB) RunData {
	tb.Helper()
	d := fixtureRun(tb)
	d.Scenario.TimeScale = dayIn10s
	d.Scenario.Regd = timeScaleArgs(dayIn10s)
	return d
}

// stubFigures are a system's own figures, fixed: one figure in
// report.json, a line at every part of summary.md, one fault of its own
// and one queue.
type stubFigures struct {
	Widgets int `json:"widgets"`
}

func (stubFigures) Faults() (map[string]float64, []FaultCheck) {
	return map[string]float64{"jam": 2}, []FaultCheck{{Fault: "widget jammed", Configured: "0.5", Count: 2}}
}

func (stubFigures) ScheduleToStart() map[string]Latency {
	return map[string]Latency{"events": {Count: 3, Mean: 2, P50: 1, P95: 5, P99: 5, Max: 5}}
}

func (stubFigures) BackingStoreRequests() map[string]float64 {
	return map[string]float64{"widget store": 10, "gadget store": 0}
}

func (f stubFigures) WriteMarkdown(b *strings.Builder, r Report, part Part) {
	fmt.Fprintf(b, "<system part %d: %d widgets, waited %s>\n", part, f.Widgets, r.RunTime(1, 1))
}

func summarizeFixture(tb testing.TB) Report {
	tb.Helper()
	return Summarize(fixtureRun(tb), stubFigures{Widgets: 7})
}

func TestSummarizeComputesTheFigures(t *testing.T) {
	s := summarizeFixture(t)
	if s.SystemName != "stub" {
		t.Errorf("system name %q, want the run's, stub", s.SystemName)
	}
	if s.Started != 4 || s.Completed != 2 || s.Failed != 1 || s.Stuck != 0 || s.Lost != 1 || len(s.Ended) != 2 || s.Ended[statemachine.Rejected] != 1 {
		t.Errorf("campaigns: started %d, completed %d, failed %d, stuck %d, lost %d, ended %v; want 4, 2, 1, 0, 1, ACTIVE 2 and REJECTED 1",
			s.Started, s.Completed, s.Failed, s.Stuck, s.Lost, s.Ended)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"time to ACTIVE p50", s.EndToEnd.P50, 20},
		{"time to ACTIVE max", s.EndToEnd.Max, 30},
		{"webhooks dropped", s.Faults.WebhooksDropped, 2},
		{"downstream 503s", s.Faults.DownstreamErrors, 3},
		{"downstream requests lost, every group", s.Faults.RequestsLost, 2},
		{"system's own faults injected", s.Faults.Injected["jam"], 2},
		{"backing store requests", s.BackingStores["widget store"].Total, 10},
		{"backing store requests per campaign started", s.BackingStores["widget store"].PerCampaign, 2.5},
		{"a backing store without requests", s.BackingStores["gadget store"].PerCampaign, 0},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantChecks := []FaultCheck{{"widget jammed", "0.5", 2}, {"webhook lost", "0.1", 2}, {"webhook reordered", "0.05", 0},
		{"downstream request lost", "0.01", 2}, {"replica killed (SIGKILL)", "every 20s", 1}}
	if !slices.Equal(s.Faults.Checks, wantChecks) {
		t.Errorf("fault checks =\n%+v\nwant the system's first, then the world's\n%+v", s.Faults.Checks, wantChecks)
	}
	if s.Faults.AllHappened {
		t.Error("all faults happened, but reordering did not")
	}
}

// TestSummaryPlacesTheSystemsParts: summary.md has the system's part of
// the Campaigns section after the time to ACTIVE, its sections between the
// Faults and the processes, and its appendix before the charts.
func TestSummaryPlacesTheSystemsParts(t *testing.T) {
	var b bytes.Buffer
	if err := summarizeFixture(t).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	order := []string{"\nEnd-to-end time to ACTIVE", "<system part 0: 7 widgets, waited 1.0 s>\n\n## Checker",
		"\nEvery configured fault happened: **no**.\n<system part 1: 7 widgets, waited 1.0 s>\n\n## regd processes",
		"\n## Campaigns per interval", "<system part 2: 7 widgets, waited 1.0 s>\n\nCharts: "}
	at := 0
	for _, s := range order {
		i := strings.Index(md[at:], s)
		if i < 0 {
			t.Fatalf("summary.md has no %q after byte %d:\n%s", s, at, md)
		}
		at += i + len(s)
	}

	s := Summarize(fixtureRun(t), nil)
	b.Reset()
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<system part") {
		t.Errorf("a report without system figures has their parts:\n%s", b.String())
	}
}

// TestReportJSONHoldsTheSystemsFigures: report.json has the system's
// figures beside the engine's, in one object.
func TestReportJSONHoldsTheSystemsFigures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		figures Figures
		widgets bool
	}{{"with figures", stubFigures{Widgets: 7}, true}, {"without", nil, false}} {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(Summarize(fixtureRun(t), tt.figures))
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]json.RawMessage
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatalf("report.json is not one object: %v\n%s", err, raw)
			}
			if got := string(back["widgets"]); (got == "7") != tt.widgets {
				t.Errorf("widgets = %q, want them only with the figures", got)
			}
			if _, ok := back["backing_store_requests"]; ok != tt.widgets {
				t.Errorf("backing_store_requests present: %v, want it only with the figures", ok)
			}
			if got, want := string(back["system_name"]), `"stub"`; got != want {
				t.Errorf("system_name = %s, want %s", got, want)
			}
			for _, key := range []string{"schema_version", "campaigns", "faults", "replicas", "check"} {
				if _, ok := back[key]; !ok {
					t.Errorf("report.json has no %q", key)
				}
			}
		})
	}
	s := summarizeFixture(t)
	s.System = badFigures{}
	if _, err := json.Marshal(s); err == nil {
		t.Error("figures that are not a JSON object marshalled")
	}
	s.System = clashingFigures{}
	if _, err := json.Marshal(s); err == nil || !strings.Contains(err.Error(), `"campaigns"`) {
		t.Errorf("figures naming the report's own field: error %v, want one naming it", err)
	}
	s.System = clashingEmptyFigures{}
	if _, err := json.Marshal(s); err == nil || !strings.Contains(err.Error(), `"error"`) {
		t.Errorf("figures naming a field the report leaves out when empty: error %v, want one naming it", err)
	}
}

// clashingFigures name a field of the report's own.
type clashingFigures struct {
	badFigures
	Campaigns int `json:"campaigns"`
}

// clashingEmptyFigures name a field of the report's own that a run without
// an error leaves out.
type clashingEmptyFigures struct {
	badFigures
	Error string `json:"error"`
}

// badFigures marshal to a JSON array.
type badFigures []int

func (badFigures) Faults() (map[string]float64, []FaultCheck)   { return nil, nil }
func (badFigures) ScheduleToStart() map[string]Latency          { return nil }
func (badFigures) BackingStoreRequests() map[string]float64     { return nil }
func (badFigures) WriteMarkdown(*strings.Builder, Report, Part) {}

func TestSummarizeScaledRunGivesProductionTimes(t *testing.T) {
	s := Summarize(scaledFixtureRun(t), stubFigures{})
	if s.TimeScale != dayIn10s || s.Production == nil {
		t.Fatalf("time scale %v, production %+v", s.TimeScale, s.Production)
	}
	p := s.Production
	if got, want := p.Scale, "1 day = 10 s"; got != want {
		t.Errorf("scale %q, want %q", got, want)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"elapsed: 42 s", p.ElapsedSeconds, 4.2 * 86400},
		{"time to ACTIVE p50: 20 s", p.EndToEnd.P50, 2 * 86400},
		{"time to ACTIVE p99: 30 s", p.EndToEnd.P99, 3 * 86400},
		{"time to ACTIVE mean: 25 s", p.EndToEnd.Mean, 2.5 * 86400},
		{"time to ACTIVE count", float64(p.EndToEnd.Count), 2},
		{"the system's events schedule-to-start p50: 1 s", p.ScheduleToStart["events"].P50, 8640},
		{"its count", float64(p.ScheduleToStart["events"].Count), 3},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.EndToEnd.P50 != 20 {
		t.Errorf("run time to ACTIVE p50 = %v, want it left in run seconds (20)", s.EndToEnd.P50)
	}
}

func TestFlagValue(t *testing.T) {
	args := []string{"--rate", "all=5", "-drop", "0.1", "--errors=all=0.02", "--drop", "0.2"}
	for _, tt := range []struct{ name, want string }{{"rate", "all=5"}, {"drop", "0.2"}, {"errors", "all=0.02"}, {"reorder", ""}} {
		if got := FlagValue(args, tt.name); got != tt.want {
			t.Errorf("FlagValue(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    string
		want bool
	}{{"0", true}, {"0.0", true}, {"all=0,att=0", true}, {"all=0.01", false}, {"0.1", false}, {"10", false}} {
		if got := isZeroSetting(tt.v); got != tt.want {
			t.Errorf("isZeroSetting(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

// TestReportJSONStatesTheTimeScaleOnlyWhenScaled: an unscaled report.json
// keeps the shape it had.
func TestReportJSONStatesTheTimeScaleOnlyWhenScaled(t *testing.T) {
	for _, tt := range []struct {
		name   string
		run    func(testing.TB) RunData
		scaled bool
	}{{"unscaled", fixtureRun, false}, {"scaled", scaledFixtureRun, true}} {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(Summarize(tt.run(t), stubFigures{}))
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]json.RawMessage
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"time_scale", "production"} {
				if _, ok := back[key]; ok != tt.scaled {
					t.Errorf("report.json has %q: %v, want %v", key, ok, tt.scaled)
				}
			}
			if !tt.scaled {
				return
			}
			var p struct {
				Scale    string `json:"scale"`
				EndToEnd struct {
					P50 float64 `json:"p50"`
				} `json:"endtoend_latency_seconds"`
			}
			if err := json.Unmarshal(back["production"], &p); err != nil {
				t.Fatal(err)
			}
			if p.Scale != "1 day = 10 s" || p.EndToEnd.P50 != 2*86400 {
				t.Errorf("production read back: %+v", p)
			}
		})
	}
}

// svgSeries parses an SVG document, failing on malformed XML, and returns
// the data-series names of its lines in order.
func svgSeries(tb testing.TB, doc []byte) []string {
	tb.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var names []string
	depth, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("malformed SVG: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = el.Name.Local
			}
			depth++
			for _, a := range el.Attr {
				if a.Name.Local == "data-series" {
					names = append(names, a.Value)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if root != "svg" || depth != 0 {
		tb.Fatalf("root element %q, depth %d at the end", root, depth)
	}
	return names
}

func TestChartsAreWellFormedSVGWithTheirSeries(t *testing.T) {
	s := summarizeFixture(t)
	tests := []struct {
		name  string
		chart chart
		want  []string
	}{
		{"completed", s.completedChart(), []string{"started", "closed", "completed (ACTIVE)"}},
		{"latency CDF", s.latencyChart(), []string{"time to ACTIVE"}},
		{"backlog leaves the queues that stayed empty out", s.backlogChart(), []string{"att", "events", "events-dlq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.chart.svg()
			if got := svgSeries(t, doc); !slices.Equal(got, tt.want) {
				t.Errorf("series %q, want %q", got, tt.want)
			}
			if strings.Contains(string(doc), "NaN") || strings.Contains(string(doc), "Inf") {
				t.Errorf("a coordinate is not a number:\n%s", doc)
			}
		})
	}
}

func TestChartOfNothingIsStillWellFormed(t *testing.T) {
	doc := chart{Title: `a <title> & "quotes"`, Lines: []line{{Name: "empty"}}}.svg()
	if got := svgSeries(t, doc); !slices.Equal(got, []string{"empty"}) {
		t.Errorf("series %q", got)
	}
}

func TestTicksAreRound(t *testing.T) {
	for _, tt := range []struct {
		top  float64
		want []float64
	}{
		{73, []float64{0, 10, 20, 30, 40, 50, 60, 70, 80}},
		{1, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}},
		{0.3, []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3}},
		{0, []float64{0, 1}},
		{1500, []float64{0, 200, 400, 600, 800, 1000, 1200, 1400, 1600}},
	} {
		if got := ticks(tt.top); !slices.Equal(got, tt.want) {
			t.Errorf("ticks(%v) = %v, want %v", tt.top, got, tt.want)
		}
	}
}

func TestWriteReportWritesEveryFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s := summarizeFixture(t)
	if err := writeReport(dir, s); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{reportJSON, summaryMD, completedSVG, latencyCDFSVG, backlogSVG} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, reportJSON))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		SchemaVersion int `json:"schema_version"`
		Campaigns     struct {
			Started, Lost int
		} `json:"campaigns"`
		Scenario struct {
			Compression string `json:"compression"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.SchemaVersion != schemaVersion || back.Campaigns.Started != 4 || back.Campaigns.Lost != 1 || back.Scenario.Compression != "x1000" {
		t.Errorf("report.json read back: %+v", back)
	}
}

func TestDefaultReportDir(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 5, 0, time.FixedZone("CET", 3600))
	for _, tt := range []struct{ profile, want string }{
		{"bench", "reports/bench-20260301T113005Z"},
		{"profiles/my-run.json", "reports/my-run-20260301T113005Z"},
	} {
		if got := DefaultReportDir(tt.profile, now); got != tt.want {
			t.Errorf("DefaultReportDir(%q) = %q, want %q", tt.profile, got, tt.want)
		}
	}
}

func TestLatencyChartMarksProductionTimesWhenScaled(t *testing.T) {
	for _, tt := range []struct {
		name string
		run  func(testing.TB) RunData
		want string
	}{{"unscaled", fixtureRun, "p50 20.0 s"}, {"scaled", scaledFixtureRun, "p50 20.0 s (2.0 days)"}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.run(t), nil).latencyChart().Guides[0].Label; got != tt.want {
				t.Errorf("p50 guide %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReportCarriesTheCheck: report.json has the checker's verdict under
// "check", and a run that could not check has neither it nor its section
// (package legacy checks a verdict with violations, against its golden
// summary).
func TestReportCarriesTheCheck(t *testing.T) {
	d := fixtureRun(t)
	d.Check = &check.Result{Error: "no table"}
	raw, err := json.Marshal(Summarize(d, nil))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Check *struct {
			Passed bool   `json:"passed"`
			Error  string `json:"error"`
		} `json:"check"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if c := back.Check; c == nil || c.Passed || c.Error != "no table" {
		t.Errorf("report.json's check read back: %+v", c)
	}

	d.Check = nil
	s := Summarize(d, nil)
	raw, err = json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"check"`) {
		t.Error("report.json of an unchecked run has a check")
	}
	var b bytes.Buffer
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "## Checker") {
		t.Error("summary.md of an unchecked run has a Checker section")
	}
}
