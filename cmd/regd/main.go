// Command regd is the tendlc worker: it consumes the events queue and applies
// each event to its record through the state machines, drains the outbound
// queues towards the registry, the carriers and number registration behind a
// shared rate limit, and sweeps records stuck past their threshold. Every
// replica runs the same; they coordinate through SQS and DynamoDB only.
//
// Usage:
//
//	regd [flags]
//
// Run `regd -h` for the flags. AWS endpoints, region and credentials come from
// the standard AWS configuration (AWS_REGION, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_DYNAMODB, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/tendlc/tendlc/infra/gc"
)

func main() {
	gc.SetDefault(os.LookupEnv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "regd: %v\n", err)
		os.Exit(2)
	}
	logger := newLogger(os.Stderr, cfg.LogLevel)
	if err := (&Main{Config: cfg, Logger: logger}).Run(ctx); err != nil {
		logger.Error("regd stopped", "error", err)
		fmt.Fprintf(os.Stderr, "regd: %v\n", err)
		os.Exit(1)
	}
}

// newLogger returns the JSON logger of the service.
func newLogger(w *os.File, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
