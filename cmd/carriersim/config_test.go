package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

func TestParseFlags(t *testing.T) {
	env := func(secret string) func(string) string {
		return func(k string) string {
			if k == "CARRIERSIM_SECRET" {
				return secret
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		check   func(t *testing.T, c tcrsim.Config, level slog.Level)
		wantErr []string
	}{
		{
			name: "defaults, secret from the environment",
			args: []string{"--webhook-url", "http://127.0.0.1:9300/hooks"},
			env:  env("from-env"),
			check: func(t *testing.T, c tcrsim.Config, level slog.Level) {
				if string(c.Secret) != "from-env" || c.Addr != tcrsim.DefaultAddr || c.Seed != 1 || level != slog.LevelInfo {
					t.Errorf("secret %q, addr %q, seed %d, level %s", c.Secret, c.Addr, c.Seed, level)
				}
				if c.RateLimits[tcrsim.GroupVerizon] != 0 || len(c.Latencies) != 0 || c.RetryFor != tcrsim.DefaultRetryFor {
					t.Errorf("flags not given set more than their defaults: %+v", c)
				}
			},
		},
		{
			name: "every knob",
			args: []string{"--webhook-url", "https://hooks.test/r", "--secret", "from-flag", "--addr", "127.0.0.1:0", "--seed", "42",
				"--rate", "all=5,registry=0", "--errors", "att=0.5", "--lose", "all=0.01,registry=0.02", "--latency", "all=2ms,registry=10ms-20ms,carrier=1s,reviewer=5ms-5ms",
				"--reject", "carrier=0.1,verizon=0.3,reviewer=0.2,ein=1", "--drop", "0.1", "--duplicate", "0.2", "--reorder", "0.3",
				"--reorder-delay", "3s", "--retry-for", "10s", "--retry-backoff", "1ms", "--attempt-timeout", "2s", "--log-level", "debug"},
			env: env("from-env"),
			check: func(t *testing.T, c tcrsim.Config, level slog.Level) {
				if string(c.Secret) != "from-flag" || c.Seed != 42 || level != slog.LevelDebug {
					t.Errorf("secret %q, seed %d, level %s", c.Secret, c.Seed, level)
				}
				if want := (map[tcrsim.Group]int{tcrsim.GroupRegistry: 0, tcrsim.GroupATT: 5, tcrsim.GroupTMobile: 5, tcrsim.GroupVerizon: 5, tcrsim.GroupNumbers: 5}); !maps.Equal(c.RateLimits, want) {
					t.Errorf("rate limits = %v, want %v", c.RateLimits, want)
				}
				if want := (map[tcrsim.Group]float64{tcrsim.GroupATT: 0.5}); !maps.Equal(c.ServerErrors, want) {
					t.Errorf("server errors = %v, want %v", c.ServerErrors, want)
				}
				if want := (map[tcrsim.Group]float64{tcrsim.GroupRegistry: 0.02, tcrsim.GroupATT: 0.01, tcrsim.GroupTMobile: 0.01, tcrsim.GroupVerizon: 0.01, tcrsim.GroupNumbers: 0.01}); !maps.Equal(c.Lose, want) {
					t.Errorf("lost request rates = %v, want %v", c.Lose, want)
				}
				wantLat := map[tcrsim.Step]tcrsim.Latency{tcrsim.StepRegistry: {Min: 10 * time.Millisecond, Max: 20 * time.Millisecond}, tcrsim.StepATT: {Min: time.Second, Max: time.Second},
					tcrsim.StepTMobile: {Min: time.Second, Max: time.Second}, tcrsim.StepVerizon: {Min: time.Second, Max: time.Second}, tcrsim.StepReviewer: {Min: 5 * time.Millisecond, Max: 5 * time.Millisecond},
					tcrsim.StepRevet: {Min: 2 * time.Millisecond, Max: 2 * time.Millisecond}, tcrsim.StepNumbers: {Min: 2 * time.Millisecond, Max: 2 * time.Millisecond},
					tcrsim.StepEvidence: {Min: 2 * time.Millisecond, Max: 2 * time.Millisecond}}
				if !maps.Equal(c.Latencies, wantLat) {
					t.Errorf("latencies = %v, want %v", c.Latencies, wantLat)
				}
				wantRej := map[tcrsim.Rejection]float64{tcrsim.RejectATT: 0.1, tcrsim.RejectTMobile: 0.1, tcrsim.RejectVerizon: 0.3, tcrsim.RejectReviewer: 0.2, tcrsim.RejectInvalidEIN: 1}
				if !maps.Equal(c.Rejections, wantRej) {
					t.Errorf("rejections = %v, want %v", c.Rejections, wantRej)
				}
				if c.Drop != 0.1 || c.Duplicate != 0.2 || c.Reorder != 0.3 || c.ReorderDelay != 3*time.Second ||
					c.RetryFor != 10*time.Second || c.RetryBackoff != time.Millisecond || c.AttemptTimeout != 2*time.Second {
					t.Errorf("webhook knobs = %+v", c)
				}
			},
		},
		{
			name:    "webhook URL and secret are required",
			env:     env(""),
			wantErr: []string{"webhook URL is required", "webhook secret is required"},
		},
		{
			name: "every spec problem at once",
			args: []string{"--webhook-url", "http://h/", "--rate", "registry=fast,sprint=1",
				"--latency", "numbers=1s,registry=soon", "--reject", "carrier", "--lose", "reviewer=0.1"},
			env: env("s"),
			wantErr: []string{`--rate: registry: strconv.Atoi: parsing "fast"`, `unknown key "sprint"`, "--latency: registry:",
				`--reject: "carrier" is not key=value`, `--lose: unknown key "reviewer"`},
		},
		{
			name:    "values out of range",
			args:    []string{"--webhook-url", "ftp://hooks", "--errors", "att=2", "--latency", "numbers=2s-1s", "--drop", "-0.1", "--rate", "att=-1", "--lose", "numbers=1.5"},
			env:     env("s"),
			wantErr: []string{"not an absolute http(s) URL", "injected error rate of att 2", "latency of numbers is 2s-1s", "drop rate -0.1", "rate limit of att is negative", "lost request rate of numbers 1.5"},
		},
		{
			name:    "stray arguments",
			args:    []string{"--webhook-url", "http://h/", "serve"},
			env:     env("s"),
			wantErr: []string{`unexpected arguments ["serve"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, level, err := parseFlags(tt.args, tt.env, io.Discard)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("parseFlags: nil error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags: %v", err)
			}
			tt.check(t, cfg, level)
		})
	}
	t.Run("help", func(t *testing.T) {
		var out strings.Builder
		_, _, err := parseFlags([]string{"-h"}, env(""), &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-webhook-url") {
			t.Errorf("parseFlags -h = %v, usage %q", err, out.String())
		}
	})
}

func TestRunRejectsBadConfig(t *testing.T) {
	err := (&Main{Config: tcrsim.Config{WebhookURL: "http://h/", Drop: 2}}).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "webhook secret is required") || !strings.Contains(err.Error(), "drop rate 2") {
		t.Errorf("Run = %v, want the config problems", err)
	}
}
