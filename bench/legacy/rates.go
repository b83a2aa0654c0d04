package legacy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// Rates returns the requests per second regd allows itself per downstream
// group (tcrsim.Groups), shared by every replica, from regd's
// --rate in args: "all=N", "name=N,...", or absent. Every downstream not
// named gets regd's default of 1 (check.DefaultRate). It reads the flag as
// regd does (cmd/regd's parseRates): a later part overrides an earlier one,
// and it returns an error for a part that is not name=positive-number or
// names no downstream.
func Rates(args []string) (map[string]float64, error) {
	var groups []string
	rates := map[string]float64{}
	for _, g := range tcrsim.Groups() {
		groups = append(groups, string(g))
		rates[string(g)] = check.DefaultRate
	}
	v := bench.FlagValue(args, "rate")
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
			for _, g := range groups {
				rates[g] = r
			}
		case slices.Contains(groups, name):
			rates[name] = r
		default:
			return nil, fmt.Errorf("regd --rate: unknown downstream %q (want %s or all)", name, strings.Join(groups, ", "))
		}
	}
	return rates, nil
}
