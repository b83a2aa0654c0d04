package bench

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// day is a production day, the unit a time scale is stated in.
const day = 24 * time.Hour

// scaleText states a time scale as the run time of one production day:
// "1 day = 10 s".
func scaleText(scale float64) string {
	return "1 day = " + strconv.FormatFloat(math.Round(scale*day.Seconds()*100)/100, 'f', -1, 64) + " s"
}

// timeScaleArgs are the regd flags of a scaled scenario: regd multiplies
// every duration of its recovery policy (the sweeper's per-state stuck
// thresholds, retry and deferral delays) by scale.
func timeScaleArgs(scale float64) []string {
	return []string{"--time-scale", strconv.FormatFloat(scale, 'g', -1, 64)}
}

// validateTimeScale checks that a scaled scenario hands regd the scale the
// report converts with, and no flag that would set some of regd's durations
// apart from it.
func (s Scenario) validateTimeScale() error {
	v := FlagValue(s.Regd, "time-scale")
	if s.TimeScale == 0 {
		if v != "" {
			return fmt.Errorf("regd --time-scale %s needs the scenario's time_scale, or the report gives no production times", v)
		}
		return nil
	}
	var errs []error
	if !(s.TimeScale > 0 && s.TimeScale <= 1) { // NaN too
		errs = append(errs, fmt.Errorf("time scale %g is not in (0, 1]", s.TimeScale))
	}
	if f, err := strconv.ParseFloat(v, 64); err != nil || math.Abs(f-s.TimeScale) > 1e-9*math.Abs(s.TimeScale) {
		errs = append(errs, fmt.Errorf("regd --time-scale %q, want the scenario's time scale %g", v, s.TimeScale))
	}
	// regd scales its recovery policy, --stuck-after included, by the time
	// scale; a retry scale would compress the retries a second time.
	if FlagValue(s.Regd, "retry-scale") != "" {
		errs = append(errs, errors.New("regd --retry-scale would set durations apart from the time scale"))
	}
	return errors.Join(errs...)
}

// inProduction returns l, in run seconds, as production seconds under scale.
func (l Latency) inProduction(scale float64) Latency {
	return Latency{Count: l.Count, Mean: l.Mean / scale, P50: l.P50 / scale, P95: l.P95 / scale, P99: l.P99 / scale, Max: l.Max / scale}
}

// productionDuration writes production seconds in the unit a reader thinks
// of them in: "45 s", "12.5 min", "3.2 h", "6.2 days".
func productionDuration(seconds float64) string {
	switch {
	case seconds >= day.Seconds():
		return f1(seconds/day.Seconds()) + " days"
	case seconds >= time.Hour.Seconds():
		return f1(seconds/time.Hour.Seconds()) + " h"
	case seconds >= time.Minute.Seconds():
		return f1(seconds/time.Minute.Seconds()) + " min"
	}
	return f0(seconds) + " s"
}

// RunTime writes run seconds with decimals digits after the point and, when
// the run is scaled, their production time after them: "62.0 s (6.2 days)".
func (s Report) RunTime(seconds float64, decimals int) string {
	run := strconv.FormatFloat(seconds, 'f', decimals, 64) + " s"
	if s.TimeScale <= 0 {
		return run
	}
	return run + " (" + productionDuration(seconds/s.TimeScale) + ")"
}
