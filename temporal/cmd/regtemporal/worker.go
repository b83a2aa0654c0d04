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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/worker"

	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/gc"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "worker", summary: "run the workflows and the downstream calls",
	usage: `regtemporal worker [flags]

Runs the brand, campaign and number workflows (task queue "registrations")
and the calls to each downstream (task queue "downstream-<name>", whose
--rate is the task queue's activities per second, shared by every worker).
The recovery flags are regd's, with the same defaults: the production
policy's per-state thresholds, 3 re-drives, 10 checks. Serves /metrics (the
SDK's metrics, temporal_*) and /healthz on --http.

--flow is the flow of the campaigns this worker starts (v1, or v2 with the
registry's review of the opt-in evidence). A campaign keeps the flow it
started on: a v2 worker runs v1 campaigns on v1; a v1 worker that meets a v2
campaign fails its workflow task, which the server hands to another worker
(counted in temporal_workflow_task_execution_failed).

It also runs the evidence reviews a legacy replica delegates (workflow
DelegatedEvidence, started by regtemporal bridge), whose last activity sends
the result to the legacy events queue: --events-queue-url, or the events
queue of --prefix. A worker without either runs them but cannot report
(the activity is retried until a worker that has them runs it). --faults
duplicates or delays those sends, as regd's --faults does its own.`,
	setup: workerCommand})

// workerConfig is what the worker flags say.
type workerConfig struct {
	conn          conn
	downstreamURL string
	httpAddr      string
	rates         map[string]float64
	settings      flow.Settings
	flow          statemachine.Flow
	logLevel      slog.Level
	events        eventsQueue
	faults        fault.Config // injected into the sends of results
}

// workerFlags are the worker's flags as given, before check reads them.
type workerFlags struct {
	conn                    conn
	downstreamURL, httpAddr string
	rates, recovery, level  string
	flow                    string
	stuckAfter              time.Duration
	maxRedrives, maxChecks  int
	timeScale, retryScale   float64
	events                  eventsQueue
	faults                  sendFaults
}

func workerCommand(fs *flag.FlagSet, m *Main) runFunc {
	f := &workerFlags{}
	f.conn.flags(fs)
	fs.StringVar(&f.downstreamURL, "downstream-url", envOr("TENDLC_DOWNSTREAM_URL", ""), "registry and carrier API base `URL` (env TENDLC_DOWNSTREAM_URL); required")
	fs.StringVar(&f.httpAddr, "http", "127.0.0.1:9200", "`address` of /metrics and /healthz; empty for none")
	fs.StringVar(&f.rates, "rate", envOr("TENDLC_RATES", ""), "requests per second per downstream, shared by every worker: `registry=2,att=1,...` or all=N (default 1 each)")
	fs.StringVar(&f.recovery, "recovery", envOr("TENDLC_RECOVERY", ""), "recovery policy `file`, as regd's; default: the production policy")
	fs.DurationVar(&f.stuckAfter, "stuck-after", 0, "one threshold `D` for every waiting state, replacing the policy's per-state thresholds")
	fs.IntVar(&f.maxRedrives, "max-redrives", 0, "look-ups that find nothing and re-send before a record fails with 30901 (default: the policy's, 3)")
	fs.IntVar(&f.maxChecks, "max-checks", 0, "look-ups that find the downstream still deciding before a record fails with 30901 (default: the policy's, 10)")
	fs.Float64Var(&f.timeScale, "time-scale", 1, "multiply every threshold and retry delay by `F`, for runs that model days")
	fs.Float64Var(&f.retryScale, "retry-scale", 1, "multiply every retry delay by `F`, for time-compressed runs")
	fs.StringVar(&f.flow, "flow", "v1", "`flow` of the campaigns this worker starts: v1, or v2 (the opt-in evidence review)")
	fs.StringVar(&f.level, "log-level", "info", "debug, info, warn or error")
	f.events.flags(fs, "")
	f.faults.flags(fs)
	return func(ctx context.Context, args []string) error {
		c, err := f.check(args)
		if err != nil {
			return err
		}
		gc.SetDefault(os.LookupEnv) // as regd collects: the comparison's workers run alike
		return runWorker(ctx, c, m)
	}
}

// check returns the worker's configuration, or a usage error listing every
// problem with the flags.
func (f *workerFlags) check(args []string) (workerConfig, error) {
	c := workerConfig{conn: f.conn, downstreamURL: f.downstreamURL, httpAddr: f.httpAddr, events: f.events}
	var errs []error
	if len(args) > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %s", strings.Join(args, " ")))
	}
	if c.downstreamURL == "" {
		errs = append(errs, errors.New("--downstream-url is required"))
	}
	var err error
	if c.rates, err = tcr.ParseRates(f.rates); err != nil {
		errs = append(errs, fmt.Errorf("--rate %w", err))
	}
	if f.timeScale <= 0 || f.retryScale <= 0 || f.stuckAfter < 0 || f.maxRedrives < 0 || f.maxChecks < 0 {
		errs = append(errs, errors.New("--time-scale and --retry-scale must be positive; --stuck-after, --max-redrives and --max-checks not negative"))
	}
	policy, err := sweeper.ResolvePolicy(f.recovery, f.stuckAfter, f.maxRedrives, f.maxChecks)
	if err != nil {
		errs = append(errs, fmt.Errorf("--recovery: %w", err))
	}
	if c.flow, err = statemachine.ParseFlow(f.flow); err != nil {
		errs = append(errs, fmt.Errorf("--flow: %w", err))
	}
	if err := c.logLevel.UnmarshalText([]byte(f.level)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	if c.faults, err = f.faults.check(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return c, usageErrorf("%v", err)
	}
	// The baseline sweeps hourly in production: a look-up that reached no
	// downstream is made again an hour later, scaled like the rest.
	c.settings = flow.NewSettings(policy.Scaled(f.timeScale), f.retryScale*f.timeScale, time.Duration(float64(time.Hour)*f.timeScale))
	return c, nil
}

func runWorker(ctx context.Context, c workerConfig, m *Main) error {
	logger := slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{Level: c.logLevel}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, closer := sdkMetrics(reg)
	defer closer.Close()
	cl, err := c.conn.dial(ctx, logger, func(o *client.Options) { o.MetricsHandler = metrics })
	if err != nil {
		return err
	}
	defer cl.Close()
	downstream, err := tcr.NewClient(tcr.ClientConfig{BaseURL: c.downstreamURL})
	if err != nil {
		return err
	}
	acts := &flow.Activities{Downstream: downstream, Temporal: cl, Settings: c.settings}
	if c.events.set() {
		api, err := c.events.sqs(ctx)
		if err != nil {
			return err
		}
		if api, err = withSendFaults(api, c.faults, reg); err != nil {
			return err
		}
		if acts.Events, err = c.events.producer(ctx, api); err != nil {
			return err
		}
	}
	workers := newWorkers(cl, flow.Workflows{Flow: c.flow}, acts, c.rates)
	for _, w := range workers {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		defer w.Stop()
	}
	logger.Info("worker started", "address", c.conn.address, "namespace", c.conn.namespace, "flow", c.flow.String(), "rates", c.rates)
	return serveMetrics(ctx, c.httpAddr, reg, logger)
}

// sdkMetrics returns the SDK's metrics handler, which reports every second
// to reg, and what stops it.
func sdkMetrics(reg prometheus.Registerer) (client.MetricsHandler, io.Closer) {
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  tallyprom.NewReporter(tallyprom.Options{Registerer: reg, DefaultTimerType: tallyprom.HistogramTimerType}),
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(scope), closer
}

// newWorkers returns the worker of the workflows wfs and one worker per
// downstream, whose task queue's rate is the downstream's limit (1 per
// second when rates does not name it, as regd's).
func newWorkers(c client.Client, wfs flow.Workflows, acts *flow.Activities, rates map[string]float64) []worker.Worker {
	wf := worker.New(c, flow.TaskQueue, worker.Options{})
	wfs.Register(wf)
	wf.RegisterActivity(acts.BrandOutcome)
	wf.RegisterActivity(acts.ReadSettings)
	wf.RegisterActivity(acts.ReportResult)
	ws := []worker.Worker{wf}
	for _, d := range tcr.Downstreams {
		rate, ok := rates[string(d)]
		if !ok {
			rate = 1
		}
		w := worker.New(c, flow.ActivityQueue(d), worker.Options{TaskQueueActivitiesPerSecond: rate})
		w.RegisterActivity(acts.Call)
		w.RegisterActivity(acts.Lookup)
		ws = append(ws, w)
	}
	return ws
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends; with an
// empty addr it only waits for ctx.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, logger *slog.Logger) error {
	if addr == "" {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serve(ctx, l, mux, logger)
}
