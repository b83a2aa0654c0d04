// Package deploytest provisions a throwaway tendlc deployment (every queue
// and the table, under a unique prefix) on the local emulators for
// integration tests, and deletes it when the test ends.
package deploytest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
)

// Deployment is a provisioned deployment and clients for it.
type Deployment struct {
	Resources resources.Set
	SQS       *sqs.Client
	Dynamo    *dynamodb.Client
	URLs      map[string]string // logical queue name -> URL
}

// New provisions a deployment or skips tb (see awstest.Config).
func New(tb testing.TB) Deployment {
	tb.Helper()
	d := Deployment{Resources: resources.Default(awstest.Prefix(tb)), SQS: awstest.SQS(tb), Dynamo: awstest.DynamoDB(tb)}
	ctx := tb.Context()
	tb.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		for _, url := range d.URLs {
			_, _ = d.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
		}
		_, _ = d.Dynamo.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(d.Resources.TableName())})
	})
	if _, err := sqsq.Provision(ctx, d.SQS, d.Resources); err != nil {
		tb.Fatalf("provision queues: %v", err)
	}
	if _, err := dynamo.Provision(ctx, d.Dynamo, d.Resources); err != nil {
		tb.Fatalf("provision table: %v", err)
	}
	urls, err := sqsq.QueueURLs(ctx, d.SQS, d.Resources)
	if err != nil {
		tb.Fatal(err)
	}
	d.URLs = urls
	return d
}

// NewTable provisions the table of a deployment alone (for tests of the
// record store's users, which need no queue) or skips tb, deletes it when tb
// ends, and returns the client and the table's name.
func NewTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	s, api := resources.Default(awstest.Prefix(tb)), awstest.DynamoDB(tb)
	tb.Cleanup(func() {
		_, _ = api.DeleteTable(context.WithoutCancel(tb.Context()), &dynamodb.DeleteTableInput{TableName: aws.String(s.TableName())})
	})
	if _, err := dynamo.Provision(tb.Context(), api, s); err != nil {
		tb.Fatalf("provision table: %v", err)
	}
	return api, s.TableName()
}

// Store returns a record store on the deployment's table.
func (d Deployment) Store(tb testing.TB) *dynamo.Store {
	tb.Helper()
	s, err := dynamo.New(d.Dynamo, dynamo.Config{Table: d.Resources.TableName()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Producer returns a producer for the deployment's events queue.
func (d Deployment) Producer(tb testing.TB) *sqsq.Producer {
	tb.Helper()
	p, err := sqsq.NewProducer(d.SQS, d.URLs["events"])
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
