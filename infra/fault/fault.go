// Package fault injects, into the AWS SDK clients, what the local emulators
// never do and real AWS does: duplicate and reordered deliveries, sends that
// never arrive, stale reads, throttling and server errors. It is SDK
// middleware, off unless configured, so the code under test runs unchanged.
//
// Throttling and server errors are injected above the SDK's own retries: they
// model the errors that survive them and reach the application.
package fault

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says how often each fault happens; zero is never.
type Config struct {
	Seed uint64
	// DuplicateSend: an SQS send is delivered twice.
	DuplicateSend float64
	// DelaySend: an SQS send gets up to MaxExtraDelay extra DelaySeconds, so later
	// messages overtake it.
	DelaySend     float64
	MaxExtraDelay time.Duration // default 5 s; SQS caps it at 15 minutes
	// FailSend: an SQS send fails before it reaches SQS, as when a process
	// dies between its database write and its sends.
	FailSend float64
	// DuplicateReceive: a received message is handed out twice.
	DuplicateReceive float64
	// Throttle and ServerError: any call answers ThrottlingException or HTTP 500.
	Throttle    float64
	ServerError float64
	// StaleRead: a DynamoDB GetItem answers with the item as it was before its
	// last change, as an eventually consistent read may.
	StaleRead float64
}

// Enabled reports whether any fault is configured.
func (c Config) Enabled() bool {
	return c.DuplicateSend+c.DelaySend+c.FailSend+c.DuplicateReceive+c.Throttle+c.ServerError+c.StaleRead > 0
}

// Fault names, as Parse reads them and Counts reports them.
const (
	DuplicatedSends    = "dup-send"
	DelayedSends       = "delay-send"
	FailedSends        = "fail-send"
	DuplicatedReceives = "dup-receive"
	Throttles          = "throttle"
	ServerErrors       = "5xx"
	StaleReads         = "stale-read"
)

// Parse reads "dup-send=0.05,delay-send=0.1,max-delay=5s,fail-send=0.02,
// dup-receive=0.05,throttle=0.01,5xx=0.01,stale-read=0.05,seed=7".
// An empty string is no fault.
func Parse(s string) (Config, error) {
	var c Config
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	probs := c.probabilities()
	var errs []error
	for part := range strings.SplitSeq(s, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch p, ok := probs[name]; {
		case ok:
			f, err := strconv.ParseFloat(val, 64)
			if err != nil || f < 0 || f > 1 {
				errs = append(errs, fmt.Errorf("%s=%q: want a probability from 0 to 1", name, val))
			}
			*p = f
		case name == "max-delay":
			d, err := time.ParseDuration(val)
			if err != nil || d < time.Second || d > 15*time.Minute {
				errs = append(errs, fmt.Errorf("max-delay=%q: want a duration from 1s to 15m (SQS delays are whole seconds)", val))
			}
			c.MaxExtraDelay = d
		case name == "seed":
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("seed=%q: want a number", val))
			}
			c.Seed = n
		default:
			errs = append(errs, fmt.Errorf("unknown fault %q (want %s, max-delay or seed)", name, strings.Join(slices.Sorted(maps.Keys(probs)), ", ")))
		}
	}
	return c, errors.Join(errs...)
}

// probabilities returns c's probabilities by fault name.
func (c *Config) probabilities() map[string]*float64 {
	return map[string]*float64{DuplicatedSends: &c.DuplicateSend, DelayedSends: &c.DelaySend,
		FailedSends: &c.FailSend, DuplicatedReceives: &c.DuplicateReceive, Throttles: &c.Throttle,
		ServerErrors: &c.ServerError, StaleReads: &c.StaleRead}
}

// Only returns an error naming every fault c configures that is not among
// names: for a process whose clients take only some of them.
func (c Config) Only(names ...string) error {
	probs := c.probabilities()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(probs)) {
		if *probs[name] > 0 && !slices.Contains(names, name) {
			errs = append(errs, fmt.Errorf("fault %q is not injected here (want %s, max-delay or seed)", name, strings.Join(names, ", ")))
		}
	}
	return errors.Join(errs...)
}

// Injector draws the faults of one Config and counts what it injected. It is
// safe for concurrent use.
type Injector struct {
	cfg    Config
	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int64
	items  map[string]versions // DynamoDB items seen, by table and key
}

// New returns an injector for cfg.
func New(cfg Config) *Injector {
	if cfg.MaxExtraDelay == 0 {
		cfg.MaxExtraDelay = 5 * time.Second
	}
	return &Injector{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		counts: map[string]int64{}, items: map[string]versions{}}
}

// hit draws whether a fault of probability p happens, and counts it.
func (i *Injector) hit(name string, p float64) bool {
	if p <= 0 {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.rng.Float64() >= p {
		return false
	}
	i.counts[name]++
	return true
}

// delay draws an extra delay in whole seconds, at most MaxExtraDelay.
func (i *Injector) delay() int32 {
	i.mu.Lock()
	defer i.mu.Unlock()
	return int32(i.rng.Int64N(int64(i.cfg.MaxExtraDelay/time.Second)) + 1)
}

// Counts returns how many faults of each kind were injected.
func (i *Injector) Counts() map[string]int64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	return maps.Clone(i.counts)
}

// Injected is the error of a fault that never reached the service.
type Injected struct{ What string }

func (e *Injected) Error() string { return "fault injected: " + e.What }
