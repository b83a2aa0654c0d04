package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

func TestSweepHelpGolden(t *testing.T) {
	r := run(t, nil, nil, "sweep", "--help")
	if got, want := r.code, exitOK; got != want {
		t.Errorf("exit code %d, want %d", got, want)
	}
	golden(t, "sweep-help.txt", []byte(r.stdout))
}

func TestSweepUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown mode", []string{"sweep", "--mode", "sideways"}, `unknown mode "sideways"`},
		{"negative threshold", []string{"sweep", "--older-than", "-1s"}, "must not be negative"},
		{"policy file", []string{"sweep", "--recovery", "/nonexistent/policy.json"}, "--recovery: recovery policy"},
		{"unknown output", []string{"sweep", "-o", "yaml"}, `-o "yaml": want table or json`},
		{"arguments", []string{"sweep", "now"}, "unexpected arguments: now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, exitUsage; got != want {
				t.Errorf("exit code %d, want %d", got, want)
			}
			if !strings.Contains(r.stderr, tt.stderr) || !strings.Contains(r.stderr, "Usage: regctl sweep") {
				t.Errorf("stderr = %q, want %q and the usage", r.stderr, tt.stderr)
			}
		})
	}
}

// deployment provisions the queues and the table of a fresh prefix, deleted
// when tb ends, and returns the prefix.
func deployment(tb testing.TB) (resources.Set, *dynamodb.Client, *sqs.Client) {
	tb.Helper()
	db, q := awstest.DynamoDB(tb), awstest.SQS(tb)
	s := resources.Default(awstest.Prefix(tb))
	tb.Cleanup(func() {
		ctx := context.Background()
		_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(s.TableName())})
		if _, ok := errors.AsType[*dbtypes.ResourceNotFoundException](err); err != nil && !ok {
			tb.Errorf("delete table: %v", err)
		}
		for _, queue := range s.Queues {
			out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.QueueName(queue.Logical))})
			if err == nil {
				_, err = q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
			}
			if err != nil {
				tb.Errorf("delete queue %s: %v", queue.Logical, err)
			}
		}
	})
	if _, err := dynamo.Provision(tb.Context(), db, s); err != nil {
		tb.Fatal(err)
	}
	if _, err := sqsq.Provision(tb.Context(), q, s); err != nil {
		tb.Fatal(err)
	}
	return s, db, q
}

func TestSweepRedrivesAStuckBrand(t *testing.T) {
	s, db, q := deployment(t)
	store, err := dynamo.New(db, dynamo.Config{Table: s.TableName()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for id, age := range map[string]time.Duration{"b-stuck": 25 * time.Hour, "b-recent": 23 * time.Hour} {
		rec := statemachine.Record{
			Kind: statemachine.KindBrand, ID: id, State: statemachine.Submitted, CorrelationID: "corr-" + id,
			CreatedAt: now.Add(-age), StateEnteredAt: now.Add(-age), WaitSince: now.Add(-age), UpdatedAt: now.Add(-age),
			Data: json.RawMessage(`{"legal_name":"Acme","ein":"12-3456789","email":"ops@acme.test","entity_type":"PRIVATE_PROFIT"}`),
		}
		if _, err := store.Transition(t.Context(), nil, rec, statemachine.AuditEntry{To: rec.State, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	// The registry has no record of b-stuck's submission: the re-drive
	// sends it again.
	registry := lostRegistry(t)
	sweep := func(args ...string) sweeper.Report {
		t.Helper()
		var rep sweeper.Report
		for deadline := time.Now().Add(5 * time.Second); ; {
			r := run(t, nil, nil, append([]string{"--prefix", s.Prefix, "sweep", "-o", "json", "--older-than", "24h",
				"--downstream-url", registry.URL}, args...)...)
			if r.code != exitOK {
				t.Fatalf("regctl sweep %v: exit %d: %s", args, r.code, r.stderr)
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("output is not a JSON report: %v\n%s", err, r.stdout)
			}
			// The waiting index is eventually consistent.
			if rep.Stuck > 0 || time.Now().After(deadline) {
				return rep
			}
		}
	}

	rep := sweep("--dry-run")
	if len(rep.Planned) != 1 || rep.Planned[0].ID != "b-stuck" || rep.Planned[0].Redrives != 1 ||
		rep.Planned[0].Outcome != statemachine.OutcomeResent {
		t.Fatalf("dry run planned %+v, want the first re-drive of b-stuck, re-sending", rep.Planned)
	}

	rep = sweep()
	if rep.Stuck != 1 || rep.Redriven != 1 || rep.Examined != 1 {
		t.Errorf("sweep report %+v, want 1 examined, stuck and re-driven", rep)
	}
	urls, err := sqsq.QueueURLs(t.Context(), q, s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(urls[string(statemachine.ToRegistry)]), MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("registry queue holds %d messages, want 1", len(out.Messages))
	}
	env, err := statemachine.DecodeEnvelope([]byte(aws.ToString(out.Messages[0].Body)))
	if err != nil {
		t.Fatal(err)
	}
	if env.Type != statemachine.CmdSubmitBrand || env.EntityID != "b-stuck" || env.Actor != statemachine.SweeperActor {
		t.Errorf("re-sent %s for %s by %s, want registry.submit_brand for b-stuck by the sweeper", env.Type, env.EntityID, env.Actor)
	}
	got, err := store.Get(t.Context(), statemachine.KindBrand, "b-stuck")
	if err != nil {
		t.Fatal(err)
	}
	if got.Redrives != 1 {
		t.Errorf("stored re-drives %d, want 1", got.Redrives)
	}
}

func TestSweepTablePrintsThePlan(t *testing.T) {
	var b strings.Builder
	err := writeReport(&b, sweeper.Report{
		Mode: sweeper.ModeScan, DryRun: true, Started: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Examined: 1000, ReadUnits: 62.5, Stuck: 1, Redriven: 1,
		Planned: []sweeper.Planned{{
			Kind: statemachine.KindCampaign, ID: "c1", State: statemachine.CarrierReview,
			StateEnteredAt: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), WaitSince: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC),
			Outcome: statemachine.OutcomeResent, Redrives: 2, Checks: 1,
			Emit: []statemachine.Outgoing{
				{To: statemachine.ToTMobile, Envelope: statemachine.Envelope{Type: statemachine.CmdCarrierSubmit, EntityID: "c1"}},
				{To: statemachine.ToVerizon, Envelope: statemachine.Envelope{Type: statemachine.CmdCarrierSubmit, EntityID: "c1"}},
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep-table.txt", []byte(b.String()))
}

// lostRegistry is a downstream that has no record of any request: every
// status look-up answers 404.
func lostRegistry(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintln(w, `{"message":"no such record"}`)
	}))
	tb.Cleanup(srv.Close)
	return srv
}
