package flow

import (
	"context"
	"time"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// Settings are the worker's recovery and retry settings: the baseline's
// recovery policy (per-state thresholds, the maximum re-drives and checks,
// sweeper.Policy) and its retry scale. A workflow reads them once, at its
// start, with a local activity, so that its history keeps them: a worker
// restarted with other flags does not change the decisions of workflows in
// flight.
type Settings struct {
	// Thresholds is the wait per waiting state, keyed "kind/STATE"; a state
	// without one waits DefaultThreshold.
	Thresholds       map[string]time.Duration `json:"thresholds,omitempty"`
	DefaultThreshold time.Duration            `json:"default_threshold"`
	MaxRedrives      int                      `json:"max_redrives"` // look-ups that found nothing and re-sent
	MaxChecks        int                      `json:"max_checks"`   // look-ups that found the downstream still deciding
	// RetryScale multiplies the retry delays of the downstream calls and of
	// the wait for a brand, as regd's --retry-scale does.
	RetryScale float64 `json:"retry_scale"`
	// Recheck is how soon a reconciliation that could ask no downstream asks
	// again, when that is sooner than the threshold: the baseline's sweep
	// interval (hourly in production).
	Recheck time.Duration `json:"recheck"`
}

// NewSettings returns the settings of policy p (already scaled to the run's
// time), retry scale f and recheck interval recheck.
func NewSettings(p sweeper.Policy, f float64, recheck time.Duration) Settings {
	s := Settings{Thresholds: map[string]time.Duration{}, DefaultThreshold: p.DefaultThreshold,
		MaxRedrives: p.MaxRedrives, MaxChecks: p.MaxChecks, RetryScale: f, Recheck: recheck}
	for k, d := range p.Thresholds {
		s.Thresholds[stateKey(k.Kind, k.State)] = d
	}
	return s
}

// Threshold returns how long a record of kind k may wait in state st before
// its workflow looks the downstream up.
func (s Settings) Threshold(k statemachine.Kind, st statemachine.State) time.Duration {
	if d, ok := s.Thresholds[stateKey(k, st)]; ok {
		return d
	}
	return s.DefaultThreshold
}

// scaled returns d times the retry scale, at least a millisecond.
func (s Settings) scaled(d time.Duration) time.Duration {
	return max(time.Millisecond, time.Duration(float64(d)*s.RetryScale))
}

func stateKey(k statemachine.Kind, st statemachine.State) string { return string(k) + "/" + string(st) }

// ReadSettings is the local activity that hands a workflow the worker's
// settings.
func (a *Activities) ReadSettings(context.Context) (Settings, error) { return a.Settings, nil }
