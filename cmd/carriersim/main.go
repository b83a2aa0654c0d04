// Command carriersim simulates the downstreams of tendlc on one HTTP port: The
// Campaign Registry, AT&T, T-Mobile, Verizon and number registration. It
// answers the registration calls (with rate limits, injected 503s and
// rejections), posts signed webhooks back after configurable delays (with
// drops, duplicates and reordering), recognises repeated requests, and counts
// everything at GET /counters. Every random draw comes from --seed.
//
// Status look-ups tell what a downstream decided, webhooks lost or not:
// GET /registry/brands/{id}, GET /registry/campaigns/{id} (the reviewer's
// verdict included), GET /carriers/{att|tmobile|verizon}/campaigns/{id} and
// GET /numbers/{id} answer 200 {"events":[...]} with the webhook events due so
// far, oldest first, under the event ids their webhooks carry (an event id is
// derived from the request, not drawn), or 404 {"message":"..."} when no
// request for the record reached that downstream. They share their group's
// rate limit and injected errors and are counted under their own pattern.
//
// Faults: --errors answers 503 at a rate per group; --lose answers an accepted
// POST or DELETE as usual and then forgets it, at a rate per group (no
// webhooks, look-ups 404, a later request for the record decided anew);
// --drop, --duplicate and --reorder act on webhooks; POST /admin/faults drops
// chosen webhooks.
//
// GET /counters counts per group and per endpoint pattern (such as
// "POST /registry/brands/{id}"): requests, rate_limited (answered 429),
// server_errors (injected 503), repeated (same key or same request: the first
// answer replayed), resubmitted (the same record again under another key or
// body, decided anew and kept) and lost (forgotten by --lose, a resubmission
// or not); per group also max_accepted_per_second and
// max_received_per_second. A caller that reconciles before it re-sends
// resubmits only what was lost, so in a run without the domain's own
// resubmissions (a rejected campaign edited and sent again) resubmitted <=
// lost. Webhooks are counted in all and per event type: emitted, dropped,
// dropped_by_fault, duplicated, reordered, replayed, sent, retried, failed.
//
// GET /journal is the record of everything the simulator did, kept for the
// life of the process, for a checker to verify a run against:
//
//	{"requests": [{"at", "endpoint", "group", "record_id", "key", "outcome", "status", "code"}, ...],
//	 "webhooks": [{"at", "event", "delivery", "status"}, ...],
//	 "rates": {"registry": 2, "att": 2, ...}}
//
// requests holds every request to a downstream endpoint (state-changing or
// look-up) in arrival order; at is the time the rate limit counted, endpoint
// the pattern the counters use, key the Idempotency-Key (empty for none),
// status the HTTP status answered and code the CPaaS reason code of a refusal
// (0 otherwise). Each request has one outcome: decided (new to the endpoint),
// resubmitted, repeated, lost, rate_limited, server_error, malformed (400 or
// 413 before deciding), and for a look-up found or not_found; a refusal
// (invalid EIN, high risk) is decided or resubmitted, with status 400 and its
// code. A request still being answered is left out. webhooks holds every
// delivery attempt in the order they ended, and every drop: event is the
// tcr.WebhookEvent as sent; delivery is delivered (the event accepted),
// duplicate (the extra copy of a duplicated event accepted), failed (an
// attempt answered non-2xx, with that status, or not at all, status 0) or
// dropped (the drop rate or /admin/faults; status 0). rates is the configured
// rate limit per group (0 = unlimited). Once the simulator is idle the journal
// agrees with /counters: per endpoint, its entries are requests and its
// rate_limited, server_error, repeated, resubmitted and lost entries the
// counters of those names; its dropped entries are webhooks.dropped,
// delivered plus duplicate sent, and failed retried plus failed.
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
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
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
	m := &Main{Config: cfg, Logger: log}
	if err := m.Run(ctx); err != nil {
		log.Error("carriersim failed", "error", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line, and the secret from CARRIERSIM_SECRET
// when --secret is not given.
func parseFlags(args []string, getenv func(string) string, output io.Writer) (Config, slog.Level, error) {
	fs := flag.NewFlagSet("carriersim", flag.ContinueOnError)
	fs.SetOutput(output)
	var (
		cfg                                                Config
		secret, rates, errorRates, lose, latencies, reject string
		level                                              slog.Level
	)
	fs.StringVar(&cfg.Addr, "addr", DefaultAddr, "listen address")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", "", "URL the webhooks are posted to (required)")
	fs.StringVar(&secret, "secret", "", "webhook signing secret (default $CARRIERSIM_SECRET)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of every random draw")
	fs.StringVar(&rates, "rate", "", fmt.Sprintf("accepted requests per second per group, e.g. registry=2,att=5 or all=10; 0 = unlimited (groups %v; default %d)", groups, DefaultRateLimit))
	fs.StringVar(&errorRates, "errors", "", "probability of an injected 503 per group, e.g. registry=0.01,all=0.05")
	fs.StringVar(&lose, "lose", "", "probability per group that an accepted POST or DELETE is answered as usual and then forgotten: no webhooks, look-ups 404 (counted lost), e.g. registry=0.02,all=0.01")
	fs.StringVar(&latencies, "latency", "", fmt.Sprintf("webhook delay per step, min-max or fixed, e.g. registry=200ms-1s,carrier=500ms-2s (steps %v; carrier = att, tmobile, verizon; all = every step)", steps))
	fs.StringVar(&reject, "reject", "", fmt.Sprintf("rejection probability per place, e.g. reviewer=0.1,carrier=0.05 (places %v)", rejections))
	fs.Float64Var(&cfg.Drop, "drop", 0, "probability that a webhook is never sent")
	fs.Float64Var(&cfg.Duplicate, "duplicate", 0, "probability that a webhook is sent twice")
	fs.Float64Var(&cfg.Reorder, "reorder", 0, "probability that a webhook is held back so later ones overtake it")
	fs.DurationVar(&cfg.ReorderDelay, "reorder-delay", DefaultReorderDelay, "most a reordered webhook is held back")
	fs.DurationVar(&cfg.AttemptTimeout, "attempt-timeout", DefaultAttemptTimeout, "timeout of one webhook delivery attempt")
	fs.DurationVar(&cfg.RetryFor, "retry-for", DefaultRetryFor, "how long a failing webhook delivery is retried")
	fs.DurationVar(&cfg.RetryBackoff, "retry-backoff", DefaultRetryBackoff, "first delay between delivery attempts, doubling up to 10s")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "how long in-flight requests may take at shutdown")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return Config{}, 0, err
	}
	if fs.NArg() > 0 {
		return Config{}, 0, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if secret == "" {
		secret = getenv("CARRIERSIM_SECRET")
	}
	cfg.Secret = []byte(secret)
	var errs []error
	var err error
	if cfg.RateLimits, err = parseSpec(rates, groups, groupAliases, parseRate); err != nil {
		errs = append(errs, fmt.Errorf("--rate: %w", err))
	}
	if cfg.ServerErrors, err = parseSpec(errorRates, groups, groupAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--errors: %w", err))
	}
	if cfg.Lose, err = parseSpec(lose, groups, groupAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--lose: %w", err))
	}
	if cfg.Latencies, err = parseSpec(latencies, steps, stepAliases, parseLatency); err != nil {
		errs = append(errs, fmt.Errorf("--latency: %w", err))
	}
	if cfg.Rejections, err = parseSpec(reject, rejections, rejectionAliases, parseFloat); err != nil {
		errs = append(errs, fmt.Errorf("--reject: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, 0, err
	}
	if err := cfg.withDefaults().validate(); err != nil {
		return Config{}, 0, err
	}
	return cfg, level, nil
}

// Main runs the simulator. Tests set Listener and WebhookClient to drive the
// real wiring over an in-memory network.
type Main struct {
	Config        Config
	Logger        *slog.Logger // nil: discard logs
	Listener      net.Listener // nil: listen on Config.Addr
	WebhookClient *http.Client // nil: a client of its own
}

// Run serves until ctx is canceled, then shuts down: in-flight requests get
// Config.ShutdownTimeout, webhooks not yet sent are abandoned. It returns the
// configuration, listen and serve errors.
func (m *Main) Run(ctx context.Context) error {
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s, err := newSim(m.Config, m.WebhookClient, log)
	if err != nil {
		return err
	}
	defer s.close()
	l := m.Listener
	if l == nil {
		if l, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	log.Info("carriersim listening", "addr", l.Addr().String(), "webhook_url", s.cfg.WebhookURL, "seed", s.cfg.Seed)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-served // http.ErrServerClosed
	log.Info("carriersim stopped")
	return nil
}
