package bench

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

func TestLatencyArgScalesProductionRanges(t *testing.T) {
	tests := []struct {
		name       string
		production map[tcrsim.Step]tcrsim.Latency
		scale      float64
		want       string
	}{
		{"the production world at 1 day = 10 s", productionLatencies, 10.0 / 86400,
			"att=10s-50s,evidence=10s-30s,numbers=7ms-833ms,registry=7ms-69ms,revet=3ms-10s,reviewer=10s-30s,tmobile=7ms-10s,verizon=10s-50s"},
		{"scale 1 keeps production durations", map[tcrsim.Step]tcrsim.Latency{"reviewer": {Min: day, Max: 3 * day}, "registry": {Min: time.Minute, Max: 10 * time.Minute}}, 1,
			"registry=1m0s-10m0s,reviewer=24h0m0s-72h0m0s"},
		{"rounds to the millisecond", map[tcrsim.Step]tcrsim.Latency{"numbers": {Min: 1500 * time.Microsecond, Max: 2499 * time.Microsecond}}, 1,
			"numbers=2ms-2ms"},
		{"a positive duration stays at least 1 ms", map[tcrsim.Step]tcrsim.Latency{"registry": {Min: time.Second, Max: time.Minute}}, 1e-6,
			"registry=1ms-1ms"},
		{"zero stays zero", map[tcrsim.Step]tcrsim.Latency{"numbers": {Min: 0, Max: time.Hour}}, 0.001,
			"numbers=0s-3.6s"},
		{"no ranges, no argument", map[tcrsim.Step]tcrsim.Latency{}, 0.5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := latencyArg(tt.production, tt.scale); got != tt.want {
				t.Errorf("latencyArg = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestProductionLatenciesAreCarriersimSteps: carriersim refuses an unknown
// step, and a step left out would keep its default of about a second.
func TestProductionLatenciesAreCarriersimSteps(t *testing.T) {
	steps := slices.Sorted(slices.Values(tcrsim.Steps()))
	if got := slices.Sorted(maps.Keys(productionLatencies)); !slices.Equal(got, steps) {
		t.Errorf("steps %q, want carriersim's %q", got, steps)
	}
	for item := range strings.SplitSeq(latencyArg(productionLatencies, 10.0/86400), ",") {
		step, r, _ := strings.Cut(item, "=")
		lo, hi, _ := strings.Cut(r, "-")
		minimum, err1 := time.ParseDuration(lo)
		maximum, err2 := time.ParseDuration(hi)
		if err1 != nil || err2 != nil || minimum <= 0 || maximum < minimum {
			t.Errorf("%s: %q is not 0 < min <= max Go durations (%v, %v)", step, r, err1, err2)
		}
	}
}
