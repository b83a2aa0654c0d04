package main

import (
	"io"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/metrics"
)

func TestParseConfigCensusInterval(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		want    time.Duration
		wantErr bool
	}{
		{"default", nil, metrics.DefaultCensusInterval, false},
		{"set", []string{"-census-interval", "1m"}, time.Minute, false},
		{"off", []string{"-census-interval", "0"}, 0, false},
		{"negative", []string{"-census-interval", "-1s"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(tt.args, noEnv, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseConfig(%q) error %v, want error %v", tt.args, err, tt.wantErr)
			}
			if got := c.CensusInterval; got != tt.want {
				t.Errorf("census interval %v, want %v", got, tt.want)
			}
		})
	}
}
