package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// result is what one regctl invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs regctl with args and an environment holding only env.
func run(tb testing.TB, m *Main, env map[string]string, args ...string) result {
	tb.Helper()
	if m == nil {
		m = &Main{}
	}
	m.Getenv = func(k string) string { return env[k] }
	var stdout, stderr bytes.Buffer
	code := m.Run(tb.Context(), args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./cmd/regctl -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s (go test ./cmd/regctl -update rewrites it):\n%s", path, got)
	}
}

func TestHelpGolden(t *testing.T) {
	r := run(t, nil, nil, "--help")
	if got, want := r.code, exitOK; got != want {
		t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q, want nothing", r.stderr)
	}
	golden(t, "help.txt", []byte(r.stdout))
}

// fakeCommands is a registry with nested commands that record their calls.
func fakeCommands(tb testing.TB, calls *[]string) *registry {
	tb.Helper()
	r := &registry{}
	cmd := func(path string, err error) *Command {
		return &Command{
			Path: path, Summary: "do " + path, Help: "Does " + path + ".\n\nExamples:\n  regctl " + path,
			Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
				prefix := env.PrefixFlag(fs)
				return func(ctx context.Context, args []string) error {
					*calls = append(*calls, path+" prefix="+*prefix+" args="+strings.Join(args, ","))
					return err
				}
			},
		}
	}
	for _, c := range []*Command{
		cmd("dlq list", nil),
		cmd("dlq redrive", usageErrorf("which queue?")),
		cmd("fsm diagram", nil),
		cmd("boom", errors.New("it broke")),
	} {
		if err := r.add(c); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		call   string // the recorded call, "" for none
		stdout string // a fragment of stdout, "" for empty
		stderr string // a fragment of stderr, "" for empty
	}{
		{name: "nested command", args: []string{"dlq", "list", "a", "b"}, code: exitOK,
			call: "dlq list prefix=tendlc- args=a,b"},
		{name: "global prefix", args: []string{"--prefix", "g-", "fsm", "diagram"}, code: exitOK,
			call: "fsm diagram prefix=g- args="},
		{name: "prefix from the environment", env: map[string]string{"TENDLC_PREFIX": "e-"}, args: []string{"fsm", "diagram"},
			code: exitOK, call: "fsm diagram prefix=e- args="},
		{name: "command prefix beats global and environment", env: map[string]string{"TENDLC_PREFIX": "e-"},
			args: []string{"--prefix", "g-", "dlq", "list", "--prefix", "c-"}, code: exitOK, call: "dlq list prefix=c- args="},
		{name: "command help", args: []string{"dlq", "list", "--help"}, code: exitOK,
			stdout: "Usage: regctl dlq list"},
		{name: "group help", args: []string{"dlq", "-h"}, code: exitOK, stdout: "  dlq redrive  do dlq redrive"},
		{name: "root help", args: []string{"-help"}, code: exitOK, stdout: "  fsm diagram  do fsm diagram"},
		{name: "no command", args: nil, code: exitUsage, stderr: "Usage: regctl [--prefix P] <command>"},
		{name: "unknown command", args: []string{"nope"}, code: exitUsage, stderr: `unknown command "nope"`},
		{name: "unknown subcommand", args: []string{"dlq", "nope"}, code: exitUsage, stderr: `unknown command "dlq nope"`},
		{name: "group without subcommand", args: []string{"dlq"}, code: exitUsage, stderr: "dlq needs a subcommand"},
		{name: "bad global flag", args: []string{"--nope", "dlq", "list"}, code: exitUsage, stderr: "flag provided but not defined: -nope"},
		{name: "bad command flag", args: []string{"dlq", "list", "--nope"}, code: exitUsage,
			stderr: "regctl dlq list: flag provided but not defined: -nope"},
		{name: "usage error from the command", args: []string{"dlq", "redrive"}, code: exitUsage,
			call: "dlq redrive prefix=tendlc- args=", stderr: "which queue?\n\nUsage: regctl dlq redrive"},
		{name: "command failure", args: []string{"boom"}, code: exitFailure,
			call: "boom prefix=tendlc- args=", stderr: "regctl boom: it broke\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			r := run(t, &Main{commands: fakeCommands(t, &calls)}, tt.env, tt.args...)
			if got, want := r.code, tt.code; got != want {
				t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if got, want := strings.Join(calls, "\n"), tt.call; got != want {
				t.Errorf("calls %q, want %q", got, want)
			}
			for stream, out := range map[string][2]string{"stdout": {r.stdout, tt.stdout}, "stderr": {r.stderr, tt.stderr}} {
				got, want := out[0], out[1]
				if want == "" && got != "" || !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to contain %q", stream, got, want)
				}
			}
		})
	}
}

func TestRegistryAdd(t *testing.T) {
	setup := func(*flag.FlagSet, *Env) RunFunc { return nil }
	ok := func(path string) *Command { return &Command{Path: path, Summary: "s", Help: "h", Setup: setup} }
	tests := []struct {
		name string
		c    *Command
		want string // a fragment of the error, "" for none
	}{
		{"new group", ok("fsm diagram"), ""},
		{"new command in a group", ok("dlq redrive"), ""},
		{"same path", ok("dlq list"), `collides with command "dlq list"`},
		{"group used as a command", ok("dlq"), `collides with command "dlq list"`},
		{"command used as a group", ok("dlq list all"), `collides with command "dlq list"`},
		{"empty path", ok(""), "want words"},
		{"double space", ok("dlq  purge"), "want words"},
		{"no summary", &Command{Path: "x", Help: "h", Setup: setup}, "Summary, Help and Setup are required"},
		{"no setup", &Command{Path: "x", Summary: "s", Help: "h"}, "Summary, Help and Setup are required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &registry{}
			if err := r.add(ok("dlq list")); err != nil {
				t.Fatal(err)
			}
			err := r.add(tt.c)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("add: %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("add: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRegisteredCommandsHaveHelpWithExamples(t *testing.T) {
	if len(registered.commands) == 0 {
		t.Fatal("no commands registered")
	}
	for _, c := range registered.commands {
		t.Run(c.Path, func(t *testing.T) {
			r := run(t, nil, nil, append(strings.Fields(c.Path), "--help")...)
			if got, want := r.code, exitOK; got != want {
				t.Errorf("exit code %d, want %d", got, want)
			}
			if !strings.Contains(r.stdout, "Examples:\n") {
				t.Errorf("--help has no examples:\n%s", r.stdout)
			}
		})
	}
}
