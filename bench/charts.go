package bench

import (
	"fmt"
	"maps"
	"slices"
)

// completedChart is completed.svg: campaigns created, closed and completed
// over time, cumulative.
func (s Report) completedChart() chart {
	var created, closed []float64
	for _, c := range s.Campaigns {
		if c.Created != nil {
			created = append(created, *c.Created)
		}
		if c.Closed != nil {
			closed = append(closed, *c.Closed)
		}
	}
	end := s.ElapsedSeconds
	return chart{
		Title:  fmt.Sprintf("Campaigns over time: %s, %d campaigns, %d replicas", s.Scenario.Name, s.Started, s.Scenario.Replicas),
		XLabel: "seconds since the seeding", YLabel: "campaigns (cumulative)",
		Note: fmt.Sprintf("started = record created; closed = any terminal state; completed = ACTIVE. %d lost, %d stuck.", s.Lost, s.Stuck),
		Lines: []line{
			{Name: "started", Points: cumulative(created, end), Step: true},
			{Name: "closed", Points: cumulative(closed, end), Step: true},
			{Name: "completed (ACTIVE)", Points: cumulative(s.completedAt(), end), Step: true},
		},
	}
}

// latencyChart is latency-cdf.svg: the distribution of the time to ACTIVE,
// with its percentiles marked.
func (s Report) latencyChart() chart {
	times := s.toActive()
	t := s.EndToEnd
	return chart{
		Title:  fmt.Sprintf("Time to ACTIVE, CDF: %s, %d campaigns completed", s.Scenario.Name, len(times)),
		XLabel: "seconds from the seeding to ACTIVE", YLabel: "fraction of completed campaigns", YMax: 1,
		Note:   "end-to-end latency, from each campaign's seeding; it includes the wait for the rate limits",
		Lines:  []line{{Name: "time to ACTIVE", Points: cdf(times), Step: true}},
		Guides: []guide{{t.P50, "p50 " + s.RunTime(t.P50, 1)}, {t.P95, "p95 " + s.RunTime(t.P95, 1)}, {t.P99, "p99 " + s.RunTime(t.P99, 1)}},
	}
}

// toActive returns the times to ACTIVE of the completed campaigns, each
// from its seeding, sorted.
func (s Report) toActive() []float64 {
	var times []float64
	for _, c := range s.Campaigns {
		if t, ok := c.toActive(); ok {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	return times
}

// completedAt returns when the completed campaigns reached ACTIVE, from the
// run's seeding, sorted.
func (s Report) completedAt() []float64 {
	var times []float64
	for _, c := range s.Campaigns {
		if c.completed() && c.Closed != nil {
			times = append(times, *c.Closed)
		}
	}
	slices.Sort(times)
	return times
}

// cdf returns the step points of the empirical distribution of sorted
// times: from (0, 0), the fraction at or below each time.
func cdf(sorted []float64) []point {
	pts := []point{{0, 0}}
	for i, t := range sorted {
		pts = append(pts, point{t, float64(i+1) / float64(len(sorted))})
	}
	return pts
}

// backlogChart is backlog.svg: the messages of every queue (visible, in
// flight and delayed) over time. Queues that stayed empty are left out.
func (s Report) backlogChart() chart {
	names := map[string]bool{}
	for _, b := range s.Backlog {
		for q, d := range b.Queues {
			if d.Total() > 0 {
				names[q] = true
			}
		}
	}
	var lines []line
	for _, q := range slices.Sorted(maps.Keys(names)) {
		l := line{Name: q}
		for _, b := range s.Backlog {
			if d, ok := b.Queues[q]; ok {
				l.Points = append(l.Points, point{b.At, float64(d.Total())})
			}
		}
		lines = append(lines, l)
	}
	return chart{
		Title:  fmt.Sprintf("Backlog per queue: %s", s.Scenario.Name),
		XLabel: "seconds since the seeding", YLabel: "messages (visible + in flight + delayed)",
		Note:  fmt.Sprintf("sampled every %s s; queues that stayed empty are left out", f0(s.BacklogEverySeconds)),
		Lines: lines,
	}
}
