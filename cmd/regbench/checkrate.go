package main

import (
	"fmt"
	"slices"
	"time"
)

// rateFigure is one downstream group's busiest second.
type rateFigure struct {
	Group string `json:"group"`
	// Limit is regd's rate for the group: requests per second, shared by
	// every replica.
	Limit    float64 `json:"limit_per_second"`
	Requests int     `json:"requests"` // every request the simulator received, look-ups and refused ones included
	// MaxPerSecond is the most requests in any one-second window,
	// [t, t+1 s), starting at WindowStart.
	MaxPerSecond int        `json:"max_per_second"`
	WindowStart  *time.Time `json:"window_start,omitempty"`
}

// rateWindow is the sliding window of the rate rule.
const rateWindow = time.Second

// rateWindowLines caps the requests a rate violation lists.
const rateWindowLines = 30

// checkRate proves that no downstream group received, in any one-second
// window, more requests than regd allows itself for it (its --rate; 1 per
// second for a group it does not name). It counts every request the
// simulator received, at its arrival time: what regd's shared limiter paces.
func (c *checker) checkRate() {
	byGroup := map[string][]journalRequest{}
	for _, r := range c.in.Journal.Requests {
		byGroup[r.Group] = append(byGroup[r.Group], r)
	}
	groups := slices.Clone(downstreamGroups)
	for g := range byGroup {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups[len(downstreamGroups):])
	for _, g := range groups {
		limit, ok := c.in.Rates[g]
		if !ok {
			limit = defaultRegdRate
		}
		rs := byGroup[g]
		slices.SortStableFunc(rs, func(a, b journalRequest) int { return a.At.Compare(b.At) })
		f := rateFigure{Group: g, Limit: limit, Requests: len(rs)}
		from, to := busiestWindow(rs)
		if f.MaxPerSecond = to - from; f.MaxPerSecond > 0 {
			at := rs[from].At
			f.WindowStart = &at
		}
		c.res.Rates = append(c.res.Rates, f)
		c.checked[ruleRate]++
		if float64(f.MaxPerSecond) > limit {
			var lines []string
			for i, r := range rs[from:to] {
				if i == rateWindowLines {
					lines = append(lines, fmt.Sprintf("(%d more requests)", to-from-i))
					break
				}
				lines = append(lines, r.String())
			}
			c.res.Violations = append(c.res.Violations, violation{Rule: ruleRate,
				Problem: fmt.Sprintf("%s received %d requests within one second from %s; regd's rate for it is %g per second",
					g, f.MaxPerSecond, rs[from].At.UTC().Format(timeOfDay), limit),
				Simulator: lines})
		}
	}
}

// busiestWindow returns the bounds [from, to) of the longest run of rs,
// sorted by time, that fits in one window [t, t+rateWindow), the earliest
// of the longest.
func busiestWindow(rs []journalRequest) (from, to int) {
	i := 0
	for j := range rs {
		for rs[j].At.Sub(rs[i].At) >= rateWindow {
			i++
		}
		if j+1-i > to-from {
			from, to = i, j+1
		}
	}
	return from, to
}
