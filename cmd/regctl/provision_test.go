package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// provision runs regctl provision -o json on s and returns its report.
func provision(tb testing.TB, s resources.Set, wantCode int) provisionReport {
	tb.Helper()
	r := run(tb, nil, nil, withPrefix(s, "provision", "-o", "json")...)
	if r.code != wantCode {
		tb.Fatalf("provision: exit %d, want %d; stderr: %s", r.code, wantCode, r.stderr)
	}
	var rep provisionReport
	decodeJSON(tb, r.stdout, &rep)
	return rep
}

// actions returns the action of every row, keyed by resource name and aspect.
func actions(rep provisionReport) map[string]string {
	m := map[string]string{}
	for _, row := range rep.Rows {
		m[row.Name+" "+row.Aspect] = row.Action
	}
	return m
}

func TestProvisionCreatesWhatIsMissingThenChangesNothing(t *testing.T) {
	s, db, q := deployment(t)
	// Take part of the deployment away: provision puts it back.
	events := queueURL(t, q, s, string(statemachine.ToEvents))
	if _, err := q.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: aws.String(events)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(s.TableName())}); err != nil {
		t.Fatal(err)
	}

	rep := provision(t, s, exitOK)
	if got, want := len(rep.Rows), len(s.Queues)+3+len(s.Table.Indexes)+1; got != want {
		t.Errorf("%d rows, want one per queue and per table aspect (%d)", got, want)
	}
	for key, action := range actions(rep) {
		want := "unchanged"
		if key == s.QueueName("events")+" queue" || strings.HasPrefix(key, s.TableName()+" ") {
			want = "created"
		}
		if action != want {
			t.Errorf("%s: %s, want %s", key, action, want)
		}
	}

	rep = provision(t, s, exitOK)
	for key, action := range actions(rep) {
		if action != "unchanged" {
			t.Errorf("second run: %s: %s, want unchanged", key, action)
		}
	}
	if rep.Drift {
		t.Error("second run reports drift")
	}
}

func TestProvisionReportsDriftAndLeavesItAlone(t *testing.T) {
	s, _, q := deployment(t)
	registry := queueURL(t, q, s, string(statemachine.ToRegistry))
	if _, err := q.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(registry), Attributes: map[string]string{"VisibilityTimeout": "30"},
	}); err != nil {
		t.Fatal(err)
	}

	r := run(t, nil, nil, withPrefix(s, "provision")...)
	if r.code != exitFailure {
		t.Fatalf("provision: exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	want := fmt.Sprintf(`VisibilityTimeout: want "%d", got "30"`, resources.DefaultVisibilityTimeout/time.Second)
	if !hasLine(r.stdout, s.QueueName("registry"), "drift", want) {
		t.Errorf("output does not show the drift of the registry queue:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "drift in 1 of the rows above") {
		t.Errorf("stderr %q, want what to do about the drift", r.stderr)
	}
	rep := provision(t, s, exitFailure)
	if !rep.Drift || actions(rep)[s.QueueName("registry")+" queue"] != "drift" {
		t.Errorf("JSON report %+v, want the registry queue drifted", rep)
	}
	out, err := q.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(registry), AttributeNames: []sqstypes.QueueAttributeName{"VisibilityTimeout"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Attributes["VisibilityTimeout"]; got != "30" {
		t.Errorf("registry queue visibility timeout %s after provision, want it left at 30", got)
	}
}

// hasLine reports whether a line of s contains every fragment.
func hasLine(s string, fragments ...string) bool {
	for line := range strings.Lines(s) {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(line, f)
		}
		if all {
			return true
		}
	}
	return false
}

// The bridge's queue (statemachine.ToTemporal) is provisioned as the
// outbound queues are: with its dead-letter queue behind it.
func TestProvisionCreatesTheBridgesQueue(t *testing.T) {
	s, _, q := deployment(t)
	logical := string(statemachine.ToTemporal)
	urls, err := sqsq.QueueURLs(t.Context(), q, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{logical, resources.DLQ(logical)} {
		if _, err := q.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: aws.String(urls[name])}); err != nil {
			t.Fatal(err)
		}
	}

	rep := provision(t, s, exitOK)
	acts := actions(rep)
	for _, name := range []string{logical, resources.DLQ(logical)} {
		if got := acts[s.QueueName(name)+" queue"]; got != "created" {
			t.Errorf("%s: %q, want created", s.QueueName(name), got)
		}
	}
	out, err := q.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL(t, q, s, logical)),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)]; !strings.Contains(p, s.QueueName(resources.DLQ(logical))) {
		t.Errorf("redrive policy %q, want the dead-letter queue %s", p, s.QueueName(resources.DLQ(logical)))
	}
}
