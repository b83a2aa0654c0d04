package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/bridge"
)

var _ = register(&command{name: "bridge", summary: "hand the steps a legacy replica delegates to workflows, and their results back",
	usage: `regtemporal bridge [--prefix tendlc-] [--addr 127.0.0.1:9600] [flags]

The hybrid hand-off's bridge. It consumes the legacy deployment's "temporal"
queue (--prefix), where a replica run with regd --delegate evidence sends
the command temporal.evidence_review: each starts the workflow
DelegatedEvidence (id evidence/<campaign>/<command event id>) with
signal-with-start, so a duplicate command starts nothing new; a command
whose workflow ended re-sends the workflow's result to the events queue.
A message is deleted only then; failures are retried and dead-lettered as
regd's are (the temporal-dlq queue, with the reason).

On --addr it serves:
  GET /delegated/evidence/{campaignID}  the legacy sweeper's look-up of the
                                        campaign's delegated review
  POST any other path                   the registry's and carriers' webhooks
                                        (the webhook shim's handler): evidence
                                        decisions signal the campaign's running
                                        delegated workflow, every other event
                                        goes to the legacy events queue
  GET /metrics, GET /healthz

--faults duplicates or delays the sends to the events queue (results
re-sent, webhooks forwarded), as regd's --faults does its own; the counts
are on /metrics (tendlc_faults_injected_total).

The HMAC secret comes from the file TENDLC_WEBHOOK_SECRET_FILE names (mode
0600), as for regtemporal webhook.`,
	setup: bridgeCommand})

// bridgeConfig is what the bridge flags say.
type bridgeConfig struct {
	conn        conn
	queues      eventsQueue
	addr        string
	publicURL   string
	concurrency int
	faults      fault.Config         // injected into the sends to the events queue
	sqs         *sqs.Client          // nil: a client of the standard AWS configuration
	listener    net.Listener         // nil: listen on addr
	logger      *slog.Logger         // nil: JSON on the command's stderr
	registry    *prometheus.Registry // nil: a new one
}

func bridgeCommand(fs *flag.FlagSet, m *Main) runFunc {
	var c bridgeConfig
	c.conn.flags(fs)
	c.queues.flags(fs, "tendlc-")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:9600", "listen `address` of the look-ups, the webhooks and /metrics")
	fs.StringVar(&c.publicURL, "public-url", os.Getenv("TENDLC_WEBHOOK_PUBLIC_URL"), "the `URL` webhook senders post to, when a proxy rewrites it (env TENDLC_WEBHOOK_PUBLIC_URL)")
	fs.IntVar(&c.concurrency, "concurrency", 10, "commands handled at once")
	var faults sendFaults
	faults.flags(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if c.queues.prefix == "" || c.concurrency < 1 {
			return usageErrorf("--prefix must not be empty and --concurrency must be positive")
		}
		var err error
		if c.faults, err = faults.check(); err != nil {
			return usageErrorf("%v", err)
		}
		c.logger = slog.New(slog.NewJSONHandler(m.Stderr, nil))
		return runBridge(ctx, c)
	}
}

// runBridge runs the bridge until ctx ends.
func runBridge(ctx context.Context, c bridgeConfig) error {
	file := os.Getenv("TENDLC_WEBHOOK_SECRET_FILE")
	if file == "" {
		return errors.New("TENDLC_WEBHOOK_SECRET_FILE is not set: it names the file holding the webhook secret")
	}
	log := c.logger
	secret := tcrhook.NewRefreshingSecret(tcrhook.ReadSecretFile(file), tcrhook.DefaultSecretRefresh, time.Now, log)
	if _, err := secret.Secret(ctx); err != nil { // fail at start, not at the first webhook
		return fmt.Errorf("webhook secret: %w", err)
	}
	api := c.sqs
	if api == nil {
		var err error
		if api, err = c.queues.sqs(ctx); err != nil {
			return err
		}
	}
	reg := c.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	// --faults reaches the results the drainer sends again, not the
	// webhooks the sink forwards: those the baseline's shim sends unfaulted.
	faulty, err := withSendFaults(api, c.faults, reg)
	if err != nil {
		return err
	}
	results, err := c.queues.producer(ctx, faulty)
	if err != nil {
		return err
	}
	events, err := c.queues.producer(ctx, api)
	if err != nil {
		return err
	}
	urls := map[string]string{}
	for _, q := range []string{string(statemachine.ToTemporal), resources.DLQ(string(statemachine.ToTemporal))} {
		if urls[q], err = c.queues.url(ctx, api, q); err != nil {
			return err
		}
	}
	cl, err := c.conn.dial(ctx, log)
	if err != nil {
		return err
	}
	defer cl.Close()

	queue := string(statemachine.ToTemporal)
	copier, err := sqsq.NewCopier(api, sqsq.CopierConfig{DeadLetters: map[string]string{urls[queue]: urls[resources.DLQ(queue)]}, Logger: log})
	if err != nil {
		return err
	}
	retrier, err := retry.New(retry.Config{Requeuer: copier, DeadLetterer: copier, Classify: sqsq.ClassifyAWS, Logger: log})
	if err != nil {
		return err
	}
	consumer, err := sqsq.NewConsumer(api, sqsq.ConsumerConfig{QueueURL: urls[queue], Queue: queue, Concurrency: c.concurrency, Logger: log})
	if err != nil {
		return err
	}
	drainer := bridge.NewDrainer(cl, results, reg)
	// regd's middleware, in its order (cmd/regd/chain.go).
	h := message.Chain(drainer.Handle, handlers.Logging(log), retrier.Middleware(), message.Recover())

	hook, err := tcrhook.NewHandler(tcrhook.HandlerConfig{Secret: secret, Sink: bridge.NewSink(cl, c.conn.namespace, events, reg),
		PublicURL: c.publicURL, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(bridge.StatusPattern, bridge.NewStatus(cl, c.conn.namespace, log, reg))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/", hook)
	l := c.listener
	if l == nil {
		if l, err = net.Listen("tcp", c.addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	consumed := make(chan error, 1)
	go func() { consumed <- consumer.Run(ctx, h) }()
	log.Info("bridge started", "queue_url", urls[queue], "address", c.conn.address, "namespace", c.conn.namespace)
	served := serve(ctx, l, mux, log)
	cancel() // the server failed, or ctx ended: stop consuming too
	return errors.Join(served, <-consumed)
}
