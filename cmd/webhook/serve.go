package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownTimeout is how long in-flight webhooks get at shutdown: longer than
// tcrhook.DefaultSendTimeout, so a send under way finishes and is answered.
const shutdownTimeout = 10 * time.Second

// serve runs the handler on a local HTTP server until ctx ends, then shuts
// down gracefully. It returns listen, serve and shutdown errors.
func (m *Main) serve(ctx context.Context, h http.Handler, addr, queueURL string, log *slog.Logger) error {
	l := m.Listener
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	log.Info("webhook listening", "addr", l.Addr().String(), "queue_url", queueURL)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-served // http.ErrServerClosed
	log.Info("webhook stopped")
	return nil
}
