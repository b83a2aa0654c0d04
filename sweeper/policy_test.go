package sweeper

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// writePolicy writes body to a policy file in a directory of tb's and returns
// its path.
func writePolicy(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// watchedKeys lists every state the sweeper watches.
func watchedKeys() []StateKey {
	var ks []StateKey
	for _, k := range statemachine.Kinds {
		for _, s := range statemachine.WatchedStates(k) {
			ks = append(ks, StateKey{k, s})
		}
	}
	return ks
}

var carrierReviewKey = StateKey{statemachine.KindCampaign, statemachine.CarrierReview}

func TestDefaultPolicyHasAThresholdPerWatchedState(t *testing.T) {
	p := DefaultPolicy()
	for _, k := range watchedKeys() {
		if _, ok := p.Thresholds[k]; !ok {
			t.Errorf("no threshold for %s %s", k.Kind, k.State)
		}
	}
	if got, want := len(p.Thresholds), len(watchedKeys()); got != want {
		t.Errorf("%d thresholds, want %d: one per watched state and no other", got, want)
	}
	if p.MaxRedrives != DefaultMaxRedrives || p.MaxChecks != DefaultMaxChecks || p.DefaultThreshold != DefaultThreshold {
		t.Errorf("maximums %d, %d and default %v; want %d, %d, %v", p.MaxRedrives, p.MaxChecks, p.DefaultThreshold,
			DefaultMaxRedrives, DefaultMaxChecks, DefaultThreshold)
	}
	// The sweeper accepts it.
	cfg := Config{Store: newMemStore(), DryRun: true}
	p.Configure(&cfg)
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New with the default policy: %v", err)
	}
	for _, k := range watchedKeys() {
		if got, want := s.threshold(k), p.Threshold(k); got != want {
			t.Errorf("sweeper threshold for %s %s = %v, want the policy's %v", k.Kind, k.State, got, want)
		}
	}
	if s.cfg.MaxRedrives != p.MaxRedrives || s.cfg.MaxChecks != p.MaxChecks {
		t.Errorf("sweeper maximums %d, %d; want the policy's %d, %d", s.cfg.MaxRedrives, s.cfg.MaxChecks, p.MaxRedrives, p.MaxChecks)
	}
}

func TestLoadPolicyOverridesTheDefaults(t *testing.T) {
	path := writePolicy(t, `{
		"default_threshold": "12h",
		"thresholds": {"campaign/CARRIER_REVIEW": "96h"},
		"max_redrives": 5,
		"max_checks": 20
	}`)
	p, err := LoadPolicy(path)
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	def := DefaultPolicy()
	for _, k := range watchedKeys() {
		want := def.Threshold(k)
		if k == carrierReviewKey {
			want = 96 * time.Hour
		}
		if got := p.Threshold(k); got != want {
			t.Errorf("threshold for %s %s = %v, want %v", k.Kind, k.State, got, want)
		}
	}
	if got, want := p.DefaultThreshold, 12*time.Hour; got != want {
		t.Errorf("default threshold %v, want %v", got, want)
	}
	if p.MaxRedrives != 5 || p.MaxChecks != 20 {
		t.Errorf("maximums %d, %d; want 5, 20", p.MaxRedrives, p.MaxChecks)
	}
	if got := DefaultPolicy().Threshold(carrierReviewKey); got != 3*Day {
		t.Errorf("loading a file changed the default policy: CARRIER_REVIEW %v", got)
	}

	empty, err := LoadPolicy(writePolicy(t, `{}`))
	if err != nil {
		t.Fatalf("LoadPolicy of an empty policy: %v", err)
	}
	if !policiesEqual(empty, def) {
		t.Errorf("an empty file gives %v, want the default policy", empty)
	}
}

func policiesEqual(a, b Policy) bool {
	return maps.Equal(a.Thresholds, b.Thresholds) && a.DefaultThreshold == b.DefaultThreshold &&
		a.MaxRedrives == b.MaxRedrives && a.MaxChecks == b.MaxChecks
}

func TestLoadPolicyRejects(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr []string // each appears in the error
		joined  int      // how many problems the error joins (0: not checked)
	}{
		{"an unknown field", `{"max_retries": 4}`, []string{"max_retries"}, 0},
		{"a threshold for a state the sweeper does not watch", `{"thresholds": {"brand/VERIFIED": "1h"}}`,
			[]string{"brand/VERIFIED"}, 1},
		{"a duration that does not parse", `{"thresholds": {"brand/SUBMITTED": "soon"}}`, []string{"brand/SUBMITTED"}, 1},
		{"not JSON", `thresholds: {}`, []string{"recovery policy"}, 0},
		{
			name: "every problem at once",
			body: `{"default_threshold": "0s", "thresholds": {"brand/VERIFIED": "1h", "number/REGISTERING": "-1h"},
				"max_redrives": -1}`,
			wantErr: []string{"default_threshold", "brand/VERIFIED", "number/REGISTERING", "max_redrives"},
			joined:  4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePolicy(t, tt.body)
			p, err := LoadPolicy(path)
			if err == nil {
				t.Fatalf("LoadPolicy = %+v, want an error", p)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.joined > 0 {
				joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error })
				if !ok || len(joined.Unwrap()) != tt.joined {
					t.Errorf("error %q, want %d problems joined", err, tt.joined)
				}
			}
		})
	}
	t.Run("a missing file", func(t *testing.T) {
		_, err := LoadPolicy(filepath.Join(t.TempDir(), "absent.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LoadPolicy = %v, want an error wrapping fs.ErrNotExist", err)
		}
	})
}

func TestParseStateKey(t *testing.T) {
	tests := []struct {
		in      string
		want    StateKey
		wantErr bool
	}{
		{"campaign/CARRIER_REVIEW", carrierReviewKey, false},
		{"campaign/APPROVED", StateKey{statemachine.KindCampaign, statemachine.Approved}, false},
		{"number/DEREGISTERING", StateKey{statemachine.KindNumber, statemachine.Deregistering}, false},
		{"brand/VERIFIED", StateKey{}, true}, // not watched
		{"campaign/REGISTERING", StateKey{}, true},
		{"campaign", StateKey{}, true},
		{"Campaign/CARRIER_REVIEW", StateKey{}, true},
		{"", StateKey{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStateKey(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseStateKey(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPolicyScaled(t *testing.T) {
	p := DefaultPolicy()
	scaled := p.Scaled(10.0 / 86400) // a production day lasts 10 s
	tests := []struct {
		key  StateKey
		want time.Duration
	}{
		{carrierReviewKey, 30 * time.Second},                                                    // 3 days
		{StateKey{statemachine.KindNumber, statemachine.Registering}, 10 * time.Second},         // a day
		{StateKey{statemachine.KindBrand, statemachine.Submitted}, 416666667 * time.Nanosecond}, // an hour, rounded
	}
	for _, tt := range tests {
		if got := scaled.Threshold(tt.key); got != tt.want {
			t.Errorf("scaled threshold for %s %s = %v, want %v", tt.key.Kind, tt.key.State, got, tt.want)
		}
	}
	if got, want := scaled.DefaultThreshold, 10*time.Second; got != want {
		t.Errorf("scaled default threshold %v, want %v", got, want)
	}
	if scaled.MaxRedrives != p.MaxRedrives || scaled.MaxChecks != p.MaxChecks {
		t.Errorf("scaling changed the maximums: %d, %d", scaled.MaxRedrives, scaled.MaxChecks)
	}
	if got := p.Threshold(carrierReviewKey); got != 3*Day {
		t.Errorf("Scaled changed the policy it was called on: CARRIER_REVIEW %v", got)
	}
	tiny := p.Scaled(1e-12)
	for _, k := range watchedKeys() {
		if got := tiny.Threshold(k); got != time.Millisecond {
			t.Errorf("threshold for %s %s scaled to nothing = %v, want the floor of 1ms", k.Kind, k.State, got)
		}
	}
}

func TestPolicyUniform(t *testing.T) {
	p := DefaultPolicy()
	p.MaxRedrives, p.MaxChecks = 7, 8
	u := p.Uniform(2 * time.Hour)
	for _, k := range watchedKeys() {
		if got := u.Threshold(k); got != 2*time.Hour {
			t.Errorf("uniform threshold for %s %s = %v, want 2h", k.Kind, k.State, got)
		}
	}
	if u.MaxRedrives != 7 || u.MaxChecks != 8 {
		t.Errorf("Uniform changed the maximums: %d, %d", u.MaxRedrives, u.MaxChecks)
	}
	if got := p.Threshold(carrierReviewKey); got != 3*Day {
		t.Errorf("Uniform changed the policy it was called on: CARRIER_REVIEW %v", got)
	}
}

func TestResolvePolicy(t *testing.T) {
	file := writePolicy(t, `{"thresholds": {"campaign/CARRIER_REVIEW": "96h"}, "max_redrives": 5, "max_checks": 20}`)
	subm := StateKey{statemachine.KindBrand, statemachine.Submitted}
	tests := []struct {
		name         string
		path         string
		stuck        time.Duration
		maxRedrives  int
		maxChecks    int
		wantCR       time.Duration // CARRIER_REVIEW's threshold
		wantSubm     time.Duration // brand SUBMITTED's threshold
		wantRedrives int
		wantChecks   int
	}{
		{"nothing: the default policy", "", 0, 0, 0, 3 * Day, time.Hour, DefaultMaxRedrives, DefaultMaxChecks},
		{"the file", file, 0, 0, 0, 96 * time.Hour, time.Hour, 5, 20},
		{"a uniform threshold over the file", file, 30 * time.Minute, 0, 0, 30 * time.Minute, 30 * time.Minute, 5, 20},
		{"maximums over the file", file, 0, 2, 3, 96 * time.Hour, time.Hour, 2, 3},
		{"flags without a file", "", 2 * time.Hour, 4, 0, 2 * time.Hour, 2 * time.Hour, 4, DefaultMaxChecks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ResolvePolicy(tt.path, tt.stuck, tt.maxRedrives, tt.maxChecks)
			if err != nil {
				t.Fatalf("ResolvePolicy: %v", err)
			}
			if got := p.Threshold(carrierReviewKey); got != tt.wantCR {
				t.Errorf("CARRIER_REVIEW threshold %v, want %v", got, tt.wantCR)
			}
			if got := p.Threshold(subm); got != tt.wantSubm {
				t.Errorf("brand SUBMITTED threshold %v, want %v", got, tt.wantSubm)
			}
			if p.MaxRedrives != tt.wantRedrives || p.MaxChecks != tt.wantChecks {
				t.Errorf("maximums %d, %d; want %d, %d", p.MaxRedrives, p.MaxChecks, tt.wantRedrives, tt.wantChecks)
			}
		})
	}
	t.Run("a bad file", func(t *testing.T) {
		if _, err := ResolvePolicy(writePolicy(t, `{"max_retries": 1}`), time.Hour, 1, 1); err == nil {
			t.Error("ResolvePolicy of a bad file succeeded; want LoadPolicy's error")
		}
	})
}

func TestSweepFollowsThePolicy(t *testing.T) {
	// Two days in each state: past brand SUBMITTED's hour, short of
	// CARRIER_REVIEW's three days.
	f := newFixture(t, newMemStore(
		waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 2*Day),
		waiting(statemachine.KindCampaign, "c1", statemachine.CarrierReview, 2*Day),
	), func(c *Config) { DefaultPolicy().Configure(c) })
	rep := f.sweep(t)
	if rep.Stuck != 1 || rep.Redriven != 1 {
		t.Errorf("report %+v, want b1 alone re-driven", rep)
	}
	if got := f.store.get(t, statemachine.KindCampaign, "c1"); got.Version != 3 {
		t.Errorf("c1, short of its threshold, was written: version %d", got.Version)
	}
}

func TestPolicyString(t *testing.T) {
	s := DefaultPolicy().String()
	for _, want := range []string{"campaign/CARRIER_REVIEW 72h0m0s\n", "campaign/APPROVED 1h0m0s\n", "max_redrives 3, max_checks 10\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("policy lists\n%s\nwithout %q", s, want)
		}
	}
	if got, want := strings.Count(s, "\n"), len(watchedKeys())+1; got != want {
		t.Errorf("policy lists %d lines, want %d: a state a line and the maximums", got, want)
	}
}
