package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awstest"
)

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", nil, 2},
		{"unknown subcommand", []string{"producer"}, 2},
		{"unknown flag", []string{"consumer", "-queue", "x"}, 2},
		{"bad flag value", []string{"consumer", "-messages", "many"}, 2},
		{"zero messages", []string{"consumer", "-messages", "0"}, 2},
		{"stray argument", []string{"consumer", "extra"}, 2},
		{"help", []string{"consumer", "-h"}, 0},
		{"run: a service without its PID file", []string{"run", "-service", "dynamodb"}, 2},
		{"compare: no reports", []string{"compare"}, 2},
		{"compare: one report", []string{"compare", "../../bench/testdata/compare/a"}, 2},
		{"compare: three reports", []string{"compare", "a", "b", "c"}, 2},
		{"compare: an unreadable report", []string{"compare", "../../bench/testdata/compare/a", "no-such-run"}, 2},
		{"compare: not a report", []string{"compare", "../../bench/testdata/compare/a", "main.go"}, 2},
		{"compare: help", []string{"compare", "-h"}, 0},
		{"bare: zero transitions", []string{"bare", "-transitions", "0"}, 2},
		{"bare: negative concurrency", []string{"bare", "-concurrency", "-1"}, 2},
		{"bare: bad timeout", []string{"bare", "-timeout", "soon"}, 2},
		{"bare: help", []string{"bare", "-h"}, 0},
		{"run: unknown system", []string{"run", "--system", "cadence"}, 2},
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
			if !strings.Contains(stderr.String(), "usage") && !strings.Contains(stderr.String(), "Usage") {
				t.Errorf("no usage on stderr:\n%s", stderr.String())
			}
		})
	}
	t.Run("top-level help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if got, want := run(t.Context(), []string{"-h"}, &stdout, &stderr), 0; got != want {
			t.Errorf("exit code %d, want %d", got, want)
		}
		if !strings.Contains(stdout.String(), "consumer") {
			t.Errorf("usage on stdout does not list the consumer subcommand:\n%s", stdout.String())
		}
	})
}

// benchQueues returns the names of the queues the benchmark creates that exist.
func benchQueues(tb testing.TB, api *sqs.Client) map[string]bool {
	tb.Helper()
	out, err := api.ListQueues(tb.Context(), &sqs.ListQueuesInput{QueueNamePrefix: aws.String("regbench-")})
	if err != nil {
		tb.Fatal(err)
	}
	names := map[string]bool{}
	for _, u := range out.QueueUrls {
		names[u] = true
	}
	return names
}

func TestConsumerBenchmarkIntegration(t *testing.T) {
	api := awstest.SQS(t)
	before := benchQueues(t, api)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"consumer", "-messages", "40", "-pollers", "2", "-rounds", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	// Header, note, blank line, column titles, 2 rounds, median.
	if got, want := len(lines), 7; got != want {
		t.Fatalf("%d lines, want %d:\n%s", got, want, stdout.String())
	}
	for i, prefix := range map[int]string{5: "1", 6: "2", 7: "median"} {
		if got := strings.Fields(lines[i-1]); len(got) != 6 || got[0] != prefix {
			t.Errorf("line %d: %q, want %s and 5 figures", i, lines[i-1], prefix)
		}
	}
	for u := range benchQueues(t, api) {
		if !before[u] {
			t.Errorf("queue %s left behind", u)
		}
	}
}

// TestBareCommandPrintsItsResult: `regbench bare` prints one line of figures,
// or with -json the result `regbench run` reads.
func TestBareCommandPrintsItsResult(t *testing.T) {
	awstest.Config(t) // skips without the emulators
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"bare", "-transitions", "11", "-concurrency", "2", "-prefix", awstest.Prefix(t)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "bare: 11 transitions, 2 in flight, in ") || !strings.Contains(stdout.String(), "ms per transition") {
		t.Errorf("stdout %q, want the figures of 11 transitions", stdout.String())
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"bare", "-json", "-transitions", "11", "-concurrency", "2", "-prefix", awstest.Prefix(t)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	var res bench.BareRun
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || res.Transitions != 11 || res.Concurrency != 2 || res.Seconds <= 0 {
		t.Errorf("-json printed %q (%v), want a result of 11 transitions at 2", stdout.String(), err)
	}
}
