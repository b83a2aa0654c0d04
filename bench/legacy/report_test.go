package legacy

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/statemachine"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixtureCounters are the metrics of two regd replicas, added up.
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
func fixtureRun(tb testing.TB) bench.RunData {
	tb.Helper()
	began := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return began.Add(time.Duration(s * float64(time.Second))) }
	var sim map[string]any
	if err := json.Unmarshal([]byte(`{"groups":{"att":{"requests":5,"rate_limited":1,"server_errors":0,"repeated":1,"resubmitted":0,"max_accepted_per_second":2,"max_received_per_second":3}},
		"webhooks":{"emitted":20,"dropped":2,"duplicated":1,"reordered":0,"sent":19}}`), &sim); err != nil {
		tb.Fatal(err)
	}
	return bench.RunData{
		Scenario: bench.Scenario{Name: "golden", Description: "a fixed run for the golden file", Brands: 2, Campaigns: 4, Numbers: 1, Replicas: 2,
			Deadline: bench.Duration(time.Minute), KillEvery: bench.Duration(20 * time.Second), Compression: "x1000",
			Carriersim: []string{"--rate", "all=5", "--drop", "0.1", "--reorder", "0.05", "--errors", "all=0"},
			Regd:       []string{"--faults", "dup-send=0.1,stale-read=0.2"}},
		Prefix: "golden-", Began: began, Elapsed: 42 * time.Second,
		IDs: []string{"campaign-00000", "campaign-00001", "campaign-00002", "campaign-00003"},
		Seen: map[string]bench.Campaign{
			"campaign-00000": {State: statemachine.Active, CreatedAt: at(1), EnteredAt: at(20)},
			"campaign-00001": {State: statemachine.Active, CreatedAt: at(1.5), EnteredAt: at(30)},
			"campaign-00002": {State: statemachine.Rejected, CreatedAt: at(2), EnteredAt: at(8)},
			// campaign-00003 was never created: lost.
		},
		Metrics: parse(tb, fixtureCounters),
		Replicas: []bench.ReplicaFigures{{Name: "regd-1", Incarnations: 2, Kills: 1, CPUSeconds: 3.25, PeakRSSBytes: 30 << 20, StartFailures: 1},
			{Name: "regd-2", Incarnations: 1, CPUSeconds: 2.5, PeakRSSBytes: 28 << 20}},
		Kills: 1,
		Backlog: []bench.BacklogSample{
			{At: 0, Queues: map[string]bench.QueueDepth{"events": {Visible: 6}, "att": {}, "events-dlq": {}}},
			{At: 2, Queues: map[string]bench.QueueDepth{"events": {Visible: 2, InFlight: 3, Delayed: 1}, "att": {InFlight: 2}, "events-dlq": {}}},
			{At: 4, Queues: map[string]bench.QueueDepth{"events": {}, "att": {}, "events-dlq": {Visible: 1}}},
		},
		Carriersim: sim,
		Check:      fixtureCheck(tb),
	}
}

func parse(tb testing.TB, text string) bench.Metrics {
	tb.Helper()
	m, err := bench.ParseMetrics(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// report is d's report, with tendlc's figures, as the engine makes it.
func report(d bench.RunData) (bench.Report, *figures) {
	f := summarize(d)
	return bench.Summarize(d, f), f
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

// TestSummarizeComputesTheFigures: tendlc's figures, and its faults first
// among the report's (package bench checks the engine's figures).
func TestSummarizeComputesTheFigures(t *testing.T) {
	s, f := report(fixtureRun(t))
	checks := []struct {
		name      string
		got, want float64
	}{
		{"transitions per second", f.Transitions.PerSecond, 12.0 / 42},
		{"SQS requests per campaign", f.AWS.SQS.PerCampaign, 30},
		{"ReceiveMessage per campaign", f.AWS.SQS.PerCampaignByOperation["ReceiveMessage"], 25},
		{"DynamoDB requests", f.AWS.DynamoDB.Total, 42},
		{"WCU per campaign", f.AWS.Capacity.WriteUnitsPerCampaign, 12},
		{"RCU per campaign", f.AWS.Capacity.ReadUnitsPerCampaign, 7.5},
		{"events schedule-to-start p50", f.Queues["events"].ScheduleToStart.P50, 20.0 / 30},
		{"events backlog max", float64(f.Queues["events"].BacklogMax), 6},
		{"ignored", f.Reliability.Ignored, 5},
		{"retries", f.Reliability.Retries, 4},
		{"repeated submissions", f.Reliability.RepeatedSubmissions, 1},
		{"429s", f.Reliability.RateLimited, 1},
		{"SQS as a backing store, per campaign", s.BackingStores["SQS"].PerCampaign, 30},
		{"DynamoDB as a backing store", s.BackingStores["DynamoDB"].Total, 42},
	}
	for _, c := range checks {
		if diff := c.got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantChecks := []bench.FaultCheck{{Fault: "regd dup-send", Configured: "0.1", Count: 3}, {Fault: "regd stale-read", Configured: "0.2"},
		{Fault: "webhook lost", Configured: "0.1", Count: 2}, {Fault: "webhook reordered", Configured: "0.05"},
		{Fault: "replica killed (SIGKILL)", Configured: "every 20s", Count: 1}}
	if !slices.Equal(s.Faults.Checks, wantChecks) {
		t.Errorf("fault checks =\n%+v\nwant\n%+v", s.Faults.Checks, wantChecks)
	}
	if s.Faults.AllHappened {
		t.Error("all faults happened, but stale reads and reordering did not")
	}
	if got, want := s.Faults.Injected["dup-send"], 3.0; got != want {
		t.Errorf("dup-send injected = %v, want %v", got, want)
	}
	if got, want := f.FSM[statemachine.KindCampaign].Cells, 221; got != want {
		t.Errorf("campaign matrix cells = %d, want %d", got, want)
	}
}

// TestBenchProfileHasRegdFaults: make bench exercises regd's fault layer:
// duplicated and delayed sends, duplicated receives, throttles, 5xx and
// stale reads (the simulated world's faults: package bench's tests).
func TestBenchProfileHasRegdFaults(t *testing.T) {
	sc, err := bench.Profile("bench")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range faultChecks(sc, nil) {
		got = append(got, c.Fault)
	}
	want := []string{"regd dup-send", "regd delay-send", "regd dup-receive", "regd throttle", "regd 5xx", "regd stale-read"}
	if !slices.Equal(got, want) {
		t.Errorf("bench's regd faults %q, want %q", got, want)
	}
}

// dayIn10s is the time scale of 1 day = 10 s.
const dayIn10s = 10.0 / 86400

// scaledFixtureRun is fixtureRun with a time scale of 1 day = 10 s.
func scaledFixtureRun(tb testing.TB) bench.RunData {
	tb.Helper()
	d := fixtureRun(tb)
	d.Scenario.TimeScale = dayIn10s
	d.Scenario.Regd = append([]string{"--time-scale", strconv.FormatFloat(dayIn10s, 'g', -1, 64)}, d.Scenario.Regd...)
	return d
}

func TestSummaryMarkdownMatchesGolden(t *testing.T) {
	tests := []struct {
		name, golden string
		run          func(testing.TB) bench.RunData
	}{
		{"compressed ad hoc", "summary.golden.md", fixtureRun},
		{"time scale gives production times too", "summary-scaled.golden.md", scaledFixtureRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := report(tt.run(t))
			// The state machine's own counts change with its tables; the golden
			// file checks the rendering.
			f.FSM = map[statemachine.Kind]statemachine.Counts{
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

// TestScaledRunGivesQueueWaitsInProductionTime: a scaled report has every
// queue's schedule-to-start in production time (package bench checks the
// rest of the production figures).
func TestScaledRunGivesQueueWaitsInProductionTime(t *testing.T) {
	s, f := report(scaledFixtureRun(t))
	if s.Production == nil {
		t.Fatal("no production figures")
	}
	p := s.Production.ScheduleToStart
	if got, want := p["events"].P50, 20.0/30*8640; math.Abs(got-want) > 1e-6 {
		t.Errorf("events schedule-to-start p50 (0.67 s) = %v, want %v", got, want)
	}
	if got, want := p["att"].Max, 8640.0; math.Abs(got-want) > 1e-6 {
		t.Errorf("att schedule-to-start max (1 s) = %v, want %v", got, want)
	}
	if got, want := len(p), len(f.Queues); got != want {
		t.Errorf("production schedule-to-start for %d queues, want every one of %d", got, want)
	}
	if got, want := f.Queues["events"].ScheduleToStart.P50, 20.0/30; math.Abs(got-want) > 1e-9 {
		t.Errorf("run schedule-to-start p50 = %v, want it left in run seconds (%v)", got, want)
	}
}

// TestReportCarriesTheCheck: report.json has the checker's verdict under
// "check", violations and rates included (package bench checks that an
// unchecked run has none).
func TestReportCarriesTheCheck(t *testing.T) {
	s, _ := report(fixtureRun(t))
	raw, err := json.Marshal(s)
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
}

// TestFiguresReadWhatRegdServes: tendlc's figures read the metrics regd's
// registry serves (infra/metrics), histograms included.
func TestFiguresReadWhatRegdServes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(metrics.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	m.Received("att", 2)
	m.Queued("att", 3*time.Second)
	m.Queued("att", 40*time.Second)
	m.Deferred("events")
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	served, err := bench.ParseMetrics(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f := summarize(bench.RunData{Metrics: served})
	if got, want := f.Reliability.Deferrals, 1.0; got != want {
		t.Errorf("deferrals = %v, want %v", got, want)
	}
	if got, want := f.Queues["att"].Received, 2.0; got != want {
		t.Errorf("received = %v, want %v", got, want)
	}
	w := f.ScheduleToStart()["att"]
	if got, want := w.Count, 2; got != want {
		t.Errorf("queue waits = %v, want %v", got, want)
	}
	if got, want := w.Max, 60.0; got != want {
		t.Errorf("max queue wait bucket = %v, want %v", got, want)
	}
}
