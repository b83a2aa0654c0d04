package main

import (
	"strings"
	"testing"
	"time"
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

func TestCheckWaitsOutHeldBackWebhooks(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want time.Duration
	}{
		{"no reordering", []string{"--drop", "0.1"}, 0},
		{"reordering off", []string{"--reorder", "0"}, 0},
		{"carriersim's default delay", []string{"--reorder", "0.1"}, 2 * time.Second},
		{"the scenario's delay", []string{"--reorder", "0.2", "--reorder-delay", "500ms"}, 500 * time.Millisecond},
	} {
		if got := journalSettle(Scenario{Carriersim: tt.args}); got != tt.want {
			t.Errorf("%s: settle %v, want %v", tt.name, got, tt.want)
		}
	}
}
