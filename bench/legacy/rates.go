package legacy

import (
	"fmt"
	"maps"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// Rates returns the requests per second regd allows itself per downstream
// group (tcrsim.Groups), shared by every replica, from regd's
// --rate in args: "all=N", "name=N,...", or absent. Every downstream not
// named gets regd's default of 1 (check.DefaultRate). It reads the flag as
// regd does (tcr.ParseRates): a later part overrides an earlier one,
// and it returns an error for a part that is not name=positive-number or
// names no downstream.
func Rates(args []string) (map[string]float64, error) {
	rates := map[string]float64{}
	for _, g := range tcrsim.Groups() {
		rates[string(g)] = check.DefaultRate
	}
	v := bench.FlagValue(args, "rate")
	if v == "" {
		return rates, nil
	}
	given, err := tcr.ParseRates(v)
	if err != nil {
		return nil, fmt.Errorf("regd --rate %w", err)
	}
	maps.Copy(rates, given)
	return rates, nil
}
