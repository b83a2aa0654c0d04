package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// Main is regd with its dependencies injected, so that end-to-end tests drive
// the real wiring.
type Main struct {
	Config Config
	Logger *slog.Logger // default: discard
	// SQSOptions and DynamoOptions are passed to the SDK clients: the fault
	// layer of benchmarks and tests plugs in here.
	SQSOptions    []func(*sqs.Options)
	DynamoOptions []func(*dynamodb.Options)
	// RetryPolicies replace retry.DefaultPolicies when set (tests and
	// time-compressed benchmarks).
	RetryPolicies *retry.Policies
	// Listening, when set, is called with the address of the operations
	// endpoints once they listen (tests set Config.HTTPAddr to 127.0.0.1:0).
	Listening func(addr net.Addr)
	// Started, when set, is called once every consumer runs.
	Started func()
}

// Run wires regd and serves until ctx is cancelled, then shuts down in order:
// report not ready, stop receiving, let in-flight handlers finish, stop the
// sweeper and the census, stop the HTTP server. It returns nil after a clean
// shutdown, or what stopped it.
func (m *Main) Run(ctx context.Context) error {
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := m.Config
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	sqsOpts, ddbOpts := slices.Clone(m.SQSOptions), slices.Clone(m.DynamoOptions)
	var faults *fault.Injector
	if cfg.Faults.Enabled() {
		faults = fault.New(cfg.Faults)
		sqsOpts = append(sqsOpts, faults.SQS())
		ddbOpts = append(ddbOpts, faults.DynamoDB())
		log.Warn("fault injection on", "faults", fmt.Sprintf("%+v", cfg.Faults))
		defer func() { log.Info("faults injected", "counts", faults.Counts()) }()
	}
	meter := &dynamo.Meter{}
	reg := prometheus.NewRegistry()
	mcfg := metrics.Config{Registerer: reg, Capacity: meter}
	if faults != nil {
		mcfg.Faults = faults.Counts
	}
	mx, err := metrics.New(mcfg)
	if err != nil {
		return err
	}
	if err := registerRuntime(reg); err != nil {
		return err
	}
	// Every request sent is counted, retries included; a fault the fault layer
	// answers without sending is not.
	sqsOpts = append(sqsOpts, mx.CountSQS())
	ddbOpts = append(ddbOpts, mx.CountDynamoDB())
	sqsc := awsclient.SQS(awsCfg, sqsOpts...)
	ddb := awsclient.DynamoDB(awsCfg, ddbOpts...)
	s := resources.Default(cfg.Prefix)
	urls, err := sqsq.QueueURLs(ctx, sqsc, s)
	if err != nil {
		return awsclient.Explain(fmt.Errorf("find the queues of prefix %q: %w", cfg.Prefix, err))
	}

	store, err := dynamo.New(ddb, dynamo.Config{Table: s.TableName(), Meter: meter})
	if err != nil {
		return err
	}
	dest := map[statemachine.Destination]string{}
	for _, d := range statemachine.Queues() { // the bridge's too: regd sends to it, and drains it not
		dest[d] = urls[string(d)]
	}
	publisher, err := sqsq.NewPublisher(sqsc, dest)
	if err != nil {
		return err
	}
	deadLetters := map[string]string{}
	for _, q := range s.Queues {
		if !q.IsDLQ() {
			deadLetters[urls[q.Logical]] = urls[q.DeadLetter]
		}
	}
	policies := retry.DefaultPolicies().Scaled(cfg.RetryScale * cfg.TimeScale)
	if m.RetryPolicies != nil {
		policies = *m.RetryPolicies
	}
	copier, err := sqsq.NewCopier(sqsc, sqsq.CopierConfig{DeadLetters: deadLetters, Logger: log})
	if err != nil {
		return err
	}
	retrier, err := retry.New(retry.Config{Requeuer: copier, DeadLetterer: copier, Classify: sqsq.ClassifyAWS,
		Policies: policies, Observer: mx, Logger: log})
	if err != nil {
		return err
	}
	chain := middleware(log, retrier)
	dispatcher, err := handlers.NewDispatcher(handlers.DispatcherConfig{Store: store, Sender: publisher, Flow: cfg.Flow,
		Delegate: cfg.Delegate, NoNotes: cfg.NoNotes, Observer: mx, Logger: log})
	if err != nil {
		return err
	}

	type worker struct {
		name string
		run  func(context.Context) error
	}
	var workers []worker
	consume := func(queue string, concurrency int, h message.Handler) error {
		c, err := sqsq.NewConsumer(sqsc, sqsq.ConsumerConfig{QueueURL: urls[queue], Queue: queue,
			Concurrency: concurrency, VisibilityTimeout: resources.DefaultVisibilityTimeout, Observer: mx, Logger: log})
		if err != nil {
			return fmt.Errorf("consumer of %s: %w", queue, err)
		}
		workers = append(workers, worker{"consumer " + queue, func(ctx context.Context) error { return c.Run(ctx, message.Chain(h, chain...)) }})
		return nil
	}
	if err := consume(string(statemachine.ToEvents), cfg.Concurrency, dispatcher.Handle); err != nil {
		return err
	}
	// The sweeper's look-ups share the downstreams' client and rate limits;
	// those of delegated steps ask the bridge, under a limit of its own (the
	// limiter's default, 1 a second).
	var (
		recovery sweeper.Config
		router   tcr.Router
		limiter  *dynamo.Limiter
	)
	if cfg.DownstreamURL != "" || cfg.BridgeURL != "" {
		if router, err = tcr.NewRouter(cfg.DownstreamURL, cfg.BridgeURL); err != nil {
			return err
		}
		if limiter, err = dynamo.NewLimiter(ddb, dynamo.LimiterConfig{Table: s.TableName(), Rates: cfg.Rates, Meter: meter}); err != nil {
			return err
		}
		recovery.Downstream, recovery.Limiter = router, limiter
	}
	// No dispatcher drains a bridge's queue (statemachine.Bridges): the
	// bridge does.
	if router.Downstreams != nil {
		for _, d := range tcr.Downstreams {
			out, err := handlers.NewOutbound(handlers.OutboundConfig{Name: string(d), Downstream: router.Downstreams,
				Limiter: limiter, Events: publisher, Ledger: store, Observer: mx, Logger: log})
			if err != nil {
				return err
			}
			if err := consume(string(d), cfg.OutboundConcurrency, out.Handle); err != nil {
				return err
			}
		}
	}
	if cfg.Sweep {
		lease, err := dynamo.NewLease(ddb, dynamo.LeaseConfig{Table: s.TableName(), Name: sweeper.LeaseName, Duration: sweeper.LeaseDuration, Meter: meter})
		if err != nil {
			return err
		}
		sc := sweeper.Config{Store: store, Sender: publisher, Lease: lease, Mode: cfg.SweepMode,
			Downstream: recovery.Downstream, Limiter: recovery.Limiter, Queues: sqsq.Depths{API: sqsc, Queues: dest},
			Schedule: cfg.SweepSchedule, Flow: cfg.Flow, Observer: mx, Logger: log}
		cfg.Recovery.Configure(&sc)
		sw, err := sweeper.New(sc)
		if err != nil {
			return err
		}
		workers = append(workers, worker{"sweeper", sw.Run})
	}
	if cfg.CensusInterval > 0 {
		// The holder extends the lease at every count, so it keeps it; another
		// replica takes over when the holder stops counting for two intervals.
		lease, err := dynamo.NewLease(ddb, dynamo.LeaseConfig{Table: s.TableName(), Name: metrics.CensusLeaseName,
			Duration: 2 * cfg.CensusInterval, Meter: meter})
		if err != nil {
			return err
		}
		census, err := metrics.NewCensus(metrics.CensusConfig{Records: store, Lease: lease, Metrics: mx,
			Interval: cfg.CensusInterval, Logger: log})
		if err != nil {
			return err
		}
		workers = append(workers, worker{"census", census.Run})
	}

	var ready atomic.Bool // the consumers run and shutdown has not begun
	var srv *http.Server
	var ln net.Listener
	if cfg.HTTPAddr != "" {
		if srv, ln, err = m.listenHTTP(cfg.HTTPAddr, opsHandler(reg, &ready, cfg.Pprof, log), log); err != nil {
			return err
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(workers)+1)
	served := make(chan struct{})
	if srv != nil {
		go func() {
			defer close(served)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http: %w", err)
				cancel() // regd without its probes would be restarted anyway
			}
		}()
	}
	for _, w := range workers {
		wg.Go(func() {
			if err := w.run(runCtx); err != nil {
				errs <- fmt.Errorf("%s: %w", w.name, err)
				cancel() // one part failing stops the process; the platform restarts it
			}
		})
	}
	ready.Store(true)
	log.Info("regd running", "prefix", cfg.Prefix, "flow", cfg.Flow.String(), "workers", len(workers), "downstream_url", cfg.DownstreamURL,
		"delegate", cfg.Delegate, "bridge_url", cfg.BridgeURL, "notes", !cfg.NoNotes,
		"sweep", cfg.Sweep, "census_interval", cfg.CensusInterval, "http", cfg.HTTPAddr)
	if m.Started != nil {
		m.Started()
	}
	<-runCtx.Done()
	ready.Store(false)
	wg.Wait()
	if srv != nil {
		shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer stop()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("http shutdown", "error", err)
		}
		<-served
	}
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	log.Info("regd stopped")
	return errors.Join(all...)
}
