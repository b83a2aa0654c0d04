package legacy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/statemachine"
)

// TestBareLoopMakesEveryTransition: after the loop, every event is deleted,
// every record is at version 3 (the transition and the outbox clear) with an
// empty outbox and an audit entry of version 2, and the follow-up queue
// holds one message per transition. The table and the queues are gone after
// the tear-down.
func TestBareLoopMakesEveryTransition(t *testing.T) {
	sqsc, ddb := awstest.SQS(t), awstest.DynamoDB(t)
	const n = 23 // three batches of 10 at most, the last one short
	b := &BareLoop{Transitions: n, Concurrency: 3, Prefix: awstest.Prefix(t), Timeout: time.Minute}
	w, err := b.setUp(t.Context(), sqsc, ddb)
	t.Cleanup(func() {
		if err := w.tearDown(context.WithoutCancel(t.Context())); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.seed(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if err := w.loop(t.Context(), n, b.Concurrency); err != nil {
		t.Fatal(err)
	}
	if got := awstest.Depth(t, sqsc, w.events); got != 0 {
		t.Errorf("events queue holds %d messages, want 0", got)
	}
	if got := awstest.Depth(t, sqsc, w.followUps); got != n {
		t.Errorf("follow-up queue holds %d messages, want %d", got, n)
	}
	h, err := History(t.Context(), ddb, w.set.TableName())
	if err != nil {
		t.Fatal(err)
	}
	audit := map[string][]statemachine.AuditEntry{}
	for _, a := range h.Audit {
		audit[a.RecordID] = append(audit[a.RecordID], a)
	}
	made := 0
	for _, r := range h.Records {
		if r.ID == bareTemplate {
			continue
		}
		made++
		if r.Version != 3 || len(r.Outbox) != 0 {
			t.Errorf("record %s: version %d, outbox %v; want version 3 and no outbox", r.ID, r.Version, r.Outbox)
		}
		if a := audit[r.ID]; len(a) != 1 || a[0].Version != 2 || a[0].Kind != statemachine.KindCampaign {
			t.Errorf("record %s: audit %+v, want one campaign entry of version 2", r.ID, a)
		}
	}
	if made != n {
		t.Errorf("%d records, want %d", made, n)
	}

	if err := w.tearDown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := ddb.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(w.set.TableName())}); !isNotFound(err) {
		t.Errorf("table %s after the tear-down: %v, want it gone", w.set.TableName(), err)
	}
	for _, url := range []string{w.events, w.followUps} {
		if _, err := sqsc.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)}); err == nil {
			t.Errorf("queue %s is still there after the tear-down", url)
		}
	}
	w.events, w.followUps = "", "" // torn down; the clean-up deletes the table only, and finds none
}

func isNotFound(err error) bool {
	_, ok := errors.AsType[*types.ResourceNotFoundException](err)
	return ok
}

// TestBareLoopRun: Run reports the transitions it was asked for, its
// concurrency and a positive time.
func TestBareLoopRun(t *testing.T) {
	awstest.Config(t) // skips without the emulators
	b := &BareLoop{Transitions: 12, Concurrency: 2, Prefix: awstest.Prefix(t), Timeout: time.Minute}
	res, err := b.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Transitions != 12 || res.Concurrency != 2 || res.Seconds <= 0 || res.CPUSeconds < 0 {
		t.Errorf("result %+v, want 12 transitions, concurrency 2 and a positive time", res)
	}
}

func TestBareLoopRefusesNonPositiveFields(t *testing.T) {
	for _, b := range []BareLoop{
		{Concurrency: 1, Timeout: time.Second},
		{Transitions: 1, Timeout: time.Second},
		{Transitions: 1, Concurrency: 1},
	} {
		if _, err := b.Run(t.Context()); !errors.Is(err, bench.ErrUsage) {
			t.Errorf("%+v: error %v, want a usage error", b, err)
		}
	}
}

func TestBareConcurrencyIsReplicasTimesRegdsConcurrency(t *testing.T) {
	tests := []struct {
		name string
		sc   bench.Scenario
		want int
		err  bool
	}{
		{"regd's default", bench.Scenario{Replicas: 2, Regd: []string{"--rate", "all=5"}}, 32, false},
		{"set", bench.Scenario{Replicas: 3, Regd: []string{"--concurrency", "4"}}, 12, false},
		{"not a number", bench.Scenario{Replicas: 2, Regd: []string{"--concurrency=x"}}, 0, true},
		{"zero", bench.Scenario{Replicas: 2, Regd: []string{"--concurrency", "0"}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bareConcurrency(tt.sc)
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("bareConcurrency = %d, %v; want %d, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestRunMeasuresTheLimitBesideTheRun: a scenario that asks for the limit
// gets the bare loop, as a `regbench bare` process, for as many transitions
// as regd wrote, at the replicas' concurrency.
func TestRunMeasuresTheLimitBesideTheRun(t *testing.T) {
	sum := system(t, bench.Scenario{Name: "limit", Brands: 2, Campaigns: 3, Numbers: 1, Replicas: 2, Limit: true,
		Deadline:   bench.Duration(3 * time.Minute),
		Carriersim: []string{"--latency", "all=10ms-50ms", "--rate", "all=1000"},
		Regd:       []string{"--rate", "all=1000", "--concurrency", "3"}}, 24000, nil)
	l := sum.Limit
	if l == nil || l.Error != "" {
		t.Fatalf("limit %+v, want one measured", l)
	}
	if got, want := l.Bare.Transitions, figuresOf(t, sum).Transitions.Total; got != want || got < 1 {
		t.Errorf("bare loop made %g transitions, want regd's %g", got, want)
	}
	if l.Concurrency != 6 || l.Bare.PerSecond <= 0 || l.System.PerSecond <= 0 || l.ThroughputRatio <= 0 || l.CPURatio <= 0 {
		t.Errorf("limit %+v, want concurrency 6 and positive rates and ratios", l)
	}
}
