// Package devserver runs a Temporal server inside the process, on SQLite in
// a file: the local Temporal of `regtemporal server`, of the benchmark and of
// `make compare`, whose state survives a restart of the process that runs it.
//
// It is not how the Temporal side runs in production: there a Temporal
// cluster or Temporal Cloud holds the workflows, and `regtemporal worker`
// reaches it with --address. This package exists so that the comparison with
// the baseline needs nothing installed: the server is the go.temporal.io/server
// module's own services (frontend, history, matching, worker) on one host,
// bound to 127.0.0.1.
//
// [Server.Start] prepares the file (schema, namespace, the flow's search
// attributes) and returns once the frontend answers, so a client dialled
// after it can start workflows at once.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"go.temporal.io/server/temporal"
)

// Config configures a [Server]. Its zero values mean the documented
// defaults; only DBPath is required.
type Config struct {
	// DBPath is the SQLite file holding the server's state, with its -wal
	// and -shm companions beside it. It and its directory are created when
	// missing; an existing file is reused, with its workflows.
	DBPath string
	// Port is the frontend's gRPC port on 127.0.0.1; 0 means a free port,
	// which [Server.HostPort] reports.
	Port int
	// Namespace is the namespace created at start when missing; "default"
	// when empty.
	Namespace string
	// Logger receives the server's own logs, at the levels its handler
	// enables. Nil means warnings and errors as text on stderr: the server
	// logs several lines per second at info level.
	Logger *slog.Logger
}

// DefaultNamespace is the namespace of a [Config] that names none.
const DefaultNamespace = "default"

// withDefaults returns c with its defaults filled, or every problem with it.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.DBPath == "" {
		errs = append(errs, errors.New("DBPath is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is not a TCP port", c.Port))
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return c, errors.Join(errs...)
}

// Server is an embedded Temporal server. Its methods are safe for concurrent
// use.
type Server struct {
	cfg Config

	mu       sync.Mutex
	srv      temporal.Server // nil until started and after Stop
	stopping *atomic.Bool    // the running server's logger's
	hostPort string
}

// New returns a server for cfg, not started. It returns an error joining
// every problem with cfg.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("devserver config: %w", err)
	}
	return &Server{cfg: cfg}, nil
}

// Start prepares the database file, starts the server's services and waits,
// within ctx, until the frontend answers and the namespace has the flow's
// search attributes. On an error nothing is left running.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("devserver: already started")
	}
	if err := prepareDB(s.cfg.DBPath, s.cfg.Namespace); err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	ports, err := freePorts(s.cfg.Port)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	logger := serverLogger{l: s.cfg.Logger, stopping: new(atomic.Bool)}
	srv, err := temporal.NewServer(serverOptions(s.cfg, ports, logger)...)
	if err != nil {
		return fmt.Errorf("devserver: new server: %w", err)
	}
	stop := func() error {
		logger.stopping.Store(true)
		return srv.Stop()
	}
	if err := srv.Start(); err != nil {
		return errors.Join(fmt.Errorf("devserver: start: %w", err), stop())
	}
	hostPort := ports.frontendHostPort()
	if err := ensureSearchAttributes(ctx, hostPort, s.cfg.Namespace, s.cfg.Logger); err != nil {
		return errors.Join(fmt.Errorf("devserver: %w", err), stop())
	}
	s.srv, s.stopping, s.hostPort = srv, logger.stopping, hostPort
	return nil
}

// Stop stops the server's services; the database file keeps their state.
// Stopping a server that is not running does nothing.
//
// The server's module (v1.29.1) does not stop everything: its system
// workers' pollers keep polling the frontend's address. A server started
// afterwards in the same process on the same port would serve them, so a
// restart within a process takes another port, and a restart on the same
// port is a restart of the process (`regtemporal server`).
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	s.stopping.Store(true)
	err := s.srv.Stop()
	s.srv = nil
	if err != nil {
		return fmt.Errorf("devserver: stop: %w", err)
	}
	return nil
}

// HostPort returns the frontend's address, 127.0.0.1:PORT, once started;
// before that it is empty.
func (s *Server) HostPort() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostPort
}

// Namespace returns the namespace the server created or found at start.
func (s *Server) Namespace() string { return s.cfg.Namespace }
