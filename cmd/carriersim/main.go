// Command carriersim runs the simulator of tendlc's downstreams (package
// infra/tcr/tcrsim: The Campaign Registry, AT&T, T-Mobile, Verizon and number
// registration) as a process on one HTTP port. Its flags set the
// simulator's tcrsim.Config: rate limits, injected 503s, lost requests,
// rejections, webhook delays, drops, duplicates and reordering; every random
// draw comes from --seed. The endpoints, GET /counters, GET /journal and
// POST /admin/faults are the package's; carriersim -h lists the flags.
//
//	carriersim --webhook-url http://127.0.0.1:9300/webhooks/registry --secret s3cret \
//	    --latency registry=200ms-1s,carrier=500ms-2s --reject reviewer=0.1,att=0.05 --drop 0.01 \
//	    --lose all=0.01
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, level, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "carriersim:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log
	m := &Main{Config: cfg}
	if err := m.Run(ctx); err != nil {
		log.Error("carriersim failed", "error", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line, and the secret from CARRIERSIM_SECRET
// when --secret is not given.
func parseFlags(args []string, getenv func(string) string, output io.Writer) (tcrsim.Config, slog.Level, error) {
	fs := flag.NewFlagSet("carriersim", flag.ContinueOnError)
	fs.SetOutput(output)
	var (
		cfg                                                tcrsim.Config
		secret, rates, errorRates, lose, latencies, reject string
		level                                              slog.Level
	)
	fs.StringVar(&cfg.Addr, "addr", tcrsim.DefaultAddr, "listen address")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", "", "URL the webhooks are posted to (required)")
	fs.StringVar(&secret, "secret", "", "webhook signing secret (default $CARRIERSIM_SECRET)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of every random draw")
	fs.StringVar(&rates, "rate", "", fmt.Sprintf("accepted requests per second per group, e.g. registry=2,att=5 or all=10; 0 = unlimited (groups %v; default %d)", tcrsim.Groups(), tcrsim.DefaultRateLimit))
	fs.StringVar(&errorRates, "errors", "", "probability of an injected 503 per group, e.g. registry=0.01,all=0.05")
	fs.StringVar(&lose, "lose", "", "probability per group that an accepted POST or DELETE is answered as usual and then forgotten: no webhooks, look-ups 404 (counted lost), e.g. registry=0.02,all=0.01")
	fs.StringVar(&latencies, "latency", "", fmt.Sprintf("webhook delay per step, min-max or fixed, e.g. registry=200ms-1s,carrier=500ms-2s (steps %v; carrier = att, tmobile, verizon; all = every step)", tcrsim.Steps()))
	fs.StringVar(&reject, "reject", "", fmt.Sprintf("rejection probability per place, e.g. reviewer=0.1,carrier=0.05 (places %v)", tcrsim.Rejections()))
	fs.Float64Var(&cfg.Drop, "drop", 0, "probability that a webhook is never sent")
	fs.Float64Var(&cfg.Duplicate, "duplicate", 0, "probability that a webhook is sent twice")
	fs.Float64Var(&cfg.Reorder, "reorder", 0, "probability that a webhook is held back so later ones overtake it")
	fs.DurationVar(&cfg.ReorderDelay, "reorder-delay", tcrsim.DefaultReorderDelay, "most a reordered webhook is held back")
	fs.DurationVar(&cfg.AttemptTimeout, "attempt-timeout", tcrsim.DefaultAttemptTimeout, "timeout of one webhook delivery attempt")
	fs.DurationVar(&cfg.RetryFor, "retry-for", tcrsim.DefaultRetryFor, "how long a failing webhook delivery is retried")
	fs.DurationVar(&cfg.RetryBackoff, "retry-backoff", tcrsim.DefaultRetryBackoff, "first delay between delivery attempts, doubling up to 10s")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", tcrsim.DefaultShutdownTimeout, "how long in-flight requests may take at shutdown")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return tcrsim.Config{}, 0, err
	}
	if fs.NArg() > 0 {
		return tcrsim.Config{}, 0, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if secret == "" {
		secret = getenv("CARRIERSIM_SECRET")
	}
	cfg.Secret = []byte(secret)
	var errs []error
	var err error
	if cfg.RateLimits, err = parseSpec(rates, tcrsim.Groups(), groupAliases, parseRate); err != nil {
		errs = append(errs, fmt.Errorf("--rate: %w", err))
	}
	if cfg.ServerErrors, err = parseSpec(errorRates, tcrsim.Groups(), groupAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--errors: %w", err))
	}
	if cfg.Lose, err = parseSpec(lose, tcrsim.Groups(), groupAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--lose: %w", err))
	}
	if cfg.Latencies, err = parseSpec(latencies, tcrsim.Steps(), stepAliases, parseLatency); err != nil {
		errs = append(errs, fmt.Errorf("--latency: %w", err))
	}
	if cfg.Rejections, err = parseSpec(reject, tcrsim.Rejections(), rejectionAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--reject: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return tcrsim.Config{}, 0, err
	}
	if err := cfg.Validate(); err != nil {
		return tcrsim.Config{}, 0, err
	}
	return cfg, level, nil
}

// Main runs the simulator. Tests set Listener and Config.WebhookClient to
// drive the real wiring over an in-memory network.
type Main struct {
	Config   tcrsim.Config
	Listener net.Listener // nil: listen on Config.Addr
}

// Run serves until ctx is canceled, then shuts down (tcrsim.Simulator.Serve).
// It returns the configuration, listen and serve errors.
func (m *Main) Run(ctx context.Context) error {
	s, err := tcrsim.New(m.Config)
	if err != nil {
		return err
	}
	if m.Listener == nil {
		return s.ListenAndServe(ctx)
	}
	return s.Serve(ctx, m.Listener)
}

// parseSpec reads a flag value of the form key=value,key=value into a map.
// Keys must be in known or in aliases, which stand for several keys at once.
// An empty spec gives an empty map.
func parseSpec[K ~string, V any](spec string, known []K, aliases map[string][]K, parse func(string) (V, error)) (map[K]V, error) {
	out := map[K]V{}
	if strings.TrimSpace(spec) == "" {
		return out, nil
	}
	var errs []error
	for item := range strings.SplitSeq(spec, ",") {
		key, raw, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not key=value", item))
			continue
		}
		keys, ok := aliases[key]
		if !ok {
			if !slices.Contains(known, K(key)) {
				errs = append(errs, fmt.Errorf("unknown key %q (want one of %v)", key, known))
				continue
			}
			keys = []K{K(key)}
		}
		v, err := parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		for _, k := range keys {
			out[k] = v
		}
	}
	return out, errors.Join(errs...)
}

// parseLatency reads "200ms-1s" (uniform between) or "500ms" (fixed).
func parseLatency(s string) (tcrsim.Latency, error) {
	lo, hi, ranged := strings.Cut(s, "-")
	minimum, err := time.ParseDuration(lo)
	if err != nil {
		return tcrsim.Latency{}, err
	}
	if !ranged {
		return tcrsim.Latency{Min: minimum, Max: minimum}, nil
	}
	maximum, err := time.ParseDuration(hi)
	if err != nil {
		return tcrsim.Latency{}, err
	}
	return tcrsim.Latency{Min: minimum, Max: maximum}, nil
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// Flag shorthands: "all" for every group or step, "carrier" for the three carriers.
var (
	groupAliases     = map[string][]tcrsim.Group{"all": tcrsim.Groups()}
	stepAliases      = map[string][]tcrsim.Step{"all": tcrsim.Steps(), "carrier": {tcrsim.StepATT, tcrsim.StepTMobile, tcrsim.StepVerizon}}
	rejectionAliases = map[string][]tcrsim.Rejection{"carrier": {tcrsim.RejectATT, tcrsim.RejectTMobile, tcrsim.RejectVerizon}}
)

func parseRate(s string) (int, error) { return strconv.Atoi(s) }
