package legacy

import (
	"slices"
	"testing"
)

func TestWithFaultSeed(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"a separate value", []string{"--rate", "all=5", "--faults", "dup-send=0.1"},
			[]string{"--rate", "all=5", "--faults", "dup-send=0.1,seed=7"}},
		{"an inline value", []string{"-faults=throttle=0.01"}, []string{"-faults=throttle=0.01,seed=7"}},
		{"a seed the profile sets is kept", []string{"--faults", "seed=3,dup-send=0.1"}, []string{"--faults", "seed=3,dup-send=0.1"}},
		{"no faults, no seed", []string{"--rate", "all=5"}, []string{"--rate", "all=5"}},
		{"a flag without its value", []string{"--faults"}, []string{"--faults"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.args)
			if got := withFaultSeed(tt.args, 7); !slices.Equal(got, tt.want) {
				t.Errorf("withFaultSeed(%q) = %q, want %q", tt.args, got, tt.want)
			}
			if !slices.Equal(tt.args, in) {
				t.Errorf("the input changed to %q", tt.args)
			}
		})
	}
}
