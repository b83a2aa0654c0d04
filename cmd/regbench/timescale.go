package main

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
	v := flagValue(s.Regd, "time-scale")
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
	for _, name := range []string{"stuck-after", "retry-scale"} {
		if flagValue(s.Regd, name) != "" {
			errs = append(errs, fmt.Errorf("regd --%s would set durations apart from the time scale", name))
		}
	}
	return errors.Join(errs...)
}
