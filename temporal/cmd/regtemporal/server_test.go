package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// TestMain runs regtemporal's main instead of the tests when asked to, so
// that tests can run the command as a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("REGTEMPORAL_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

var ready = regexp.MustCompile(`^regtemporal server: ready on (127\.0\.0\.1:\d+) namespace (\S+)\n$`)

// readyLine reads the server's first line from out within a minute and
// returns its address and namespace.
func readyLine(tb testing.TB, out io.Reader) (hostPort, namespace string) {
	tb.Helper()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		m := ready.FindStringSubmatch(line)
		if m == nil {
			tb.Fatalf("first line %q, want one matching %s", line, ready)
		}
		return m[1], m[2]
	case <-time.After(time.Minute):
		tb.Fatal("no ready line within a minute")
	}
	return "", ""
}

func dial(tb testing.TB, hostPort, namespace string) client.Client {
	tb.Helper()
	c, err := client.DialContext(tb.Context(), client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// In-process: the server prints its ready line once clients can reach it,
// and stops with exit code 0 when its context ends (a signal, in main).
func TestServerReadyAndStops(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state", "regtemporal.db")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout, w := io.Pipe()
	codes := make(chan int, 1)
	go func() {
		codes <- (&Main{Stdout: w, Stderr: io.Discard}).Run(ctx, []string{"server", "--db", db, "--port", "0", "--namespace", "tendlc"})
		w.Close()
	}()
	hostPort, namespace := readyLine(t, stdout)
	if got, want := namespace, "tendlc"; got != want {
		t.Errorf("namespace %q, want %q", got, want)
	}
	if _, err := dial(t, hostPort, namespace).CheckHealth(t.Context(), &client.CheckHealthRequest{}); err != nil {
		t.Errorf("health check: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	cancel()
	select {
	case code := <-codes:
		if code != exitOK {
			t.Errorf("exit code %d, want %d", code, exitOK)
		}
	case <-time.After(time.Minute):
		t.Fatal("server still running a minute after its context ended")
	}
}

// As processes: SIGTERM stops the server with exit status 0, and a server
// started again on the same file and port (the default file under the
// working directory) has the workflow started before.
func TestServerProcessRestart(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)

	first, hostPort := startProcess(t, dir, port)
	c := dial(t, hostPort, "default")
	if _, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: "survivor", TaskQueue: "nobody"}, "Nothing"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	stopProcess(t, first, syscall.SIGTERM)
	if _, err := os.Stat(filepath.Join(dir, defaultDB)); err != nil {
		t.Errorf("default database file: %v", err)
	}

	second, _ := startProcess(t, dir, port)
	c = dial(t, hostPort, "default")
	d, err := c.DescribeWorkflowExecution(t.Context(), "survivor", "")
	if err != nil {
		t.Fatalf("the workflow started before the restart: %v", err)
	}
	if got, want := d.GetWorkflowExecutionInfo().GetStatus(), enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING; got != want {
		t.Errorf("the workflow started before the restart is %s, want %s", got, want)
	}
	stopProcess(t, second, syscall.SIGINT)
}

// startProcess starts `regtemporal server --port port` in dir and returns
// it once it printed its ready line, with the address it printed.
func startProcess(tb testing.TB, dir string, port int) (*exec.Cmd, string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "server", "--port", fmt.Sprint(port))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REGTEMPORAL_TEST_MAIN=1")
	cmd.Stderr = tb.Output()
	// A pipe of our own rather than StdoutPipe: Wait then waits for what
	// the process wrote to be read, which the goroutine below does.
	stdout, w := io.Pipe()
	cmd.Stdout = w
	tb.Cleanup(func() { w.Close() }) // ends the reader below
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) // after stopProcess, both do nothing
	hostPort, _ := readyLine(tb, stdout)
	if got, want := hostPort, fmt.Sprintf("127.0.0.1:%d", port); got != want {
		tb.Errorf("ready on %s, want %s", got, want)
	}
	go io.Copy(io.Discard, stdout)
	return cmd, hostPort
}

// stopProcess sends sig to cmd and fails the test unless it exits with
// status 0 within a minute.
func stopProcess(tb testing.TB, cmd *exec.Cmd, sig os.Signal) {
	tb.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("after %v: %v, want exit status 0", sig, err)
		}
	case <-time.After(time.Minute):
		tb.Fatalf("still running a minute after %v", sig)
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	// Below Linux's ephemeral range (32768-60999): the server is started
	// again on the port, and a port from that range may meanwhile be taken
	// as the source port of some outgoing connection. Above every port the
	// Makefile's stacks and regbench's base ports take (up to 30600).
	for range 100 {
		port := 31000 + rand.IntN(1700)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port
		}
	}
	tb.Fatal("no free port in 31000-32699")
	return 0
}
