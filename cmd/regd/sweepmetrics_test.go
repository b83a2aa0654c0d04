package main

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/sweeper"
)

// The metrics satisfy sweeper.Observer without importing the sweeper; here,
// where regd joins the two, a sweep's outcome as the sweeper names it lands
// on the series the metrics mean for it.
func TestMetricsReadTheSweepersOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	mx, err := metrics.New(metrics.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	var o sweeper.Observer = mx
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mode := string(sweeper.ModeIndex)
	o.Swept(mode, sweeper.SweepLeaseHeld, 7, 1, t0, time.Second) // read nothing: not counted
	o.Swept(mode, sweeper.SweepOK, 10, 1.5, t0, 2*time.Second)
	o.Swept(mode, sweeper.SweepLeaseLost, 5, 0.5, t0.Add(time.Hour), time.Second)
	o.Swept(mode, sweeper.SweepError, 0, 0, time.Time{}, 0)

	const want = `
# HELP tendlc_sweeper_runs_total Sweeps by mode and outcome (ok, lease_held, lease_lost, error).
# TYPE tendlc_sweeper_runs_total counter
tendlc_sweeper_runs_total{mode="index",outcome="error"} 1
tendlc_sweeper_runs_total{mode="index",outcome="lease_held"} 1
tendlc_sweeper_runs_total{mode="index",outcome="lease_lost"} 1
tendlc_sweeper_runs_total{mode="index",outcome="ok"} 1
# HELP tendlc_sweeper_examined_items_total Items DynamoDB read to find stuck records, by mode.
# TYPE tendlc_sweeper_examined_items_total counter
tendlc_sweeper_examined_items_total{mode="index"} 15
# HELP tendlc_sweeper_last_success_timestamp_seconds When the last successful sweep of this replica ended, in Unix seconds.
# TYPE tendlc_sweeper_last_success_timestamp_seconds gauge
tendlc_sweeper_last_success_timestamp_seconds 1.772366402e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tendlc_sweeper_runs_total",
		"tendlc_sweeper_examined_items_total", "tendlc_sweeper_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
}
