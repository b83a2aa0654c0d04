package check

import (
	"fmt"
	"slices"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// rateFigure is one downstream group's busiest windows.
type rateFigure struct {
	Group tcrsim.Group `json:"group"`
	// Limit is regd's rate for the group: requests per second, shared by
	// every replica.
	Limit    float64 `json:"limit_per_second"`
	Requests int     `json:"requests"` // every request the simulator received, look-ups and refused ones included
	// MaxPerWindow is the most requests in any rateWindow, [t, t+10 s),
	// starting at WindowStart: what the rule judges.
	MaxPerWindow int        `json:"max_per_10s"`
	WindowStart  *time.Time `json:"window_start,omitempty"`
	// MaxPerSecond is the most requests in any one-second window: a figure
	// only (scheduling jitter moves it; see checkRate).
	MaxPerSecond int `json:"max_per_second"`
}

// rateWindow is the sliding window of the rate rule. regd's limiter spaces
// its slots by 1.2/rate (a 20% margin), so a window of ten seconds holds at
// most 8.3 x rate + 1 slots: requests would have to arrive more than two
// seconds apart from their slots' spacing to exceed rate x 10, while a
// replica that does not share the schedule adds a whole rate of its own.
const rateWindow = 10 * time.Second

// rateWindowLines caps the requests a rate violation lists.
const rateWindowLines = 30

// checkRate proves that no downstream group received, in any ten-second
// window, more requests than regd allows itself for it (its --rate; 1 per
// second for a group it does not name, times ten). It counts every request
// the simulator received, at its arrival time: what regd's shared limiter
// paces. The window is ten seconds, not one, because arrival times carry
// scheduling and network jitter that regd does not control: on a loaded
// machine a request let go late lands in the next request's second, which
// a one-second rule would blame on the limiter.
func (c *checker) checkRate() {
	byGroup := map[tcrsim.Group][]tcrsim.JournalRequest{}
	for _, r := range c.in.Journal.Requests {
		byGroup[r.Group] = append(byGroup[r.Group], r)
	}
	// The simulator's groups in its order, then any other group the journal
	// names, sorted.
	groups := tcrsim.Groups()
	known := len(groups)
	for g := range byGroup {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups[known:])
	for _, g := range groups {
		limit, ok := c.in.Rates[string(g)]
		if !ok {
			limit = DefaultRate
		}
		rs := byGroup[g]
		slices.SortStableFunc(rs, func(a, b tcrsim.JournalRequest) int { return a.At.Compare(b.At) })
		f := rateFigure{Group: g, Limit: limit, Requests: len(rs)}
		from, to := busiestWindow(rs, rateWindow)
		if f.MaxPerWindow = to - from; f.MaxPerWindow > 0 {
			at := rs[from].At
			f.WindowStart = &at
		}
		sf, st := busiestWindow(rs, time.Second)
		f.MaxPerSecond = st - sf
		c.res.Rates = append(c.res.Rates, f)
		c.checked[ruleRate]++
		if allowed := limit * rateWindow.Seconds(); float64(f.MaxPerWindow) > allowed {
			var lines []string
			for i, r := range rs[from:to] {
				if i == rateWindowLines {
					lines = append(lines, fmt.Sprintf("(%d more requests)", to-from-i))
					break
				}
				lines = append(lines, requestLine(r))
			}
			c.res.Violations = append(c.res.Violations, violation{Rule: ruleRate,
				Problem: fmt.Sprintf("%s received %d requests within %v from %s; regd's rate for it is %g per second (%g in %v)",
					g, f.MaxPerWindow, rateWindow, rs[from].At.UTC().Format(timeOfDay), limit, allowed, rateWindow),
				Simulator: lines})
		}
	}
}

// busiestWindow returns the bounds [from, to) of the longest run of rs,
// sorted by time, that fits in one window [t, t+window), the earliest of
// the longest.
func busiestWindow(rs []tcrsim.JournalRequest, window time.Duration) (from, to int) {
	i := 0
	for j := range rs {
		for rs[j].At.Sub(rs[i].At) >= window {
			i++
		}
		if j+1-i > to-from {
			from, to = i, j+1
		}
	}
	return from, to
}

// DefaultRate is the limit per second the rate rule assumes for a group that
// Input.Rates does not name: regd's default for a downstream its --rate does
// not name.
const DefaultRate = 1.0
