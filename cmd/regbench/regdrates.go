package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// downstreamGroups are the downstreams regd rate-limits, each with its own
// limit: carriersim's groups.
var downstreamGroups = []string{"registry", "att", "tmobile", "verizon", "numbers"}

// defaultRegdRate is regd's limit of a downstream its --rate does not name,
// per second.
const defaultRegdRate = 1.0

// regdRates returns the requests per second regd allows itself per
// downstream, shared by every replica, from regd's --rate in args: "all=N",
// "name=N,...", or absent. Every downstream not named gets regd's default of
// 1. It reads the flag as regd does (cmd/regd's parseRates): a later part
// overrides an earlier one, and it returns an error for a part that is not
// name=positive-number or names no downstream.
func regdRates(args []string) (map[string]float64, error) {
	rates := map[string]float64{}
	for _, g := range downstreamGroups {
		rates[g] = defaultRegdRate
	}
	v := flagValue(args, "rate")
	if v == "" {
		return rates, nil
	}
	for part := range strings.SplitSeq(v, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		r, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || !(r > 0) {
			return nil, fmt.Errorf("regd --rate %q: want name=requests-per-second with a positive number", part)
		}
		switch {
		case name == "all":
			for _, g := range downstreamGroups {
				rates[g] = r
			}
		case slices.Contains(downstreamGroups, name):
			rates[name] = r
		default:
			return nil, fmt.Errorf("regd --rate: unknown downstream %q (want %s or all)", name, strings.Join(downstreamGroups, ", "))
		}
	}
	return rates, nil
}
