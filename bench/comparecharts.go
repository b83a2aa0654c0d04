package bench

import "fmt"

// latencyChart is the comparison's latency-cdf.svg: the distribution of the
// time to ACTIVE of each run, one series each.
func (c Comparison) latencyChart() chart {
	titles := c.titles()
	var lines []line
	for i, run := range c.Runs {
		lines = append(lines, line{Name: titles[i], Points: cdf(run.Report.toActive()), Step: true})
	}
	return chart{
		Title:  fmt.Sprintf("Time to ACTIVE, CDF: %s and %s", titles[0], titles[1]),
		XLabel: "seconds from the seeding to ACTIVE", YLabel: "fraction of completed campaigns", YMax: 1,
		Note:  "end-to-end latency of the completed campaigns, in run seconds; " + c.scaleNote(),
		Lines: lines,
	}
}

// completedChart is the comparison's completed.svg: the campaigns each run
// completed (ACTIVE) over time, cumulative, to the end of the run.
func (c Comparison) completedChart() chart {
	titles := c.titles()
	var lines []line
	for i, run := range c.Runs {
		lines = append(lines, line{Name: titles[i], Points: cumulative(run.Report.completedAt(), run.Report.ElapsedSeconds), Step: true})
	}
	return chart{
		Title:  fmt.Sprintf("Campaigns completed over time: %s and %s", titles[0], titles[1]),
		XLabel: "seconds since the seeding", YLabel: "campaigns in ACTIVE (cumulative)",
		Note:  fmt.Sprintf("of %d and %d campaigns started; each line ends with its run; ", c.Runs[0].Report.Started, c.Runs[1].Report.Started) + c.scaleNote(),
		Lines: lines,
	}
}

// scaleNote says what the runs' seconds stand for in production.
func (c Comparison) scaleNote() string {
	a, b := c.Runs[0].Report, c.Runs[1].Report
	switch {
	case a.TimeScale == b.TimeScale && a.Production != nil:
		return "both runs at " + a.Production.Scale
	case a.TimeScale == b.TimeScale:
		return "time compressed as each scenario says"
	}
	return "the runs' time scales differ, so their seconds do not stand for the same production time"
}
