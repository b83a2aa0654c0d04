package tcrsim

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Group is a set of endpoints that share one rate limit and one injected error
// rate, as a downstream's account limits do.
type Group string

// The endpoint groups. The carrier groups equal the statemachine.Carrier values.
const (
	GroupRegistry Group = "registry"
	GroupATT      Group = Group(statemachine.CarrierATT)
	GroupTMobile  Group = Group(statemachine.CarrierTMobile)
	GroupVerizon  Group = Group(statemachine.CarrierVerizon)
	GroupNumbers  Group = "numbers"
)

var groups = []Group{GroupRegistry, GroupATT, GroupTMobile, GroupVerizon, GroupNumbers}

// Groups returns every group, registry first.
func Groups() []Group { return slices.Clone(groups) }

// Step is a stage of a registration whose webhook comes after its own delay.
// The carrier steps equal the statemachine.Carrier values.
type Step string

// The steps.
const (
	StepRegistry Step = "registry" // brand identity, CAMPAIGN_ADD, BRAND_DELETE
	StepRevet    Step = "revet"    // secondary vetting: BRAND_REVET
	StepReviewer Step = "reviewer" // the automatic campaign reviewer, after CAMPAIGN_ADD
	StepEvidence Step = "evidence" // the registry's opt-in evidence review (flow v2)
	StepATT      Step = Step(statemachine.CarrierATT)
	StepTMobile  Step = Step(statemachine.CarrierTMobile)
	StepVerizon  Step = Step(statemachine.CarrierVerizon)
	StepNumbers  Step = "numbers"
)

var steps = []Step{StepRegistry, StepRevet, StepReviewer, StepEvidence, StepATT, StepTMobile, StepVerizon, StepNumbers}

// Steps returns every step, in the order a registration meets them.
func Steps() []Step { return slices.Clone(steps) }

// Rejection names a place where the simulator can say no.
type Rejection string

// The rejections, with the answer each gives.
const (
	RejectInvalidEIN Rejection = "ein"        // brand submit: 400 code 30795 (never for sole proprietors)
	RejectUnverified Rejection = "unverified" // brand identity UNVERIFIED
	RejectRevet      Rejection = "revet"      // BRAND_REVET UNVERIFIED, code 30902
	RejectHighRisk   Rejection = "high-risk"  // campaign submit: 400 code 30885
	RejectReviewer   Rejection = "reviewer"   // CAMPAIGN_SHARE_DELETE, code 30893
	RejectEvidence   Rejection = "evidence"   // CAMPAIGN_EVIDENCE_REJECTED, code 30909
	RejectATT        Rejection = Rejection(statemachine.CarrierATT)
	RejectTMobile    Rejection = Rejection(statemachine.CarrierTMobile)
	RejectVerizon    Rejection = Rejection(statemachine.CarrierVerizon) // the carriers: MNO_CAMPAIGN_OPERATION_REJECTED, code 30899
	RejectNumbers    Rejection = "numbers"                              // NUMBER_REGISTRATION_UPDATE FAILED
)

var rejections = []Rejection{RejectInvalidEIN, RejectUnverified, RejectRevet, RejectHighRisk, RejectReviewer, RejectEvidence,
	RejectATT, RejectTMobile, RejectVerizon, RejectNumbers}

// Rejections returns every place where the simulator can say no.
func Rejections() []Rejection { return slices.Clone(rejections) }

// Latency is a uniform delay between Min and Max.
type Latency struct{ Min, Max time.Duration }

func (l Latency) String() string {
	if l.Min == l.Max {
		return l.Min.String()
	}
	return l.Min.String() + "-" + l.Max.String()
}

// Defaults for the zero values of Config.
const (
	DefaultAddr            = "127.0.0.1:9400"
	DefaultRateLimit       = 2 // requests per second per group
	DefaultReorderDelay    = 2 * time.Second
	DefaultAttemptTimeout  = 5 * time.Second
	DefaultRetryFor        = time.Minute
	DefaultRetryBackoff    = 250 * time.Millisecond
	DefaultShutdownTimeout = 5 * time.Second
	maxRetryBackoff        = 10 * time.Second
)

// DefaultLatencies are the webhook delays of the steps a Config leaves out.
var DefaultLatencies = map[Step]Latency{
	StepRegistry: {200 * time.Millisecond, time.Second},
	StepRevet:    {time.Second, 3 * time.Second},
	StepReviewer: {time.Second, 3 * time.Second},
	StepEvidence: {time.Second, 3 * time.Second},
	StepATT:      {500 * time.Millisecond, 2 * time.Second},
	StepTMobile:  {500 * time.Millisecond, 2 * time.Second},
	StepVerizon:  {500 * time.Millisecond, 2 * time.Second},
	StepNumbers:  {200 * time.Millisecond, time.Second},
}

// Config is the scenario the simulator plays. Zero values mean the documented
// defaults; a map leaves out the keys that keep their default.
type Config struct {
	Addr       string // where ListenAndServe listens; default DefaultAddr
	WebhookURL string // where webhooks are posted; required
	Secret     []byte // signs the webhooks; required
	Seed       uint64 // seeds every random draw: same seed, same run

	RateLimits   map[Group]int         // accepted requests per second; default DefaultRateLimit, 0 = unlimited
	ServerErrors map[Group]float64     // probability of an injected 503; default 0
	Lose         map[Group]float64     // probability that an accepted state-changing request is forgotten; default 0
	Latencies    map[Step]Latency      // webhook delay per step; default DefaultLatencies
	Rejections   map[Rejection]float64 // probability of each rejection; default 0

	Drop         float64       // probability that a webhook is never sent
	Duplicate    float64       // probability that a webhook is sent twice
	Reorder      float64       // probability that a webhook is held back by up to ReorderDelay more
	ReorderDelay time.Duration // default DefaultReorderDelay

	AttemptTimeout  time.Duration // one webhook delivery attempt; default DefaultAttemptTimeout
	RetryFor        time.Duration // how long a failing delivery is retried; default DefaultRetryFor
	RetryBackoff    time.Duration // first retry delay, doubling up to 10 s; default DefaultRetryBackoff
	ShutdownTimeout time.Duration // for in-flight requests when Serve shuts down; default DefaultShutdownTimeout

	WebhookClient *http.Client // posts the webhooks; nil: a client of its own
	Logger        *slog.Logger // nil discards the logs
}

// withDefaults returns a copy of c with the defaults filled in.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	c.RateLimits = fill(c.RateLimits, groups, func(Group) int { return DefaultRateLimit })
	c.ServerErrors = fill(c.ServerErrors, groups, func(Group) float64 { return 0 })
	c.Lose = fill(c.Lose, groups, func(Group) float64 { return 0 })
	c.Latencies = fill(c.Latencies, steps, func(s Step) Latency { return DefaultLatencies[s] })
	c.Rejections = fill(c.Rejections, rejections, func(Rejection) float64 { return 0 })
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.ReorderDelay, DefaultReorderDelay}, {&c.AttemptTimeout, DefaultAttemptTimeout},
		{&c.RetryFor, DefaultRetryFor}, {&c.RetryBackoff, DefaultRetryBackoff},
		{&c.ShutdownTimeout, DefaultShutdownTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	return c
}

// fill returns a copy of m with every key present, missing ones set by def.
func fill[K comparable, V any](m map[K]V, keys []K, def func(K) V) map[K]V {
	out := make(map[K]V, len(keys))
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			v = def(k)
		}
		out[k] = v
	}
	return out
}

// Validate checks c with its defaults filled in, as [New] does, and returns
// an error joining every problem.
func (c Config) Validate() error { return c.withDefaults().validate() }

// validate checks a config with defaults filled in, collecting every problem.
func (c Config) validate() error {
	var errs []error
	if u, err := url.Parse(c.WebhookURL); c.WebhookURL == "" {
		errs = append(errs, errors.New("webhook URL is required (--webhook-url)"))
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("webhook URL %q is not an absolute http(s) URL", c.WebhookURL))
	}
	if len(c.Secret) == 0 {
		errs = append(errs, errors.New("webhook secret is required (--secret or CARRIERSIM_SECRET)"))
	}
	for _, g := range groups {
		if c.RateLimits[g] < 0 {
			errs = append(errs, fmt.Errorf("rate limit of %s is negative", g))
		}
		errs = append(errs, probability("injected error rate of "+string(g), c.ServerErrors[g]),
			probability("lost request rate of "+string(g), c.Lose[g]))
	}
	for _, s := range steps {
		if l := c.Latencies[s]; l.Min < 0 || l.Max < l.Min {
			errs = append(errs, fmt.Errorf("latency of %s is %s: want 0 <= min <= max", s, l))
		}
	}
	for _, r := range rejections {
		errs = append(errs, probability("rejection rate "+string(r), c.Rejections[r]))
	}
	errs = append(errs, probability("drop rate", c.Drop), probability("duplicate rate", c.Duplicate),
		probability("reorder rate", c.Reorder))
	for name, d := range map[string]time.Duration{"reorder delay": c.ReorderDelay, "attempt timeout": c.AttemptTimeout,
		"retry window": c.RetryFor, "retry backoff": c.RetryBackoff, "shutdown timeout": c.ShutdownTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s is negative", name, d))
		}
	}
	return errors.Join(errs...)
}

func probability(name string, p float64) error {
	if p < 0 || p > 1 {
		return fmt.Errorf("%s %g is not a probability in [0, 1]", name, p)
	}
	return nil
}
