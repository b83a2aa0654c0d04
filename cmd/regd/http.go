package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// opsHandler serves the operations endpoints: /healthz (the process is up),
// /readyz (200 while ready holds: the consumers run and shutdown has not
// begun; 503 otherwise) and /metrics (reg in the Prometheus exposition
// format); with profiles, also net/http/pprof's /debug/pprof/ (CPU, heap,
// allocations, goroutines, traces), off by default since it shows the
// process's internals and a CPU profile or trace costs while it runs.
func opsHandler(reg *prometheus.Registry, ready *atomic.Bool, profiles bool, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	text := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			text(w, http.StatusServiceUnavailable, "not ready\n")
			return
		}
		text(w, http.StatusOK, "ok\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError),
		Registry: reg, // counts its own errors in promhttp_metric_handler_errors_total
	}))
	if profiles {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index) // and every named profile: heap, allocs, goroutine, ...
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// listenHTTP binds the operations endpoints to addr and tells m.Listening
// the bound address. The caller serves them with srv.Serve(ln).
func (m *Main) listenHTTP(addr string, h http.Handler, log *slog.Logger) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info("serving operations endpoints", "addr", ln.Addr().String())
	if m.Listening != nil {
		m.Listening(ln.Addr())
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, ln, nil
}

// registerRuntime adds the Go runtime and process metrics (go_*, process_*)
// to reg.
func registerRuntime(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register runtime metrics: %w", err)
		}
	}
	return nil
}
