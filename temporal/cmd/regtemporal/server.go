package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tendlc/tendlc/temporal/devserver"
)

var _ = register(&command{
	name:    "server",
	summary: "the embedded Temporal server on SQLite in a file, the local Temporal of the benchmark, until SIGINT or SIGTERM",
	usage: `regtemporal server [--db FILE] [--port N] [--namespace NS] [--log-file FILE]

Runs a Temporal server in this process (its frontend, history, matching and
worker services) on the SQLite file --db, which it creates with its directory
when missing; started again on the same file, it finds the workflows it had.
The namespace is created when missing, with the flow's search attributes.
Once the frontend answers on 127.0.0.1:N it prints one line on stdout,

	regtemporal server: ready on 127.0.0.1:N namespace NS

and serves until SIGINT or SIGTERM, then stops and exits 0. The server's own
logs go to --log-file (info and above, JSON lines) or else, warnings and
errors only, to stderr.

This is the local Temporal of the benchmark and of make compare. Production
runs a Temporal cluster or Temporal Cloud, which regtemporal worker reaches
with --address.`,
	setup: serverCommand,
})

// defaultDB is the server's file when --db is not given, under the working
// directory: the repository's .tools/, which git ignores.
var defaultDB = filepath.Join(".tools", "temporal", "regtemporal.db")

func serverCommand(fs *flag.FlagSet, m *Main) runFunc {
	db := fs.String("db", defaultDB, "the SQLite `file` of the server's state")
	port := fs.Int("port", 7233, "the frontend's gRPC `port` on 127.0.0.1; 0 picks a free one")
	namespace := fs.String("namespace", devserver.DefaultNamespace, "the `namespace` to create when missing")
	logFile := fs.String("log-file", "", "append the server's logs to `file`")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unexpected arguments %q", args)
		}
		logger, closeLog, err := serverLog(*logFile, m.Stderr)
		if err != nil {
			return err
		}
		defer closeLog()
		s, err := devserver.New(devserver.Config{DBPath: *db, Port: *port, Namespace: *namespace, Logger: logger})
		if err != nil {
			return usageErrorf("%v", err)
		}
		if err := s.Start(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while starting: nothing runs
			}
			return err
		}
		fmt.Fprintf(m.Stdout, "regtemporal server: ready on %s namespace %s\n", s.HostPort(), s.Namespace())
		<-ctx.Done()
		return s.Stop()
	}
}

// serverLog returns the logger of the server's own logs: JSON lines of info
// and above appended to the file at path, or warnings and errors as text on
// stderr when path is empty. close closes the file.
func serverLog(path string, stderr io.Writer) (logger *slog.Logger, close func() error, err error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), f.Close, nil
}
