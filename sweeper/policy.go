package sweeper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Day is a day of production time.
const Day = 24 * time.Hour

// Policy is the recovery policy: how long a record may wait in each watched
// state before the sweeper looks at it, and how many looks it gets. One
// policy, read from a file by regd, regctl sweep and regctl redrive alike,
// keeps the service and the operators' tools in agreement.
type Policy struct {
	// Thresholds is the wait per watched state; a state without one uses
	// DefaultThreshold.
	Thresholds       map[StateKey]time.Duration
	DefaultThreshold time.Duration
	MaxRedrives      int // re-drives that re-send or have nothing to do
	MaxChecks        int // re-drives that find the downstream still deciding
}

// DefaultPolicy is the production policy. The thresholds follow what the
// registry and the carriers publish (DOMAIN.md and the README's recovery
// notes): a look after about twice the usual answer time, so that a slow
// answer is not taken for a lost one, and MaxChecks looks before 30901.
func DefaultPolicy() Policy {
	return Policy{
		Thresholds: map[StateKey]time.Duration{
			// The registry's API call, queued behind the account's rate
			// limit (1/s at a large CPaaS); identity webhooks usually come
			// within minutes.
			{statemachine.KindBrand, statemachine.Pending}:   time.Hour,
			{statemachine.KindBrand, statemachine.Submitted}: time.Hour,
			// External secondary vetting: 30 s to 24 h.
			{statemachine.KindBrand, statemachine.Vetting}: Day,
			// A campaign waits for its brand's identity (and vetting).
			{statemachine.KindCampaign, statemachine.Pending}:    Day,
			{statemachine.KindCampaign, statemachine.TCRPending}: time.Hour,
			// Manual vetting by the registry's reviewers: often days.
			{statemachine.KindCampaign, statemachine.InReview}: 3 * Day,
			// The registry's review of the opt-in evidence (flow v2): a
			// review by people, as the vetting before it.
			{statemachine.KindCampaign, statemachine.EvidenceReview}: 3 * Day,
			// T-Mobile instant to 24 h; AT&T and Verizon 1 to 3 days.
			{statemachine.KindCampaign, statemachine.CarrierReview}: 3 * Day,
			// A follow-up of this system's own.
			{statemachine.KindCampaign, statemachine.Approved}: time.Hour,
			// Numbers are swept themselves; the campaign only collects them.
			{statemachine.KindCampaign, statemachine.NumbersPending}: Day,
			// Number registration is asynchronous and can be delayed.
			{statemachine.KindNumber, statemachine.Pending}:       time.Hour,
			{statemachine.KindNumber, statemachine.Registering}:   Day,
			{statemachine.KindNumber, statemachine.Deregistering}: Day,
		},
		DefaultThreshold: DefaultThreshold,
		MaxRedrives:      DefaultMaxRedrives,
		MaxChecks:        DefaultMaxChecks,
	}
}

// policyFile is a Policy as a JSON file writes it: durations as "72h",
// thresholds keyed "campaign/CARRIER_REVIEW". Every field is optional; what
// is absent keeps the default.
type policyFile struct {
	DefaultThreshold string            `json:"default_threshold,omitempty"`
	Thresholds       map[string]string `json:"thresholds,omitempty"`
	MaxRedrives      int               `json:"max_redrives,omitempty"`
	MaxChecks        int               `json:"max_checks,omitempty"`
}

// LoadPolicy reads a policy file over DefaultPolicy. It returns an error for
// a file that does not decode (the first unknown field or syntax error), and
// otherwise one naming every problem: a state the sweeper does not watch, a
// duration that does not parse or is not positive, a negative maximum.
func LoadPolicy(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("recovery policy: %w", err)
	}
	var f policyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Policy{}, fmt.Errorf("recovery policy %s: %w", path, err)
	}
	p := DefaultPolicy()
	var errs []error
	if f.DefaultThreshold != "" {
		d, err := positive(f.DefaultThreshold)
		if err != nil {
			errs = append(errs, fmt.Errorf("default_threshold: %w", err))
		}
		p.DefaultThreshold = d
	}
	for key, v := range f.Thresholds {
		k, err := ParseStateKey(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("thresholds: %w", err))
			continue
		}
		d, err := positive(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("thresholds %s: %w", key, err))
		}
		p.Thresholds[k] = d
	}
	if f.MaxRedrives < 0 || f.MaxChecks < 0 {
		errs = append(errs, errors.New("max_redrives and max_checks must not be negative"))
	}
	if f.MaxRedrives > 0 {
		p.MaxRedrives = f.MaxRedrives
	}
	if f.MaxChecks > 0 {
		p.MaxChecks = f.MaxChecks
	}
	if err := errors.Join(errs...); err != nil {
		return Policy{}, fmt.Errorf("recovery policy %s: %w", path, err)
	}
	return p, nil
}

// ResolvePolicy is the policy of the command-line tools: the file at path
// (DefaultPolicy when path is empty), then a uniform threshold stuck, and the
// maximums, each where it is not zero. It returns LoadPolicy's error.
func ResolvePolicy(path string, stuck time.Duration, maxRedrives, maxChecks int) (Policy, error) {
	p := DefaultPolicy()
	if path != "" {
		var err error
		if p, err = LoadPolicy(path); err != nil {
			return Policy{}, err
		}
	}
	if stuck > 0 {
		p = p.Uniform(stuck)
	}
	if maxRedrives > 0 {
		p.MaxRedrives = maxRedrives
	}
	if maxChecks > 0 {
		p.MaxChecks = maxChecks
	}
	return p, nil
}

// ParseStateKey reads "kind/STATE", a state the sweeper watches.
func ParseStateKey(s string) (StateKey, error) {
	kind, state, ok := strings.Cut(s, "/")
	k := StateKey{statemachine.Kind(kind), statemachine.State(state)}
	if !ok || !statemachine.IsWatched(k.Kind, k.State) {
		return StateKey{}, fmt.Errorf("%q is not kind/STATE of a state the sweeper watches", s)
	}
	return k, nil
}

func positive(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s is not positive", s)
	}
	return d, nil
}

// Uniform returns p with every threshold d.
func (p Policy) Uniform(d time.Duration) Policy {
	p.Thresholds = nil
	p.DefaultThreshold = d
	return p
}

// Scaled returns p with every duration multiplied by f, for time-compressed
// runs (f = 10/86400 makes a production day last 10 s). A scaled duration is
// at least a millisecond.
func (p Policy) Scaled(f float64) Policy {
	scale := func(d time.Duration) time.Duration {
		return max(time.Millisecond, time.Duration(math.Round(float64(d)*f)))
	}
	out := p
	out.DefaultThreshold = scale(p.DefaultThreshold)
	out.Thresholds = make(map[StateKey]time.Duration, len(p.Thresholds))
	for k, d := range p.Thresholds {
		out.Thresholds[k] = scale(d)
	}
	return out
}

// Threshold returns how long a record may wait in state k.
func (p Policy) Threshold(k StateKey) time.Duration {
	if d, ok := p.Thresholds[k]; ok {
		return d
	}
	return p.DefaultThreshold
}

// Configure sets the thresholds and maximums of cfg from p.
func (p Policy) Configure(cfg *Config) {
	cfg.Threshold, cfg.Thresholds = p.DefaultThreshold, p.Thresholds
	cfg.MaxRedrives, cfg.MaxChecks = p.MaxRedrives, p.MaxChecks
}

// String lists the policy, one state a line, for logs and --help.
func (p Policy) String() string {
	var b strings.Builder
	for _, k := range statemachine.Kinds {
		for _, s := range statemachine.WatchedStates(k) {
			fmt.Fprintf(&b, "%s/%s %v\n", k, s, p.Threshold(StateKey{k, s}))
		}
	}
	fmt.Fprintf(&b, "max_redrives %d, max_checks %d\n", p.MaxRedrives, p.MaxChecks)
	return b.String()
}
