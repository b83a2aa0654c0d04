package bench

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const exposition = `# HELP app_transitions_total Record transitions.
# TYPE app_transitions_total counter
app_transitions_total{kind="campaign",from="NONE",to="PENDING"} 3
app_transitions_total{kind="brand",from="NONE",to="PENDING"} 2
# HELP app_records Records.
# TYPE app_records gauge
app_records{kind="brand",state="PENDING"} 2
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
# HELP app_queue_wait_seconds Queue wait.
# TYPE app_queue_wait_seconds histogram
app_queue_wait_seconds_bucket{queue="events",le="1"} 4
app_queue_wait_seconds_bucket{queue="events",le="2"} 8
app_queue_wait_seconds_bucket{queue="events",le="+Inf"} 10
app_queue_wait_seconds_sum{queue="events"} 18
app_queue_wait_seconds_count{queue="events"} 10
`

func parse(tb testing.TB, text string) Metrics {
	tb.Helper()
	s, err := ParseMetrics(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestParseMetricsKeepsCountersAndHistograms(t *testing.T) {
	s := parse(t, exposition)
	if got, want := s.Sum("app_transitions_total", nil), 5.0; got != want {
		t.Errorf("transitions = %v, want %v", got, want)
	}
	if got, want := s.By("app_transitions_total", "kind", nil)["campaign"], 3.0; got != want {
		t.Errorf("campaign transitions = %v, want %v", got, want)
	}
	for _, name := range []string{"app_records", "go_goroutines"} { // gauges
		if got := s.Sum(name, nil); got != 0 {
			t.Errorf("gauge %s kept: %v", name, got)
		}
	}
	h := s.histogram("app_queue_wait_seconds", map[string]string{"queue": "events"})
	want := histogram{Count: 10, Sum: 18, Buckets: []bucket{{1, 4}, {2, 8}, {math.Inf(1), 10}}}
	if h.Count != want.Count || h.Sum != want.Sum || len(h.Buckets) != len(want.Buckets) {
		t.Fatalf("histogram = %+v, want %+v", h, want)
	}
	for i := range h.Buckets {
		if h.Buckets[i] != want.Buckets[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, h.Buckets[i], want.Buckets[i])
		}
	}
}

func TestAccumulatorAddsIncarnationsAndResets(t *testing.T) {
	counter := func(v string) Metrics {
		return parse(t, "# TYPE app_retries_total counter\napp_retries_total{queue=\"events\",class=\"server\"} "+v+"\n")
	}
	total := func(a *accumulator) float64 { return a.total().Sum("app_retries_total", nil) }
	a := newAccumulator()
	a.observe(counter("3"))
	a.observe(counter("5"))
	if got, want := total(a), 5.0; got != want {
		t.Errorf("one incarnation: %v, want %v", got, want)
	}
	a.restart() // killed after a Metrics that read 5
	a.observe(counter("7"))
	if got, want := total(a), 12.0; got != want {
		t.Errorf("after a known restart: %v, want %v", got, want)
	}
	a.observe(counter("2")) // went down: restarted unbeknown, after reading 7
	a.observe(counter("4"))
	if got, want := total(a), 16.0; got != want {
		t.Errorf("after a reset seen as a decrease: %v, want %v", got, want)
	}
	other := newAccumulator()
	other.observe(counter("1"))
	if got, want := merge(a.total(), other.total()).Sum("app_retries_total", nil), 17.0; got != want {
		t.Errorf("merged replicas: %v, want %v", got, want)
	}
}

// TestScrapeReadsWhatAReplicaServes: the collector reads a replica's
// /metrics, histograms included (package legacy reads regd's own).
func TestScrapeReadsWhatAReplicaServes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, exposition)
	}))
	defer srv.Close()
	s, err := scrapeMetrics(t.Context(), http.DefaultClient, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Sum("app_transitions_total", map[string]string{"kind": "campaign"}), 3.0; got != want {
		t.Errorf("campaign transitions = %v, want %v", got, want)
	}
	l := s.HistogramLatency("app_queue_wait_seconds", map[string]string{"queue": "events"})
	if got, want := l.Count, 10; got != want {
		t.Errorf("queue waits = %v, want %v", got, want)
	}
	if got, want := l.Mean, 1.8; got != want {
		t.Errorf("mean queue wait = %v, want %v", got, want)
	}
}
