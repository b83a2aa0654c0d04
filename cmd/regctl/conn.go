package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// conn is one tendlc deployment as the commands reach it: its resource
// set and the AWS clients.
type conn struct {
	set resources.Set
	sqs *sqs.Client
	db  *dynamodb.Client
}

// connect loads the AWS configuration (AWS_REGION, credentials,
// AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB) and returns the
// deployment whose resource names start with prefix.
func connect(ctx context.Context, prefix string) (*conn, error) {
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{set: resources.Default(prefix), sqs: awsclient.SQS(cfg), db: awsclient.DynamoDB(cfg)}, nil
}

// store returns the record store of the deployment.
func (d *conn) store() (*dynamo.Store, error) {
	return dynamo.New(d.db, dynamo.Config{Table: d.set.TableName()})
}

// queueURL returns the URL of a logical queue, or an error wrapping
// *types.QueueDoesNotExist.
func (d *conn) queueURL(ctx context.Context, logical string) (string, error) {
	out, err := d.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(d.set.QueueName(logical))})
	if err != nil {
		return "", fmt.Errorf("get URL of queue %s: %w", logical, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// producer returns a producer that sends to the deployment's events queue.
func (d *conn) producer(ctx context.Context) (*sqsq.Producer, error) {
	url, err := d.queueURL(ctx, string(statemachine.ToEvents))
	if err != nil {
		return nil, err
	}
	return sqsq.NewProducer(d.sqs, url)
}

// busyQueues tells which outbound queues hold messages. A queue that cannot
// be read is left out (not reported busy): the listing stays useful when SQS
// is out of reach.
func (d *conn) busyQueues(ctx context.Context) map[statemachine.Destination]bool {
	busy := map[statemachine.Destination]bool{}
	for _, dest := range statemachine.Queues()[1:] {
		url, err := d.queueURL(ctx, string(dest))
		if err != nil {
			continue
		}
		if depth, err := sqsq.QueueDepth(ctx, d.sqs, url); err == nil {
			busy[dest] = depth.Total() > 0
		}
	}
	return busy
}
