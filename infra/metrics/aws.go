package metrics

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// Services of tendlc_aws_requests_total.
const (
	serviceSQS      = "sqs"
	serviceDynamoDB = "dynamodb"
)

// awsMetrics counts the requests the SDK clients send: what AWS bills by.
type awsMetrics struct {
	requests *prometheus.CounterVec
}

func newAWSMetrics() awsMetrics {
	return awsMetrics{
		requests: counter("aws_requests_total",
			"Requests sent to AWS, by service (sqs, dynamodb) and operation; every attempt counts, the SDK's retries included.",
			"service", "operation"),
	}
}

func (a awsMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.requests}
}

// CountSQS returns the client option that counts an SQS client's requests
// in tendlc_aws_requests_total.
func (a awsMetrics) CountSQS() func(*sqs.Options) {
	return func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, a.count(serviceSQS)) }
}

// CountDynamoDB returns the client option that counts a DynamoDB client's
// requests in tendlc_aws_requests_total.
func (a awsMetrics) CountDynamoDB() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, a.count(serviceDynamoDB)) }
}

// count adds a middleware at the end of the finalize step, after the SDK's
// retry middleware, so that it sees every attempt sent, and none that a
// middleware before it (the fault layer) answered without sending.
func (a awsMetrics) count(service string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("tendlc-metrics-requests",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				a.requests.WithLabelValues(service, awsmiddleware.GetOperationName(ctx)).Inc()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}
