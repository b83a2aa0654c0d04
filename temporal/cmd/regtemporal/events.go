package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// eventsQueue is the legacy deployment's queues a command reaches, as the
// --prefix and --events-queue-url flags name them (the AWS configuration is
// the standard one: AWS_REGION, AWS_ENDPOINT_URL_SQS, credentials).
type eventsQueue struct {
	prefix, eventsURL string
}

// flags adds --prefix (default prefix) and --events-queue-url to fs.
func (q *eventsQueue) flags(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&q.prefix, "prefix", envOr("TENDLC_PREFIX", prefix), "resource `prefix` of the legacy deployment's queues (env TENDLC_PREFIX)")
	fs.StringVar(&q.eventsURL, "events-queue-url", envOr("TENDLC_EVENTS_QUEUE_URL", ""), "the legacy events queue's `URL` (env TENDLC_EVENTS_QUEUE_URL); default: the events queue of --prefix")
}

// set reports whether the flags name the events queue.
func (q eventsQueue) set() bool { return q.prefix != "" || q.eventsURL != "" }

// sqs returns an SQS client of the standard AWS configuration.
func (eventsQueue) sqs(ctx context.Context) (*sqs.Client, error) {
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return awsclient.SQS(cfg), nil
}

// url returns the URL of the logical queue of --prefix.
func (q eventsQueue) url(ctx context.Context, api sqsq.API, logical string) (string, error) {
	name := resources.Default(q.prefix).QueueName(logical)
	out, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", awsclient.Explain(fmt.Errorf("find the queue %s: %w", name, err))
	}
	return aws.ToString(out.QueueUrl), nil
}

// producer returns the producer of the events queue, on api (nil: a client
// of the standard AWS configuration).
func (q eventsQueue) producer(ctx context.Context, api sqsq.API) (*sqsq.Producer, error) {
	if api == nil {
		var err error
		if api, err = q.sqs(ctx); err != nil {
			return nil, err
		}
	}
	url := q.eventsURL
	if url == "" {
		var err error
		if url, err = q.url(ctx, api, string(statemachine.ToEvents)); err != nil {
			return nil, err
		}
	}
	return sqsq.NewProducer(api, url)
}
