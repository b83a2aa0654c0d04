package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// Config is everything regd reads from flags and the environment.
type Config struct {
	Prefix              string            // resource name prefix (TENDLC_PREFIX)
	Flow                statemachine.Flow // the flow new registrations start on; records keep theirs
	Concurrency         int               // events handlers in flight
	OutboundConcurrency int               // calls in flight per downstream queue
	DownstreamURL       string            // registry/carrier API base URL; "" leaves the outbound queues alone
	// Delegate are the steps this replica hands to a Temporal workflow: their
	// commands go to the bridge's queue (statemachine.ToTemporal).
	Delegate []statemachine.Step
	// BridgeURL is the bridge's base URL (regtemporal bridge), which answers
	// the sweeper's look-ups of delegated steps; required with Delegate.
	BridgeURL string
	// NoNotes writes the answers that leave a campaign in its state with a
	// new version, not as notes (statemachine.Note): for the first step of an
	// upgrade from a release without them (-notes=false).
	NoNotes       bool
	Rates         map[string]float64 // requests per second per downstream, shared by all replicas
	HTTPAddr      string             // /healthz, /readyz and /metrics; "" for none
	Pprof         bool               // also net/http/pprof's /debug/pprof/ on HTTPAddr
	Sweep         bool               // run the sweeper on its schedule
	SweepSchedule string
	SweepMode     sweeper.Mode
	// Recovery is the sweeper's policy: the file of -recovery (or the
	// production defaults), then -stuck-after, -max-redrives and -max-checks,
	// then scaled by -time-scale.
	Recovery       sweeper.Policy
	CensusInterval time.Duration // records per kind and state, counted by one replica; 0 for none
	LogLevel       slog.Level
	Faults         fault.Config // injected into the SDK clients; off unless set
	RetryScale     float64      // multiplies every retry and deferral delay (time compression)
	TimeScale      float64      // multiplies every recovery duration and retry delay alike
}

// ParseConfig reads flags from args, with defaults from getenv. It returns
// flag.ErrHelp after printing the usage for -h, and an error naming every
// invalid setting otherwise.
func ParseConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var (
		c        Config
		rates    string
		mode     string
		logLevel string
		faults   string
		recovery string
		stuck    time.Duration
		maxRe    int
		maxCheck int
		flow     string
		notes    bool
	)
	fs := flag.NewFlagSet("regd", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&c.Prefix, "prefix", env("TENDLC_PREFIX", "tendlc-"), "resource name `prefix` (env TENDLC_PREFIX)")
	fs.BoolVar(&notes, "notes", true, "write a carrier's review or approval and a number's settlement that leave the campaign in its state as notes, without a new version, so that two replicas' answers to one campaign do not conflict; -notes=false while replicas of a release without notes still run (they would write the carriers and numbers over the notes)")
	fs.StringVar(&flow, "flow", statemachine.FlowV1.String(), "the `flow` registrations started here run on: v1, or v2 (the registry reviews a campaign's opt-in evidence before the carriers); a record keeps the flow it started on, and a replica defers what a newer flow than its own must decide")
	fs.IntVar(&c.Concurrency, "concurrency", 16, "events handlers in flight")
	fs.IntVar(&c.OutboundConcurrency, "outbound-concurrency", 16, "downstream calls in flight per outbound queue (the shared rate limit decides the pace)")
	fs.StringVar(&c.DownstreamURL, "downstream-url", env("TENDLC_DOWNSTREAM_URL", ""), "registry and carrier API base `URL` (env TENDLC_DOWNSTREAM_URL); empty: do not drain the outbound queues")
	fs.Var((*stepList)(&c.Delegate), "delegate", "hand `step` to a Temporal workflow: its command goes to the bridge's queue (temporal) instead of the downstream's; only evidence (flow v2's evidence review) is known; repeatable or a comma list; needs -bridge-url")
	fs.StringVar(&c.BridgeURL, "bridge-url", env("TENDLC_BRIDGE_URL", ""), "the bridge's base `URL` (regtemporal bridge), whose status endpoint the sweeper asks about delegated steps (env TENDLC_BRIDGE_URL); required with -delegate, and wanted on every sweeping replica of a deployment where any replica delegates")
	fs.StringVar(&rates, "rate", env("TENDLC_RATES", ""), "requests per second per downstream, shared by every replica: `registry=2,att=1,...` or all=N (default 1 each)")
	fs.StringVar(&c.HTTPAddr, "http", env("TENDLC_HTTP_ADDR", "127.0.0.1:9100"), "`address` of /healthz, /readyz and /metrics; empty for none")
	fs.BoolVar(&c.Pprof, "pprof", false, "also serve Go's profiles (net/http/pprof) under /debug/pprof/ on the -http address, which must then stay private")
	fs.BoolVar(&c.Sweep, "sweep", true, "run the sweeper (one replica at a time holds its lease)")
	fs.StringVar(&c.SweepSchedule, "sweep-schedule", sweeper.DefaultSchedule, "cron `spec` of the sweeper, in UTC")
	fs.StringVar(&mode, "sweep-mode", string(sweeper.ModeIndex), "how the sweeper finds stuck records: index or scan")
	fs.StringVar(&recovery, "recovery", env("TENDLC_RECOVERY", ""), "recovery policy `file` (JSON: per-state thresholds, max_redrives, max_checks; env TENDLC_RECOVERY); default: the production policy")
	fs.DurationVar(&stuck, "stuck-after", 0, "one threshold `D` for every watched state, replacing the policy's per-state thresholds")
	fs.IntVar(&maxRe, "max-redrives", 0, "re-drives that re-send or find nothing to do before a record fails with 30901 (default: the policy's, 3)")
	fs.IntVar(&maxCheck, "max-checks", 0, "re-drives that find the downstream still deciding before a record fails with 30901 (default: the policy's, 10)")
	fs.Float64Var(&c.TimeScale, "time-scale", 1, "multiply every recovery threshold and every retry and deferral delay by `F`, for runs that model days (10/86400: a day lasts 10 s)")
	fs.DurationVar(&c.CensusInterval, "census-interval", metrics.DefaultCensusInterval,
		"time between counts of the records per kind and state, by the replica holding the census lease; each scans the whole table (read units: about an eighth of the table size in KB); 0 for none")
	fs.StringVar(&faults, "faults", env("TENDLC_FAULTS", ""), "inject `faults` into the AWS clients, for benchmarks: dup-send=P,delay-send=P,max-delay=D,fail-send=P,dup-receive=P,throttle=P,5xx=P,stale-read=P,seed=N (env TENDLC_FAULTS)")
	fs.Float64Var(&c.RetryScale, "retry-scale", 1, "multiply every retry and deferral delay by this factor, for time-compressed runs (SQS rounds delays up to whole seconds)")
	fs.StringVar(&logLevel, "log-level", env("TENDLC_LOG_LEVEL", "info"), "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if c.Concurrency < 1 || c.OutboundConcurrency < 1 {
		errs = append(errs, errors.New("-concurrency and -outbound-concurrency must be at least 1"))
	}
	if len(c.Delegate) > 0 && c.BridgeURL == "" {
		errs = append(errs, errors.New("-delegate needs -bridge-url: the sweeper asks the bridge about delegated steps"))
	}
	var err error
	c.NoNotes = !notes
	if c.Flow, err = statemachine.ParseFlow(flow); err != nil {
		errs = append(errs, fmt.Errorf("-flow: %w", err))
	}
	if c.Rates, err = tcr.ParseRates(rates); err != nil {
		errs = append(errs, fmt.Errorf("-rate %w", err))
	}
	if c.SweepMode, err = sweeper.ParseMode(mode); err != nil {
		errs = append(errs, err)
	}
	if c.RetryScale <= 0 {
		errs = append(errs, errors.New("-retry-scale must be positive"))
	}
	if stuck < 0 || maxRe < 0 || maxCheck < 0 {
		errs = append(errs, errors.New("-stuck-after, -max-redrives and -max-checks must not be negative"))
	}
	if c.TimeScale <= 0 {
		errs = append(errs, errors.New("-time-scale must be positive"))
	}
	if c.Recovery, err = sweeper.ResolvePolicy(recovery, stuck, maxRe, maxCheck); err != nil {
		errs = append(errs, fmt.Errorf("-recovery: %w", err))
	} else if c.TimeScale > 0 {
		c.Recovery = c.Recovery.Scaled(c.TimeScale)
	}
	if c.CensusInterval < 0 {
		errs = append(errs, errors.New("-census-interval must not be negative"))
	}
	if c.Faults, err = fault.Parse(faults); err != nil {
		errs = append(errs, fmt.Errorf("-faults: %w", err))
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("-log-level: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		fs.Usage()
		return Config{}, err
	}
	return c, nil
}

// stepList is the value of -delegate: steps added by each use of the flag,
// each a comma list.
type stepList []statemachine.Step

func (l *stepList) String() string {
	if l == nil {
		return ""
	}
	var names []string
	for _, s := range *l {
		names = append(names, string(s))
	}
	return strings.Join(names, ",")
}

func (l *stepList) Set(v string) error {
	steps, err := statemachine.ParseSteps(v)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	return nil
}
