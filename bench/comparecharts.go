package bench

import "strconv"

// latencyChart is the comparison's latency-cdf.svg: the distribution of the
// time to ACTIVE of each run, one series each.
func (c Comparison) latencyChart() chart {
	titles := c.titles()
	var lines []line
	for i, run := range c.Runs {
		lines = append(lines, line{Name: titles[i], Points: cdf(run.Report.toActive()), Step: true})
	}
	return chart{
		Title:  "Time to ACTIVE, CDF: " + joined(titles),
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
	var started []string
	for i, run := range c.Runs {
		started = append(started, strconv.Itoa(run.Report.Started))
		lines = append(lines, line{Name: titles[i], Points: cumulative(run.Report.completedAt(), run.Report.ElapsedSeconds), Step: true})
	}
	return chart{
		Title:  "Campaigns completed over time: " + joined(titles),
		XLabel: "seconds since the seeding", YLabel: "campaigns in ACTIVE (cumulative)",
		Note:  "of " + joined(started) + " campaigns started; each line ends with its run; " + c.scaleNote(),
		Lines: lines,
	}
}

// scaleNote says what the runs' seconds stand for in production.
func (c Comparison) scaleNote() string {
	a := c.Runs[0].Report
	same, _ := c.all(func(r Report) bool { return r.TimeScale == a.TimeScale })
	switch {
	case same && a.Production != nil:
		return "every run at " + a.Production.Scale
	case same:
		return "time compressed as each scenario says"
	}
	return "the runs' time scales differ, so their seconds do not stand for the same production time"
}
