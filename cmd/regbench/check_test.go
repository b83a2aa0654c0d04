package main

import (
	"strings"
	"testing"
)

func TestCheckCommandLine(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"no prefix", []string{"check"}},
		{"bad rate", []string{"check", "--prefix", "p-", "--rate", "sms=1"}},
		{"unknown profile", []string{"check", "--prefix", "p-", "--profile", "nope"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if got, want := run(t.Context(), tt.args, &stdout, &stderr), 2; got != want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, want, stderr.String())
			}
		})
	}
}
