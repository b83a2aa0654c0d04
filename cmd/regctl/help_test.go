package main

import (
	"strings"
	"testing"
)

// TestCommandHelpGolden keeps the help of the operator commands, which
// documents their JSON output, under review.
func TestCommandHelpGolden(t *testing.T) {
	for _, path := range []string{
		"provision", "send", "fsm diagram", "fsm matrix", "show", "stuck", "redrive",
		"review approve", "review reject", "queues",
		"dlq list", "dlq show", "dlq redrive", "dlq purge",
	} {
		t.Run(path, func(t *testing.T) {
			r := run(t, nil, nil, append(strings.Fields(path), "--help")...)
			if got, want := r.code, exitOK; got != want {
				t.Errorf("exit code %d, want %d", got, want)
			}
			if r.stderr != "" {
				t.Errorf("stderr %q, want nothing", r.stderr)
			}
			golden(t, strings.ReplaceAll(path, " ", "-")+"-help.txt", []byte(r.stdout))
		})
	}
}
