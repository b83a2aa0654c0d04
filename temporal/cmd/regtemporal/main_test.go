package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
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
		{"worker without a downstream", []string{"worker"}, exitUsage, "regtemporal worker: --downstream-url is required", []string{"Usage: regtemporal worker"}},
		{"worker with every problem at once", []string{"worker", "--downstream-url", "http://x", "--rate", "sms=3", "--time-scale", "0", "--log-level", "loud", "extra"},
			exitUsage, "regtemporal worker: unexpected arguments: extra", []string{`unknown downstream "sms"`, "--time-scale and --retry-scale must be positive", "--log-level", "Usage: regtemporal worker"}},
		{"worker on an unknown flow", []string{"worker", "--downstream-url", "http://x", "--flow", "v3"}, exitUsage,
			`regtemporal worker: --flow: unknown flow "v3" (want v1 or v2)`, []string{"Usage: regtemporal worker"}},
		{"worker with a fault it cannot inject", []string{"worker", "--downstream-url", "http://x", "--faults", "dup-send=1,throttle=0.1"}, exitUsage,
			`regtemporal worker: --faults: fault "throttle" is not injected here (want dup-send, delay-send, max-delay or seed)`, []string{"Usage: regtemporal worker"}},
		{"bridge with a bad fault spec", []string{"bridge", "--faults", "dup-send=2"}, exitUsage,
			`regtemporal bridge: --faults: dup-send="2": want a probability from 0 to 1`, []string{"Usage: regtemporal bridge"}},
		{"review without a verdict", []string{"review", "c-1"}, exitUsage, `regtemporal review: want approve|reject CAMPAIGN, got ["c-1"]`, []string{"Usage: regtemporal review"}},
		{"reject without a reason", []string{"review", "--address", "127.0.0.1:1", "reject", "c-1"}, exitUsage, "regtemporal review: reject needs --reason", nil},
		{"seed with an argument", []string{"seed", "file.jsonl"}, exitUsage, `regtemporal seed: unexpected arguments ["file.jsonl"]`, nil},
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

// The worker's flags become its settings: the policy's thresholds replaced
// by --stuck-after and scaled by --time-scale, retries by both scales.
func TestWorkerFlags(t *testing.T) {
	f := &workerFlags{downstreamURL: "http://127.0.0.1:9400", rates: "all=4,registry=2", stuckAfter: 20 * time.Second,
		maxRedrives: 5, timeScale: 0.5, retryScale: 0.1, level: "warn", flow: "v2"}
	c, err := f.check(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.settings.Threshold(statemachine.KindCampaign, statemachine.CarrierReview); got != 10*time.Second {
		t.Errorf("threshold %v, want 10s (20s x 0.5)", got)
	}
	if c.settings.MaxRedrives != 5 || c.settings.MaxChecks != sweeper.DefaultMaxChecks {
		t.Errorf("max re-drives %d, checks %d; want 5 and the default %d", c.settings.MaxRedrives, c.settings.MaxChecks, sweeper.DefaultMaxChecks)
	}
	if got := c.settings.RetryScale; got != 0.05 {
		t.Errorf("retry scale %v, want 0.05 (0.1 x 0.5)", got)
	}
	if c.flow != statemachine.FlowV2 {
		t.Errorf("flow %v, want v2", c.flow)
	}
	if c.rates["registry"] != 2 || c.rates["att"] != 4 {
		t.Errorf("rates %v, want registry 2, others 4", c.rates)
	}
}

// A reviewer's rejection carries its reason and code; an approval none.
func TestVerdict(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	env, err := verdict("reject", "c-1", "sample mismatch", 30893, now, "ana")
	if err != nil {
		t.Fatal(err)
	}
	reason, err := statemachine.DecodePayload[statemachine.Reason](env.Payload)
	if err != nil || env.Type != statemachine.CampaignReviewRejected || reason.Code != 30893 || env.Actor != "operator:ana" || env.EntityID != "c-1" {
		t.Errorf("rejection %+v reason %+v (%v)", env, reason, err)
	}
	env, err = verdict("approve", "c-1", "", 0, now, "ana")
	if err != nil || env.Type != statemachine.CampaignReviewApproved || env.Payload != nil {
		t.Errorf("approval %+v (%v)", env, err)
	}
}

// A registration as a producer writes it (no event id, time or schema
// version: the baseline's producer fills them in) is completed and seeded;
// one that is not a registration, or whose payload is malformed, is refused
// with its line.
func TestReadEnvelopes(t *testing.T) {
	envs, err := readEnvelopes(strings.NewReader(`{"type":"brand.register","entity_id":"b-1","payload":{"legal_name":"Acme","ein":"12-3456789","email":"a@acme.test","entity_type":"PRIVATE_PROFIT"}}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 1 || envs[0].EventID != "register-brand/b-1" || envs[0].SchemaVersion != statemachine.SchemaVersion || envs[0].OccurredAt.IsZero() {
		t.Errorf("read %+v, want one completed registration", envs)
	}
	for _, bad := range []string{
		`{"type":"brand.verified","entity_id":"b-1"}`,
		`{"type":"campaign.register","entity_id":"c-1","payload":{"use_case":"2FA"}}`,
		`not json`,
	} {
		if _, err := readEnvelopes(strings.NewReader("\n" + bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("read %s: %v, want an error naming line 2", bad, err)
		}
	}
}
