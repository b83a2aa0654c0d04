package devserver

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/schema/sqlite"

	"github.com/tendlc/tendlc/temporal/flow"
)

const testQueue = "devserver-test"

// greet is a workflow that ends at once.
func greet(_ workflow.Context, name string) (string, error) { return "hello " + name, nil }

// awaitSignal is a workflow that ends with the first value signalled to it.
func awaitSignal(ctx workflow.Context) (string, error) {
	var v string
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, &v)
	return v, nil
}

// stateKey is the flow's state as a typed search attribute.
var stateKey = temporal.NewSearchAttributeKeyKeyword(flow.AttrState)

// setState is a workflow that sets its state search attribute to state and
// waits for a signal.
func setState(ctx workflow.Context, state string) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, stateKey.ValueSet(state)); err != nil {
		return err
	}
	_, err := awaitSignal(ctx)
	return err
}

// quietLogger is the tests' logger for the server and the SDK: warnings and
// errors on the test's output, without failing it.
func quietLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startServer starts a server for cfg and stops it when the test ends.
func startServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger(tb)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), time.Minute)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// dial returns a client of s's namespace, closed when the test ends.
func dial(tb testing.TB, s *Server) client.Client {
	tb.Helper()
	c, err := client.DialContext(tb.Context(), client.Options{
		HostPort:  s.HostPort(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(quietLogger(tb)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// startWorker runs greet and awaitSignal for c until stop is called.
func startWorker(tb testing.TB, c client.Client) (stop func()) {
	tb.Helper()
	w := worker.New(c, testQueue, worker.Options{})
	w.RegisterWorkflow(greet)
	w.RegisterWorkflow(awaitSignal)
	w.RegisterWorkflow(setState)
	if err := w.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Stop) // Stop is idempotent
	return w.Stop
}

func start(tb testing.TB, c client.Client, id string, wf any, args ...any) client.WorkflowRun {
	tb.Helper()
	run, err := c.ExecuteWorkflow(tb.Context(), client.StartWorkflowOptions{
		ID: id, TaskQueue: testQueue, WorkflowExecutionTimeout: time.Minute,
	}, wf, args...)
	if err != nil {
		tb.Fatalf("start %s: %v", id, err)
	}
	return run
}

func result(tb testing.TB, run client.WorkflowRun) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	var got string
	if err := run.Get(ctx, &got); err != nil {
		tb.Fatalf("workflow %s: %v", run.GetID(), err)
	}
	return got
}

// The file keeps the server's state: a workflow closed before a restart
// keeps its history and result after it, and one waiting for a signal
// before it completes when signalled after it.
func TestRestartKeepsWorkflows(t *testing.T) {
	db := filepath.Join(t.TempDir(), "new-dir", "temporal.db")

	first := startServer(t, Config{DBPath: db})
	c := dial(t, first)
	stopWorker := startWorker(t, c)
	if got, want := result(t, start(t, c, "greet", greet, "brand")), "hello brand"; got != want {
		t.Fatalf("greet before the restart: %q, want %q", got, want)
	}
	waiting := start(t, c, "waiter", awaitSignal)
	// The waiter has started once its first workflow task completed.
	waitFor(t, "the waiter's first workflow task", func(ctx context.Context) bool {
		d, err := c.DescribeWorkflowExecution(ctx, waiting.GetID(), waiting.GetRunID())
		return err == nil && d.GetPendingWorkflowTask() == nil && d.GetWorkflowExecutionInfo().GetHistoryLength() >= 4
	})
	stopWorker()
	c.Close()
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	// On another port: the first server's system workers keep polling its
	// frontend after Stop (see Server.Stop).
	second := startServer(t, Config{DBPath: db})
	c = dial(t, second)
	startWorker(t, c)

	if got, want := result(t, c.GetWorkflow(t.Context(), "greet", "")), "hello brand"; got != want {
		t.Errorf("greet after the restart: %q, want %q", got, want)
	}
	var last enumspb.EventType
	events := 0
	for it := c.GetWorkflowHistory(t.Context(), "greet", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT); it.HasNext(); events++ {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		last = e.GetEventType()
	}
	if got, want := last, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED; got != want || events < 5 {
		t.Errorf("greet's history after the restart: %d events ending with %s, want at least 5 ending with %s", events, got, want)
	}

	if err := c.SignalWorkflow(t.Context(), waiting.GetID(), "", "go", "signalled after the restart"); err != nil {
		t.Fatal(err)
	}
	if got, want := result(t, c.GetWorkflow(t.Context(), waiting.GetID(), waiting.GetRunID())), "signalled after the restart"; got != want {
		t.Errorf("waiter: %q, want %q", got, want)
	}
}

// The namespace has the flow's state as a keyword search attribute, which
// workflows start with (the frontend checks it) and set (the history
// service checks it), and a visibility query finds them by, whether the
// server created the namespace or found it without the attribute.
func TestSearchAttribute(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(tb testing.TB, db string) // makes the file before the server starts
	}{
		{"new namespace", func(testing.TB, string) {}},
		{"namespace created without it", createBareNamespace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "temporal.db")
			tt.prepare(t, db)
			s := startServer(t, Config{DBPath: db, Namespace: "registrations"})
			c := dial(t, s)
			list, err := c.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: "registrations"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := list.GetCustomAttributes()[flow.AttrState], enumspb.INDEXED_VALUE_TYPE_KEYWORD; got != want {
				t.Errorf("search attribute %s: %s, want %s", flow.AttrState, got, want)
			}

			startWorker(t, c)
			if _, err := c.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
				ID: "pending", TaskQueue: testQueue, WorkflowExecutionTimeout: time.Minute,
				TypedSearchAttributes: temporal.NewSearchAttributes(stateKey.ValueSet("NEW")),
			}, setState, "TCR_PENDING"); err != nil {
				t.Fatal(err)
			}
			query := flow.AttrState + " = 'TCR_PENDING'"
			waitFor(t, "a visibility query by "+flow.AttrState, func(ctx context.Context) bool {
				n, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "registrations", Query: query})
				return err == nil && n.GetCount() == 1
			})
		})
	}
}

// createBareNamespace makes db a server's file with namespace
// "registrations" and no custom search attribute, as a file made before the
// flow declared its own would be.
func createBareNamespace(tb testing.TB, db string) {
	tb.Helper()
	sql := sqlConfig(db)
	if err := sqlite.SetupSchema(sql); err != nil {
		tb.Fatal(err)
	}
	ns, err := sqlite.NewNamespaceConfig(clusterName, "registrations", false, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := sqlite.CreateNamespaces(sql, ns); err != nil {
		tb.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after 30 seconds.
func waitFor(tb testing.TB, what string, cond func(ctx context.Context) bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond(ctx) {
		select {
		case <-ctx.Done():
			tb.Fatalf("%s: not after 30s", what)
		case <-tick.C:
		}
	}
}
