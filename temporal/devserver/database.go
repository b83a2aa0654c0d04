package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.temporal.io/server/schema/sqlite"
)

// prepareDB makes the file at path ready for a server, before the server
// opens it: a new file (and its directory) gets the server's schema, and a
// file without namespace ns gets it, with the flow's search attributes. An
// existing namespace is left as it is; [ensureSearchAttributes] completes its
// search attributes once the server runs.
//
// Creating the namespace in the file rather than through the API follows
// lite_server.go: the frontend then knows it from its first request, where a
// namespace registered through the API is refused until every service's
// namespace cache has been refreshed.
func prepareDB(path, namespace string) error {
	db := sqlConfig(path)
	switch _, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create database directory: %w", err)
		}
		if err := sqlite.SetupSchema(db); err != nil {
			return fmt.Errorf("create schema in %s: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("database file: %w", err)
	}
	ns, err := sqlite.NewNamespaceConfig(clusterName, namespace, false, searchAttributes)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", namespace, err)
	}
	if err := sqlite.CreateNamespaces(db, ns); err != nil {
		return fmt.Errorf("create namespace %s in %s: %w", namespace, path, err)
	}
	return nil
}
