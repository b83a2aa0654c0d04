package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/infra/awstest"
)

func TestSweeperCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"not a number", []string{"sweeper", "-records", "many"}, 2},
		{"too few records", []string{"sweeper", "-records", "10000,50"}, 2},
		{"no writers", []string{"sweeper", "-writers", "0"}, 2},
		{"help", []string{"sweeper", "-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(t.Context(), tt.args, &stdout, &stderr); got != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, tt.code, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("printed on stdout: %q", stdout.String())
			}
		})
	}
}

func TestSweeperBenchmarkRuns(t *testing.T) {
	awstest.Config(t) // skips without the emulators
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"sweeper", "-records", "300"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"index", "scan", "scan/index"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The scan reads every record, the index only the three stuck ones.
	for _, row := range []string{"300  index      3         3", "300   scan      3       300"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(row), " ")) {
			t.Errorf("output lacks the row %q:\n%s", row, out)
		}
	}
}
