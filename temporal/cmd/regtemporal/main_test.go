package main

import (
	"bytes"
	"strings"
	"testing"
)

// A wrong command line exits 2 with the error and the command's usage on
// stderr; help asked for goes to stdout with exit code 0: the list of every
// command, or one command's usage with its flags.
func TestCommandLine(t *testing.T) {
	list := "regtemporal runs tendlc's registration flow on Temporal."
	tests := []struct {
		name string
		args []string
		code int
		// out starts with first and holds each of more; the other stream
		// is empty.
		first string
		more  []string
	}{
		{"no command", nil, exitUsage, list, nil},
		{"unknown command", []string{"serve"}, exitUsage, `regtemporal: unknown command "serve"`, []string{list}},
		{"help for an unknown command", []string{"help", "serve"}, exitUsage, `regtemporal: unknown command "serve"`, []string{list}},
		{"unknown flag", []string{"server", "--dir", "x"}, exitUsage, "regtemporal server: flag provided but not defined: -dir", []string{"Usage: regtemporal server [--db FILE]", "-port port"}},
		{"bad flag value", []string{"server", "--port", "many"}, exitUsage, `regtemporal server: invalid value "many" for flag -port`, []string{"Usage: regtemporal server"}},
		{"port out of range", []string{"server", "--port", "70000"}, exitUsage, "regtemporal server: devserver config: port 70000 is not a TCP port", []string{"Usage: regtemporal server"}},
		{"no database file", []string{"server", "--db", ""}, exitUsage, "regtemporal server: devserver config: DBPath is required", []string{"Usage: regtemporal server"}},
		{"stray argument", []string{"server", "now"}, exitUsage, `regtemporal server: unexpected arguments ["now"]`, []string{"Usage: regtemporal server"}},
		{"help", []string{"help"}, exitOK, list, nil},
		{"-h", []string{"-h"}, exitOK, list, nil},
		{"--help", []string{"--help"}, exitOK, list, nil},
		{"help server", []string{"help", "server"}, exitOK, "Usage: regtemporal server [--db FILE]", []string{"SIGTERM", "-log-file file", "(default 7233)"}},
		{"server -h", []string{"server", "-h"}, exitOK, "Usage: regtemporal server [--db FILE]", []string{"SIGTERM", "-namespace namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := (&Main{Stdout: &stdout, Stderr: &stderr}).Run(t.Context(), tt.args)
			if got, want := code, tt.code; got != want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, want, stderr.String())
			}
			out, other := stdout.String(), stderr.String()
			if tt.code != exitOK {
				out, other = other, out
			}
			if other != "" {
				t.Errorf("printed %q on the other stream", other)
			}
			if !strings.HasPrefix(out, tt.first) {
				t.Errorf("output does not start with %q:\n%s", tt.first, out)
			}
			for _, w := range tt.more {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for name, c := range commands { // wherever the list is, it is whole
				if strings.Contains(out, list) && !listed(out, name, c.summary) {
					t.Errorf("the list lacks command %s with its summary:\n%s", name, out)
				}
			}
		})
	}
}

// listed reports whether usage has a line listing command name with its
// summary.
func listed(usage, name, summary string) bool {
	for line := range strings.Lines(usage) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name && strings.HasSuffix(strings.TrimSpace(line), summary) {
			return true
		}
	}
	return false
}
