package legacy

import (
	"testing"

	"github.com/tendlc/tendlc/bench"
)

func TestCheckReadsRegdRates(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    map[string]float64
		wantErr bool
	}{
		{"none: 1 each", []string{"--stuck-after", "20s"},
			map[string]float64{"registry": 1, "att": 1, "tmobile": 1, "verizon": 1, "numbers": 1}, false},
		{"all", []string{"--rate", "all=10"},
			map[string]float64{"registry": 10, "att": 10, "tmobile": 10, "verizon": 10, "numbers": 10}, false},
		{"named, the rest 1", []string{"--rate=registry=2,att=0.5"},
			map[string]float64{"registry": 2, "att": 0.5, "tmobile": 1, "verizon": 1, "numbers": 1}, false},
		{"a later part wins", []string{"-rate", "all=4,numbers=8"},
			map[string]float64{"registry": 4, "att": 4, "tmobile": 4, "verizon": 4, "numbers": 8}, false},
		{"unknown downstream", []string{"--rate", "sms=3"}, nil, true},
		{"not positive", []string{"--rate", "all=0"}, nil, true},
		{"no number", []string{"--rate", "all"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Rates(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Rates(%q) error %v, want error %v", tt.args, err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Rates(%q) = %v, want %v", tt.args, got, tt.want)
			}
			for g, r := range tt.want {
				if got[g] != r {
					t.Errorf("Rates(%q)[%s] = %v, want %v", tt.args, g, got[g], r)
				}
			}
		})
	}
	for _, name := range bench.ProfileNames() {
		sc, err := bench.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Rates(sc.Regd); err != nil {
			t.Errorf("profile %s: %v", name, err)
		}
	}
}
