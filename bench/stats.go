package bench

import (
	"math"
	"slices"

	"github.com/tendlc/tendlc/statemachine"
)

// percentile returns the nearest-rank q-quantile (0 < q <= 1) of sorted
// values: the smallest value with at least q of them at or below it. It
// returns 0 for no values.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Latency summarises durations in seconds.
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// LatencyOf summarises values, in any order.
func LatencyOf(values []float64) Latency {
	if len(values) == 0 {
		return Latency{}
	}
	s := slices.Sorted(slices.Values(values))
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return Latency{Count: len(s), Mean: sum / float64(len(s)), P50: percentile(s, .50), P95: percentile(s, .95),
		P99: percentile(s, .99), Max: s[len(s)-1]}
}

// histogram is a Prometheus histogram: cumulative bucket counts by upper
// bound, ascending, the last +Inf.
type histogram struct {
	Buckets []bucket
	Count   float64
	Sum     float64
}

type bucket struct {
	UpperBound float64
	Count      float64 // observations at or below UpperBound
}

// quantile estimates the q-quantile as PromQL's histogram_quantile does: by
// linear interpolation inside the bucket that holds it, the first bucket
// starting at 0. A quantile in the +Inf bucket is the highest finite bound.
// It returns 0 for an empty histogram.
func (h histogram) quantile(q float64) float64 {
	if h.Count == 0 || len(h.Buckets) == 0 {
		return 0
	}
	rank := q * h.Count
	lower, below := 0.0, 0.0
	for _, b := range h.Buckets {
		if b.Count >= rank {
			if math.IsInf(b.UpperBound, 1) {
				return lower
			}
			if b.Count == below {
				return b.UpperBound
			}
			return lower + (b.UpperBound-lower)*(rank-below)/(b.Count-below)
		}
		lower, below = b.UpperBound, b.Count
	}
	return lower
}

// summary returns the histogram's count, mean and estimated quantiles; Max
// is the upper bound of the highest bucket with observations (the highest
// finite bound when that is +Inf).
func (h histogram) summary() Latency {
	l := Latency{Count: int(h.Count), P50: h.quantile(.50), P95: h.quantile(.95), P99: h.quantile(.99)}
	if h.Count > 0 {
		l.Mean = h.Sum / h.Count
		l.Max = h.quantile(1)
	}
	return l
}

// campaignTimes is the life of one campaign in a run, counted in seconds
// from the seeding.
type campaignTimes struct {
	ID      string             `json:"id"`
	State   statemachine.State `json:"state,omitempty"`           // at the end; "" when never created
	Created *float64           `json:"created_seconds,omitempty"` // record created
	Closed  *float64           `json:"closed_seconds,omitempty"`  // terminal state entered
	// Seeded is when the campaign was seeded, for one seeded after the
	// start (a rollout's); nil: at the start, 0.
	Seeded *float64 `json:"seeded_seconds,omitempty"`
}

func (c campaignTimes) completed() bool { return c.State == statemachine.Active }

// toActive returns a completed campaign's time to ACTIVE, from its seeding,
// and whether it completed.
func (c campaignTimes) toActive() (float64, bool) {
	if !c.completed() || c.Closed == nil {
		return 0, false
	}
	if c.Seeded != nil {
		return *c.Closed - *c.Seeded, true
	}
	return *c.Closed, true
}

// interval is one period of a run, as Temporal's Maru benchmark counts
// workflows per interval: started, closed, and open at its end (Maru's
// Backlog, a name kept here).
type interval struct {
	Start     float64 `json:"start_seconds"` // from the seeding
	Started   int     `json:"started"`       // records created
	Closed    int     `json:"closed"`        // reached a terminal state
	Completed int     `json:"completed"`     // reached ACTIVE
	Failed    int     `json:"failed"`        // reached another terminal state
	Backlog   int     `json:"backlog"`       // created by the end of the interval and not closed by then (Maru's Backlog)
}

// intervals counts the campaigns per interval of width seconds, over elapsed
// seconds.
func intervals(cs []campaignTimes, width, elapsed float64) []interval {
	if width <= 0 {
		return nil
	}
	n := int(elapsed/width) + 1
	out := make([]interval, n)
	for i := range out {
		out[i].Start = float64(i) * width
	}
	index := func(t float64) int { return min(max(int(t/width), 0), n-1) }
	for _, c := range cs {
		if c.Created == nil {
			continue
		}
		first, last := index(*c.Created), n // open from the interval it was created in to the one it closed in
		out[first].Started++
		if c.Closed != nil {
			last = index(*c.Closed)
			out[last].Closed++
			if c.completed() {
				out[last].Completed++
			} else {
				out[last].Failed++
			}
		}
		for i := first; i < last; i++ {
			out[i].Backlog++
		}
	}
	return out
}

// intervalWidths are the interval widths a run picks from, in seconds.
var intervalWidths = []float64{5, 10, 15, 30, 60, 120, 300, 600}

// IntervalWidth returns the narrowest width that splits elapsed seconds into
// at most 30 intervals: the width of the report's campaigns per interval
// (Report.IntervalSeconds), for a system's own series beside it.
func IntervalWidth(elapsed float64) float64 {
	for _, w := range intervalWidths {
		if elapsed/w <= 30 {
			return w
		}
	}
	return intervalWidths[len(intervalWidths)-1]
}

// cumulative returns the step points (seconds, count) of how many of times
// (any order) had passed at each one, from (0, 0) to (end, total).
func cumulative(times []float64, end float64) []point {
	s := slices.Sorted(slices.Values(times))
	pts := []point{{0, 0}}
	for i, t := range s {
		pts = append(pts, point{t, float64(i + 1)})
	}
	return append(pts, point{max(end, pts[len(pts)-1].X), float64(len(s))})
}
