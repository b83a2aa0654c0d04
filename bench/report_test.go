package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
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

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixtureCounters are the metrics of two replicas, added up.
const fixtureCounters = `# TYPE tendlc_transitions_total counter
tendlc_transitions_total{kind="brand",from="NONE",to="PENDING"} 2
tendlc_transitions_total{kind="campaign",from="NONE",to="PENDING"} 4
tendlc_transitions_total{kind="campaign",from="NUMBERS_PENDING",to="ACTIVE"} 2
tendlc_transitions_total{kind="number",from="NONE",to="PENDING"} 4
# TYPE tendlc_aws_requests_total counter
tendlc_aws_requests_total{service="sqs",operation="ReceiveMessage"} 100
tendlc_aws_requests_total{service="sqs",operation="SendMessage"} 20
tendlc_aws_requests_total{service="dynamodb",operation="TransactWriteItems"} 12
tendlc_aws_requests_total{service="dynamodb",operation="GetItem"} 30
# TYPE tendlc_dynamodb_requests_total counter
tendlc_dynamodb_requests_total{operation="Get"} 30
tendlc_dynamodb_requests_total{operation="Transition"} 12
# TYPE tendlc_dynamodb_consumed_read_capacity_units_total counter
tendlc_dynamodb_consumed_read_capacity_units_total{operation="Get"} 30
tendlc_dynamodb_consumed_read_capacity_units_total{operation="Transition"} 0
# TYPE tendlc_dynamodb_consumed_write_capacity_units_total counter
tendlc_dynamodb_consumed_write_capacity_units_total{operation="Get"} 0
tendlc_dynamodb_consumed_write_capacity_units_total{operation="Transition"} 48
# TYPE tendlc_messages_received_total counter
tendlc_messages_received_total{queue="events"} 40
tendlc_messages_received_total{queue="att"} 4
# TYPE tendlc_queue_wait_seconds histogram
tendlc_queue_wait_seconds_bucket{queue="events",le="1"} 30
tendlc_queue_wait_seconds_bucket{queue="events",le="5"} 40
tendlc_queue_wait_seconds_bucket{queue="events",le="+Inf"} 40
tendlc_queue_wait_seconds_sum{queue="events"} 35
tendlc_queue_wait_seconds_count{queue="events"} 40
tendlc_queue_wait_seconds_bucket{queue="att",le="1"} 4
tendlc_queue_wait_seconds_bucket{queue="att",le="5"} 4
tendlc_queue_wait_seconds_bucket{queue="att",le="+Inf"} 4
tendlc_queue_wait_seconds_sum{queue="att"} 1
tendlc_queue_wait_seconds_count{queue="att"} 4
# TYPE tendlc_retries_total counter
tendlc_retries_total{queue="events",class="conflict"} 3
tendlc_retries_total{queue="att",class="throttled"} 1
# TYPE tendlc_deferrals_total counter
tendlc_deferrals_total{queue="events"} 2
# TYPE tendlc_dispositions_total counter
tendlc_dispositions_total{kind="campaign",event="campaign.submit",disposition="ignore",reason="already applied"} 5
tendlc_dispositions_total{kind="campaign",event="campaign.carrier_approved",disposition="defer",reason="review not approved yet"} 2
# TYPE tendlc_dead_letters_total counter
tendlc_dead_letters_total{queue="events",reason="rejected"} 1
# TYPE tendlc_downstream_calls_total counter
tendlc_downstream_calls_total{downstream="att",outcome="ok"} 3
tendlc_downstream_calls_total{downstream="att",outcome="429"} 1
# TYPE tendlc_sweeper_redriven_total counter
tendlc_sweeper_redriven_total{kind="campaign",outcome="resent",state="CARRIER_REVIEW"} 1
tendlc_sweeper_redriven_total{kind="campaign",outcome="checked",state="CARRIER_REVIEW"} 2
# TYPE tendlc_sweeper_examined_items_total counter
tendlc_sweeper_examined_items_total{mode="index"} 9
# TYPE tendlc_sweeper_runs_total counter
tendlc_sweeper_runs_total{mode="index",outcome="ok"} 6
# TYPE tendlc_faults_injected_total counter
tendlc_faults_injected_total{fault="dup-send"} 3
`

// fixtureRun is a small run with an outcome of every kind.
func fixtureRun(tb testing.TB) runData {
	tb.Helper()
	began := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return began.Add(time.Duration(s * float64(time.Second))) }
	var sim map[string]any
	if err := json.Unmarshal([]byte(`{"groups":{"att":{"requests":5,"rate_limited":1,"server_errors":0,"repeated":1,"resubmitted":0,"max_accepted_per_second":2,"max_received_per_second":3}},
		"webhooks":{"emitted":20,"dropped":2,"duplicated":1,"reordered":0,"sent":19}}`), &sim); err != nil {
		tb.Fatal(err)
	}
	return runData{
		scenario: Scenario{Name: "golden", Description: "a fixed run for the golden file", Brands: 2, Campaigns: 4, Numbers: 1, Replicas: 2,
			Deadline: Duration(time.Minute), KillEvery: Duration(20 * time.Second), Compression: "x1000",
			Carriersim: []string{"--rate", "all=5", "--drop", "0.1", "--reorder", "0.05", "--errors", "all=0"},
			Regd:       []string{"--faults", "dup-send=0.1,stale-read=0.2"}},
		prefix: "golden-", began: began, elapsed: 42 * time.Second,
		ids: []string{"campaign-00000", "campaign-00001", "campaign-00002", "campaign-00003"},
		seen: map[string]Campaign{
			"campaign-00000": {State: statemachine.Active, CreatedAt: at(1), EnteredAt: at(20)},
			"campaign-00001": {State: statemachine.Active, CreatedAt: at(1.5), EnteredAt: at(30)},
			"campaign-00002": {State: statemachine.Rejected, CreatedAt: at(2), EnteredAt: at(8)},
			// campaign-00003 was never created: lost.
		},
		counters: parse(tb, fixtureCounters),
		replicas: []replicaFigures{{Name: "regd-1", Incarnations: 2, Kills: 1, CPUSeconds: 3.25, PeakRSSBytes: 30 << 20, StartFailures: 1},
			{Name: "regd-2", Incarnations: 1, CPUSeconds: 2.5, PeakRSSBytes: 28 << 20}},
		kills: 1,
		backlog: []backlogSample{
			{At: 0, Queues: map[string]QueueDepth{"events": {Visible: 6}, "att": {}, "events-dlq": {}}},
			{At: 2, Queues: map[string]QueueDepth{"events": {Visible: 2, InFlight: 3, Delayed: 1}, "att": {InFlight: 2}, "events-dlq": {}}},
			{At: 4, Queues: map[string]QueueDepth{"events": {}, "att": {}, "events-dlq": {Visible: 1}}},
		},
		carriersim: sim,
		check:      fixtureCheck(tb),
	}
}

// fixtureCheck is a checker's verdict with one violation, fixed so that the
// golden file checks its rendering: testdata/check.json, report.json's
// "check" object.
func fixtureCheck(tb testing.TB) *check.Result {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "check.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var r check.Result
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatal(err)
	}
	return &r
}

func TestSummarizeComputesTheFigures(t *testing.T) {
	s := summarize(fixtureRun(t))
	if got, want := s.campaignCounts, (campaignCounts{Started: 4, Completed: 2, Failed: 1, Stuck: 0, Lost: 1,
		Ended: map[statemachine.State]int{statemachine.Active: 2, statemachine.Rejected: 1}}); got.Started != want.Started ||
		got.Completed != want.Completed || got.Failed != want.Failed || got.Stuck != want.Stuck || got.Lost != want.Lost ||
		len(got.Ended) != 2 || got.Ended[statemachine.Rejected] != 1 {
		t.Errorf("campaigns = %+v, want %+v", got, want)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"time to ACTIVE p50", s.EndToEnd.P50, 20},
		{"time to ACTIVE max", s.EndToEnd.Max, 30},
		{"transitions per second", s.Transitions.PerSecond, 12.0 / 42},
		{"SQS requests per campaign", s.AWS.SQS.PerCampaign, 30},
		{"ReceiveMessage per campaign", s.AWS.SQS.PerCampaignByOperation["ReceiveMessage"], 25},
		{"DynamoDB requests", s.AWS.DynamoDB.Total, 42},
		{"WCU per campaign", s.AWS.Capacity.WriteUnitsPerCampaign, 12},
		{"RCU per campaign", s.AWS.Capacity.ReadUnitsPerCampaign, 7.5},
		{"events schedule-to-start p50", s.Queues["events"].ScheduleToStart.P50, 20.0 / 30},
		{"events backlog max", float64(s.Queues["events"].BacklogMax), 6},
		{"ignored", s.Reliability.Ignored, 5},
		{"retries", s.Reliability.Retries, 4},
		{"repeated submissions", s.Reliability.RepeatedSubmissions, 1},
		{"429s", s.Reliability.RateLimited, 1},
		{"webhooks dropped", s.Faults.WebhooksDropped, 2},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantChecks := []faultCheck{{"regd dup-send", "0.1", 3}, {"regd stale-read", "0.2", 0}, {"webhook lost", "0.1", 2},
		{"webhook reordered", "0.05", 0}, {"replica killed (SIGKILL)", "every 20s", 1}}
	if !slices.Equal(s.Faults.Checks, wantChecks) {
		t.Errorf("fault checks =\n%+v\nwant\n%+v", s.Faults.Checks, wantChecks)
	}
	if s.Faults.AllHappened {
		t.Error("all faults happened, but stale reads and reordering did not")
	}
	if got, want := s.FSM[statemachine.KindCampaign].Cells, 221; got != want {
		t.Errorf("campaign matrix cells = %d, want %d", got, want)
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

// scaledFixtureRun is fixtureRun with a time scale of 1 day = 10 s.
func scaledFixtureRun(tb testing.TB) runData {
	tb.Helper()
	d := fixtureRun(tb)
	d.scenario.TimeScale = dayIn10s
	d.scenario.Regd = with(timeScaleArgs(dayIn10s), d.scenario.Regd)
	return d
}

func TestSummaryMarkdownMatchesGolden(t *testing.T) {
	tests := []struct {
		name, golden string
		run          func(testing.TB) runData
	}{
		{"compressed ad hoc", "summary.golden.md", fixtureRun},
		{"time scale gives production times too", "summary-scaled.golden.md", scaledFixtureRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.run(t))
			// The state machine's own counts change with its tables; the golden
			// file checks the rendering.
			s.FSM = map[statemachine.Kind]statemachine.Counts{
				statemachine.KindBrand:    {States: 1, Events: 2, Cells: 2, Transition: 1, Ignore: 1},
				statemachine.KindCampaign: {States: 2, Events: 2, Cells: 4, Transition: 1, Ignore: 1, Defer: 1, Reject: 1},
				statemachine.KindNumber:   {States: 1, Events: 1, Cells: 1, Reject: 1},
			}
			var b bytes.Buffer
			if err := s.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("summary.md differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

func TestSummarizeScaledRunGivesProductionTimes(t *testing.T) {
	s := summarize(scaledFixtureRun(t))
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
		{"events schedule-to-start p50: 0.67 s", p.ScheduleToStart["events"].P50, 20.0 / 30 * 8640},
		{"att schedule-to-start max: 1 s", p.ScheduleToStart["att"].Max, 8640},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got, want := len(p.ScheduleToStart), len(s.Queues); got != want {
		t.Errorf("production schedule-to-start for %d queues, want every one of %d", got, want)
	}
	if s.EndToEnd.P50 != 20 {
		t.Errorf("run time to ACTIVE p50 = %v, want it left in run seconds (20)", s.EndToEnd.P50)
	}
}

// TestReportJSONStatesTheTimeScaleOnlyWhenScaled: an unscaled report.json
// keeps the shape it had.
func TestReportJSONStatesTheTimeScaleOnlyWhenScaled(t *testing.T) {
	for _, tt := range []struct {
		name   string
		run    func(testing.TB) runData
		scaled bool
	}{{"unscaled", fixtureRun, false}, {"scaled", scaledFixtureRun, true}} {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(summarize(tt.run(t)))
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
	s := summarize(fixtureRun(t))
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
	s := summarize(fixtureRun(t))
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
		run  func(testing.TB) runData
		want string
	}{{"unscaled", fixtureRun, "p50 20.0 s"}, {"scaled", scaledFixtureRun, "p50 20.0 s (2.0 days)"}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.run(t)).latencyChart().Guides[0].Label; got != tt.want {
				t.Errorf("p50 guide %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReportCarriesTheCheck: report.json has the checker's verdict under
// "check", and a run that could not check has neither it nor its section.
func TestReportCarriesTheCheck(t *testing.T) {
	raw, err := json.Marshal(summarize(fixtureRun(t)))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Check *struct {
			Passed bool `json:"passed"`
			Rules  []struct {
				Rule       string `json:"rule"`
				Violations int    `json:"violations"`
			} `json:"rules"`
			Violations []struct {
				Rule      string   `json:"rule"`
				RecordID  string   `json:"record_id"`
				Audit     []string `json:"audit"`
				Simulator []string `json:"simulator"`
			} `json:"violations"`
			Rates []struct {
				Group        string  `json:"group"`
				Limit        float64 `json:"limit_per_second"`
				MaxPerWindow int     `json:"max_per_10s"`
				MaxPerSecond int     `json:"max_per_second"`
			} `json:"rates"`
		} `json:"check"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	c := back.Check
	if c == nil || c.Passed || len(c.Rules) != len(fixtureCheck(t).Rules) || len(c.Violations) != 1 || c.Violations[0].RecordID != "campaign-00001" ||
		len(c.Violations[0].Audit) == 0 || len(c.Violations[0].Simulator) == 0 || len(c.Rates) != 2 || c.Rates[1].MaxPerWindow != 14 || c.Rates[1].MaxPerSecond != 5 {
		t.Errorf("report.json's check read back: %+v", c)
	}

	d := fixtureRun(t)
	d.check = nil
	s := summarize(d)
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
