package bench

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendlc/tendlc/infra/metrics"
)

const exposition = `# HELP tendlc_transitions_total Record transitions.
# TYPE tendlc_transitions_total counter
tendlc_transitions_total{kind="campaign",from="NONE",to="PENDING"} 3
tendlc_transitions_total{kind="brand",from="NONE",to="PENDING"} 2
# HELP tendlc_records Records.
# TYPE tendlc_records gauge
tendlc_records{kind="brand",state="PENDING"} 2
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 12
# HELP tendlc_queue_wait_seconds Queue wait.
# TYPE tendlc_queue_wait_seconds histogram
tendlc_queue_wait_seconds_bucket{queue="events",le="1"} 4
tendlc_queue_wait_seconds_bucket{queue="events",le="2"} 8
tendlc_queue_wait_seconds_bucket{queue="events",le="+Inf"} 10
tendlc_queue_wait_seconds_sum{queue="events"} 18
tendlc_queue_wait_seconds_count{queue="events"} 10
`

func parse(tb testing.TB, text string) scrape {
	tb.Helper()
	s, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestParseMetricsKeepsCountersAndHistograms(t *testing.T) {
	s := parse(t, exposition)
	if got, want := s.sum("tendlc_transitions_total", nil), 5.0; got != want {
		t.Errorf("transitions = %v, want %v", got, want)
	}
	if got, want := s.by("tendlc_transitions_total", "kind", nil)["campaign"], 3.0; got != want {
		t.Errorf("campaign transitions = %v, want %v", got, want)
	}
	for _, name := range []string{"tendlc_records", "go_goroutines"} {
		if got := s.sum(name, nil); got != 0 {
			t.Errorf("gauge %s kept: %v", name, got)
		}
	}
	h := s.histogram("tendlc_queue_wait_seconds", map[string]string{"queue": "events"})
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
	counter := func(v string) scrape {
		return parse(t, "# TYPE tendlc_retries_total counter\ntendlc_retries_total{queue=\"events\",class=\"server\"} "+v+"\n")
	}
	total := func(a *accumulator) float64 { return a.total().sum("tendlc_retries_total", nil) }
	a := newAccumulator()
	a.observe(counter("3"))
	a.observe(counter("5"))
	if got, want := total(a), 5.0; got != want {
		t.Errorf("one incarnation: %v, want %v", got, want)
	}
	a.restart() // killed after a scrape that read 5
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
	if got, want := merge(a.total(), other.total()).sum("tendlc_retries_total", nil), 17.0; got != want {
		t.Errorf("merged replicas: %v, want %v", got, want)
	}
}

// TestScrapeReadsWhatRegdServes: the collector reads the metrics regd's
// registry serves, histograms included.
func TestScrapeReadsWhatRegdServes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(metrics.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	m.Queued("att", 3*time.Second)
	m.Queued("att", 40*time.Second)
	m.Deferred("events")
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	s, err := scrapeMetrics(t.Context(), http.DefaultClient, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.sum("tendlc_deferrals_total", map[string]string{"queue": "events"}), 1.0; got != want {
		t.Errorf("deferrals = %v, want %v", got, want)
	}
	h := s.histogram("tendlc_queue_wait_seconds", map[string]string{"queue": "att"})
	if got, want := h.Count, 2.0; got != want {
		t.Errorf("queue waits = %v, want %v", got, want)
	}
	if got, want := h.quantile(1), 60.0; got != want {
		t.Errorf("max queue wait bucket = %v, want %v", got, want)
	}
}
