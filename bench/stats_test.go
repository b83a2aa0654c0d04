package bench

import (
	"math"
	"slices"
	"testing"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"no values", nil, .5, 0},
		{"one value", []float64{7}, .99, 7},
		{"median of an even count is the lower middle", []float64{1, 2, 3, 4}, .5, 2},
		{"median of an odd count", []float64{1, 2, 3}, .5, 2},
		{"p95 of 1..100", hundred, .95, 95},
		{"p99 of 1..100", hundred, .99, 99},
		{"max", hundred, 1, 100},
		{"p99 of few values is the largest", []float64{1, 2, 3, 10}, .99, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestLatencyOfSortsAndSummarises(t *testing.T) {
	got := LatencyOf([]float64{4, 1, 3, 2})
	if want := (Latency{Count: 4, Mean: 2.5, P50: 2, P95: 4, P99: 4, Max: 4}); got != want {
		t.Errorf("LatencyOf = %+v, want %+v", got, want)
	}
	if got := LatencyOf(nil); got != (Latency{}) {
		t.Errorf("LatencyOf(nil) = %+v, want zero", got)
	}
}

func TestHistogramQuantile(t *testing.T) {
	// 10 observations: 4 at or below 1 s, 8 at or below 2 s, 10 at or below 4 s.
	h := histogram{Count: 10, Sum: 18, Buckets: []bucket{{1, 4}, {2, 8}, {4, 10}, {math.Inf(1), 10}}}
	inInf := histogram{Count: 4, Sum: 100, Buckets: []bucket{{1, 1}, {2, 2}, {math.Inf(1), 4}}}
	tests := []struct {
		name string
		h    histogram
		q    float64
		want float64
	}{
		{"inside the first bucket, which starts at 0", h, .2, 0.5},
		{"the median interpolates in the second bucket", h, .5, 1.25},
		{"p95 in the third bucket", h, .95, 3.5},
		{"the maximum is the bound of the last bucket used", h, 1, 4},
		{"in the +Inf bucket: the highest finite bound", inInf, .9, 2},
		{"an empty histogram", histogram{}, .5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.quantile(tt.q); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if got, want := h.summary().Mean, 1.8; got != want {
		t.Errorf("mean = %v, want %v", got, want)
	}
}

func seconds(v float64) *float64 { return &v }

func TestIntervalsCountStartedClosedAndOpen(t *testing.T) {
	cs := []campaignTimes{
		{ID: "a", State: "ACTIVE", Created: seconds(1), Closed: seconds(12)},
		{ID: "b", State: "REJECTED", Created: seconds(2), Closed: seconds(4)},
		{ID: "c", State: "IN_REVIEW", Created: seconds(11)}, // stuck: open to the end
		{ID: "d"}, // lost: never created
		{ID: "e", State: "ACTIVE", Created: seconds(9.99), Closed: seconds(25)},
	}
	got := intervals(cs, 10, 25)
	want := []interval{
		{Start: 0, Started: 3, Closed: 1, Failed: 1, Backlog: 2},
		{Start: 10, Started: 1, Closed: 1, Completed: 1, Backlog: 2},
		{Start: 20, Closed: 1, Completed: 1, Backlog: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("intervals =\n%+v\nwant\n%+v", got, want)
	}
}

func TestIntervalWidthKeepsTheTableShort(t *testing.T) {
	for _, tt := range []struct{ elapsed, want float64 }{{90, 5}, {150, 5}, {151, 10}, {900, 30}, {100000, 600}} {
		if got := IntervalWidth(tt.elapsed); got != tt.want {
			t.Errorf("IntervalWidth(%v) = %v, want %v", tt.elapsed, got, tt.want)
		}
	}
}

func TestCumulativeSteps(t *testing.T) {
	got := cumulative([]float64{3, 1, 2}, 10)
	want := []point{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {10, 3}}
	if !slices.Equal(got, want) {
		t.Errorf("cumulative = %v, want %v", got, want)
	}
}
