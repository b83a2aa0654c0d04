package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
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

// The outbound queues' consumers take 16 calls in flight by default (the
// shared rate limit decides the pace), a concurrency their consumer accepts.
func TestParseConfigOutboundConcurrency(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr bool
	}{
		{"default", nil, 16, false},
		{"set", []string{"-outbound-concurrency", "64"}, 64, false},
		{"one", []string{"-outbound-concurrency", "1"}, 1, false},
		{"zero", []string{"-outbound-concurrency", "0"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(tt.args, noEnv, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseConfig(%q) error %v, want error %v", tt.args, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got := c.OutboundConcurrency; got != tt.want {
				t.Errorf("outbound concurrency %d, want %d", got, tt.want)
			}
			_, err = sqsq.NewConsumer(sqs.New(sqs.Options{Region: "us-east-1"}), sqsq.ConsumerConfig{QueueURL: "http://127.0.0.1/q",
				Queue: string(statemachine.ToRegistry), Concurrency: c.OutboundConcurrency, VisibilityTimeout: resources.DefaultVisibilityTimeout})
			if err != nil {
				t.Errorf("a consumer with %d calls in flight: %v", c.OutboundConcurrency, err)
			}
		})
	}
}

func TestParseConfigRecoveryPolicy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "recovery.json")
	if err := os.WriteFile(file, []byte(`{"thresholds":{"campaign/CARRIER_REVIEW":"96h"},"max_checks":4}`), 0o600); err != nil {
		t.Fatal(err)
	}
	carrierReview := sweeper.StateKey{Kind: statemachine.KindCampaign, State: statemachine.CarrierReview}
	submitted := sweeper.StateKey{Kind: statemachine.KindBrand, State: statemachine.Submitted}
	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		wantCarrier   time.Duration
		wantSubmitted time.Duration
		wantRedrives  int
		wantChecks    int
		wantErr       bool
	}{
		{"production defaults", nil, nil, 3 * sweeper.Day, time.Hour, 3, 10, false},
		{"a policy file", []string{"-recovery", file}, nil, 96 * time.Hour, time.Hour, 3, 4, false},
		{"a policy file from the environment", nil, map[string]string{"TENDLC_RECOVERY": file}, 96 * time.Hour, time.Hour, 3, 4, false},
		{"one threshold and maximums over the file", []string{"-recovery", file, "-stuck-after", "20s", "-max-redrives", "5", "-max-checks", "7"},
			nil, 20 * time.Second, 20 * time.Second, 5, 7, false},
		{"scaled: a day lasts 10 s", []string{"-time-scale", "0.00011574074074074075"}, nil, 30 * time.Second, 416666667 * time.Nanosecond, 3, 10, false},
		{"scaled after the override", []string{"-stuck-after", "24h", "-time-scale", "0.00011574074074074075"}, nil,
			10 * time.Second, 10 * time.Second, 3, 10, false},
		{"a file that does not exist", []string{"-recovery", "/nonexistent.json"}, nil, 0, 0, 0, 0, true},
		{"a negative threshold", []string{"-stuck-after", "-1s"}, nil, 0, 0, 0, 0, true},
		{"a scale that is not positive", []string{"-time-scale", "0"}, nil, 0, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseConfig(%q) error %v, want error %v", tt.args, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			p := c.Recovery
			if got, got2 := p.Threshold(carrierReview), p.Threshold(submitted); got != tt.wantCarrier || got2 != tt.wantSubmitted {
				t.Errorf("thresholds CARRIER_REVIEW %v, SUBMITTED %v; want %v, %v", got, got2, tt.wantCarrier, tt.wantSubmitted)
			}
			if p.MaxRedrives != tt.wantRedrives || p.MaxChecks != tt.wantChecks {
				t.Errorf("maximums %d, %d; want %d, %d", p.MaxRedrives, p.MaxChecks, tt.wantRedrives, tt.wantChecks)
			}
		})
	}
}

// -flow picks the flow new registrations start on: v1 unless told, and a
// name it does not know is a usage error naming the flows.
func TestParseConfigFlow(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		want    statemachine.Flow
		wantErr string
	}{
		{name: "default", want: statemachine.FlowV1},
		{name: "v1", args: []string{"-flow", "v1"}, want: statemachine.FlowV1},
		{name: "v2", args: []string{"--flow", "v2"}, want: statemachine.FlowV2},
		{name: "unknown", args: []string{"-flow", "v3"}, wantErr: `-flow: unknown flow "v3" (want v1 or v2)`},
		{name: "a number", args: []string{"-flow", "2"}, wantErr: `unknown flow "2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var usage strings.Builder
			c, err := ParseConfig(tt.args, noEnv, &usage)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(usage.String(), "-flow") {
					t.Fatalf("ParseConfig(%q) = %v (usage %d bytes), want an error saying %q and the usage", tt.args, err, usage.Len(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Flow != tt.want {
				t.Errorf("flow %v, want %v", c.Flow, tt.want)
			}
		})
	}
}

func TestParseConfigNotes(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, tt := range []struct {
		args    []string
		noNotes bool
	}{{nil, false}, {[]string{"-notes"}, false}, {[]string{"-notes=false"}, true}} {
		c, err := ParseConfig(tt.args, noEnv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.NoNotes != tt.noNotes {
			t.Errorf("ParseConfig(%q).NoNotes = %v, want %v", tt.args, c.NoNotes, tt.noNotes)
		}
	}
}

func TestParseConfigDelegate(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []statemachine.Step
		bridge  string
		wantErr string // in the usage error; "" for none
	}{
		{name: "none by default", args: nil},
		{name: "evidence", args: []string{"-delegate", "evidence", "-bridge-url", "http://127.0.0.1:9500"},
			want: []statemachine.Step{statemachine.StepEvidence}, bridge: "http://127.0.0.1:9500"},
		{name: "repeated and a comma list", args: []string{"--delegate", "evidence", "--delegate", "evidence,evidence", "--bridge-url", "http://b"},
			want: []statemachine.Step{statemachine.StepEvidence}, bridge: "http://b"},
		{name: "the bridge from the environment", args: []string{"-delegate", "evidence"}, env: map[string]string{"TENDLC_BRIDGE_URL": "http://env"},
			want: []statemachine.Step{statemachine.StepEvidence}, bridge: "http://env"},
		{name: "the bridge alone: a sweeping replica that delegates nothing", args: []string{"-bridge-url", "http://b"}, bridge: "http://b"},
		{name: "an unknown step", args: []string{"-delegate", "carriers", "-bridge-url", "http://b"}, wantErr: `unknown step "carriers" (want evidence)`},
		{name: "no bridge", args: []string{"-delegate", "evidence"}, wantErr: "-delegate needs -bridge-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var usage strings.Builder
			c, err := ParseConfig(tt.args, func(k string) string { return tt.env[k] }, &usage)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfig(%q) = %v, want an error with %q", tt.args, err, tt.wantErr)
				}
				if !strings.Contains(usage.String(), "-delegate step") {
					t.Errorf("usage not printed: %q", usage.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", tt.args, err)
			}
			if !slices.Equal(c.Delegate, tt.want) || c.BridgeURL != tt.bridge {
				t.Errorf("delegate %v, bridge %q; want %v, %q", c.Delegate, c.BridgeURL, tt.want, tt.bridge)
			}
		})
	}
}
