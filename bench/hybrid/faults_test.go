package hybrid

import (
	"slices"
	"testing"

	"github.com/tendlc/tendlc/bench"
)

// The boundary's result faults run at their own rates, with regd's
// max-delay and seed, when regd's --faults has send faults, and not
// otherwise; the Faults section lists them with their counts.
func TestSendFaultsOf(t *testing.T) {
	tests := []struct {
		name string
		regd []string
		want []string
	}{
		{"send faults", []string{"--faults", "dup-send=0.05,throttle=0.01,delay-send=0.1,max-delay=3s,seed=7"},
			[]string{"--faults", "max-delay=3s,seed=7,dup-send=0.3,delay-send=0.3"}},
		{"no send fault", []string{"--faults", "throttle=0.01,stale-read=0.05"}, nil},
		{"no faults", []string{"--rate", "all=20"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sendFaultsOf(tt.regd); !slices.Equal(got, tt.want) {
				t.Errorf("sendFaultsOf = %q, want %q", got, tt.want)
			}
		})
	}
	f := figures{Figures: noFaults{}, regd: tests[0].regd, injected: map[string]float64{"dup-send": 4}}
	_, checks := f.Faults()
	want := []bench.FaultCheck{{Fault: "workers and bridge dup-send", Configured: "0.3", Count: 4},
		{Fault: "workers and bridge delay-send", Configured: "0.3", Count: 0}}
	if !slices.Equal(checks, want) {
		t.Errorf("checks = %+v, want %+v", checks, want)
	}
	if _, checks := (figures{Figures: noFaults{}, regd: tests[1].regd}).Faults(); len(checks) != 0 {
		t.Errorf("checks without send faults = %+v, want none", checks)
	}
}

// noFaults is legacy's figures of a run without regd faults.
type noFaults struct{ bench.Figures }

func (noFaults) Faults() (map[string]float64, []bench.FaultCheck) { return nil, nil }
