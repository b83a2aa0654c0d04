package bench

import "testing"

func TestProductionDurationPicksTheReadersUnit(t *testing.T) {
	for _, tt := range []struct {
		seconds float64
		want    string
	}{
		{0, "0 s"},
		{45, "45 s"},
		{60, "1.0 min"},
		{750, "12.5 min"},
		{3600, "1.0 h"},
		{11520, "3.2 h"},
		{86400, "1.0 days"},
		{62 / dayIn10s, "6.2 days"},
		{14 * 86400, "14.0 days"},
	} {
		if got := productionDuration(tt.seconds); got != tt.want {
			t.Errorf("productionDuration(%v) = %q, want %q", tt.seconds, got, tt.want)
		}
	}
}

func TestLatencyInProductionDividesByTheScale(t *testing.T) {
	run := Latency{Count: 7, Mean: 25, P50: 20, P95: 50, P99: 60, Max: 62}
	got := run.inProduction(dayIn10s)
	want := Latency{Count: 7, Mean: 2.5 * 86400, P50: 2 * 86400, P95: 5 * 86400, P99: 6 * 86400, Max: 6.2 * 86400}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"count", float64(got.Count), float64(want.Count)}, {"mean", got.Mean, want.Mean}, {"p50", got.P50, want.P50},
		{"p95", got.P95, want.P95}, {"p99", got.P99, want.P99}, {"max", got.Max, want.Max},
	} {
		if diff := c.got - c.want; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestRunTimeAddsProductionTimeOnlyWhenScaled(t *testing.T) {
	for _, tt := range []struct {
		name    string
		scale   float64
		seconds float64
		want    string
	}{
		{"unscaled", 0, 62, "62.0 s"},
		{"1 day = 10 s", dayIn10s, 62, "62.0 s (6.2 days)"},
		{"an SQS delay of 1 s", dayIn10s, 1, "1.0 s (2.4 h)"},
		{"1 day = 86.4 s", 0.001, 0.5, "0.5 s (8.3 min)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Report{TimeScale: tt.scale}).RunTime(tt.seconds, 1); got != tt.want {
				t.Errorf("RunTime(%v) = %q, want %q", tt.seconds, got, tt.want)
			}
		})
	}
}
