package devserver_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tendlc/tendlc/temporal/devserver"
)

// A server on a file of its own, and a client of its namespace.
func Example() {
	dir, err := os.MkdirTemp("", "devserver-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := devserver.New(devserver.Config{DBPath: filepath.Join(dir, "temporal.db")})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer s.Stop()

	c, err := client.Dial(client.Options{
		HostPort:  s.HostPort(),
		Namespace: s.Namespace(),
		// The SDK's default logger writes to stdout.
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CheckHealth(context.Background(), &client.CheckHealthRequest{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("serving namespace", s.Namespace())
	// Output: serving namespace default
}
