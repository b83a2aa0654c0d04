package tcr

import (
	"maps"
	"testing"
)

func TestParseRates(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]float64
		wantErr  bool
	}{
		{"empty", "", map[string]float64{}, false},
		{"all", "all=4", map[string]float64{"registry": 4, "att": 4, "tmobile": 4, "verizon": 4, "numbers": 4}, false},
		{"later part overrides", "all=4, registry=2", map[string]float64{"registry": 2, "att": 4, "tmobile": 4, "verizon": 4, "numbers": 4}, false},
		{"one", "att=0.5", map[string]float64{"att": 0.5}, false},
		{"unknown downstream", "sms=3", nil, true},
		{"zero", "att=0", nil, true},
		{"not a number", "att=fast", nil, true},
		{"no value", "att", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRates(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseRates(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("ParseRates(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
