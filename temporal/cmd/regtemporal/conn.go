package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// conn is the Temporal frontend a subcommand talks to: the --address and
// --namespace flags every subcommand but server has.
type conn struct {
	address, namespace string
}

// flags adds --address and --namespace to fs.
func (c *conn) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.address, "address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend `host:port` (env TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal `namespace` (env TEMPORAL_NAMESPACE)")
}

// dial connects to the frontend; opts may set the client's metrics.
func (c *conn) dial(ctx context.Context, logger *slog.Logger, opts ...func(*client.Options)) (client.Client, error) {
	o := client.Options{HostPort: c.address, Namespace: c.namespace, Logger: log.NewStructuredLogger(logger)}
	for _, f := range opts {
		f(&o)
	}
	cl, err := client.DialContext(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", c.address, err)
	}
	return cl, nil
}

// with dials the frontend, with the SDK's warnings and errors on stderr,
// runs f with the client, and closes it.
func (c *conn) with(ctx context.Context, stderr io.Writer, f func(client.Client) error) error {
	cl, err := c.dial(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer cl.Close()
	return f(cl)
}

// clientCommand declares --address and --namespace on fs and returns the run
// of a command that takes no arguments and does f with a client of them.
func clientCommand(fs *flag.FlagSet, m *Main, f func(ctx context.Context, cl client.Client, namespace string) error) runFunc {
	var c conn
	c.flags(fs)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return c.with(ctx, m.Stderr, func(cl client.Client) error { return f(ctx, cl, c.namespace) })
	}
}

// noArgs is the usage error of a command that takes no arguments, when
// args has some.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected arguments %q", args)
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
