package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/metrics"
	"github.com/tendlc/tendlc/statemachine"
)

func TestOpsEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	mx, err := metrics.New(metrics.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	mx.Transitioned(statemachine.KindBrand, statemachine.BrandRegister, statemachine.StateNone, statemachine.Pending)
	var ready atomic.Bool
	srv := httptest.NewServer(opsHandler(reg, &ready, false, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	tests := []struct {
		name       string
		ready      bool
		path       string
		wantStatus int
		wantBody   string
	}{
		{"alive while starting", false, "/healthz", http.StatusOK, "ok"},
		{"not ready while starting or shutting down", false, "/readyz", http.StatusServiceUnavailable, "not ready"},
		{"ready while the consumers run", true, "/readyz", http.StatusOK, "ok"},
		{"metrics in the text format", true, "/metrics",
			http.StatusOK, `tendlc_transitions_total{from="NONE",kind="brand",to="PENDING"} 1`},
		{"nothing else", true, "/debug/vars", http.StatusNotFound, ""},
		{"no profiles unless asked", true, "/debug/pprof/", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready.Store(tt.ready)
			status, body := get(tt.path)
			if status != tt.wantStatus {
				t.Errorf("GET %s: %d, want %d", tt.path, status, tt.wantStatus)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %s: body %q, want it to contain %q", tt.path, body, tt.wantBody)
			}
		})
	}
}

// With -pprof the operations listener also serves Go's profiles.
func TestOpsEndpointsServeProfilesWhenAsked(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(opsHandler(prometheus.NewRegistry(), &ready, true, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	for path, want := range map[string]string{
		"/debug/pprof/":                    "goroutine",
		"/debug/pprof/heap?debug=1":        "heap profile",
		"/debug/pprof/allocs?debug=1":      "heap profile",
		"/debug/pprof/goroutine?debug=1":   "goroutine profile",
		"/debug/pprof/cmdline":             "",
		"/debug/pprof/profile?seconds=1":   "", // the shortest CPU profile
		"/debug/pprof/trace?seconds=0.001": "",
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body %.80q, want 200 containing %q", path, resp.StatusCode, body, want)
		}
	}
}
