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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/temporal/webhook"
)

var _ = register(&command{name: "webhook", summary: "receive the registry's and carriers' webhooks and signal the workflows",
	usage: `regtemporal webhook [--addr 127.0.0.1:9500] [--public-url URL] [flags]

The baseline's webhook shim (the same handler: HMAC signature, size limit,
statuses) with a sink that signals each event to its record's workflow
instead of enqueueing it. The HMAC secret comes from the file
TENDLC_WEBHOOK_SECRET_FILE names (mode 0600), as for the baseline's shim.
Answers 503 while the Temporal server cannot take a signal (the sender
retries). Serves /metrics and /healthz on the same address.`,
	setup: webhookCommand})

func webhookCommand(fs *flag.FlagSet, m *Main) runFunc {
	var c conn
	c.flags(fs)
	addr := fs.String("addr", "127.0.0.1:9500", "listen `address`")
	publicURL := fs.String("public-url", os.Getenv("TENDLC_WEBHOOK_PUBLIC_URL"), "the `URL` senders post to, when a proxy rewrites it (env TENDLC_WEBHOOK_PUBLIC_URL)")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected arguments %q", args)
		}
		return runWebhook(ctx, c, *addr, *publicURL, m)
	}
}

// runWebhook serves the webhook handler on addr until ctx ends.
func runWebhook(ctx context.Context, c conn, addr, publicURL string, m *Main) error {
	file := os.Getenv("TENDLC_WEBHOOK_SECRET_FILE")
	if file == "" {
		return errors.New("TENDLC_WEBHOOK_SECRET_FILE is not set: it names the file holding the webhook secret")
	}
	logger := slog.New(slog.NewJSONHandler(m.Stderr, nil))
	secret := tcrhook.NewRefreshingSecret(tcrhook.ReadSecretFile(file), tcrhook.DefaultSecretRefresh, time.Now, logger)
	if _, err := secret.Secret(ctx); err != nil { // fail at start, not at the first webhook
		return fmt.Errorf("webhook secret: %w", err)
	}
	cl, err := c.dial(ctx, logger)
	if err != nil {
		return err
	}
	defer cl.Close()
	reg := prometheus.NewRegistry()
	h, err := tcrhook.NewHandler(tcrhook.HandlerConfig{Secret: secret, Sink: webhook.NewSink(cl, reg),
		PublicURL: publicURL, Logger: logger, Registerer: reg})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", h)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serve(ctx, l, mux, logger)
}
