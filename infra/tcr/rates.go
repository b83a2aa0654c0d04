package tcr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

// Downstreams are the destinations this package calls, each behind a rate
// limit of its own: the registry, the three carriers, number registration.
var Downstreams = []statemachine.Destination{statemachine.ToRegistry, statemachine.ToATT,
	statemachine.ToTMobile, statemachine.ToVerizon, statemachine.ToNumbers}

// ParseRates reads a rate limit per downstream, in requests per second:
// "registry=2,att=1" or "all=N", a later part overriding an earlier one. A
// downstream it does not name is absent from the map. It returns an error for
// a part that is not name=positive-number or names no downstream.
func ParseRates(s string) (map[string]float64, error) {
	rates := map[string]float64{}
	if s == "" {
		return rates, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		r, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || !(r > 0) {
			return nil, fmt.Errorf("%q: want name=requests-per-second with a positive number", part)
		}
		switch {
		case name == "all":
			for _, d := range Downstreams {
				rates[string(d)] = r
			}
		case slices.Contains(Downstreams, statemachine.Destination(name)):
			rates[name] = r
		default:
			return nil, fmt.Errorf("unknown downstream %q (want registry, att, tmobile, verizon, numbers or all)", name)
		}
	}
	return rates, nil
}
