// Package awsclient builds the AWS SDK clients of every binary from the
// standard configuration chain (AWS_REGION, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_DYNAMODB, credentials) and nothing else.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// maxIdleConnsPerHost is how many idle connections the SDK's HTTP client
// keeps per endpoint. Its default, 10, is below the calls a replica has in
// flight to one endpoint (the events handlers and the outbound ones, 16 each
// by default): every call beyond it closed its connection on return and the
// next one dialled a new one (3% of regd's CPU in the ceiling profile, and
// the emulator's accepts besides).
const maxIdleConnsPerHost = 256

// Load reads the shared AWS configuration, with an HTTP client that keeps
// enough idle connections for the calls in flight (an option given by the
// caller overrides it). Its error is one actionable line.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	client := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 2*maxIdleConnsPerHost, maxIdleConnsPerHost
	})
	optFns = append([]func(*config.LoadOptions) error{config.WithHTTPClient(client)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("AWS region not set: export AWS_REGION (for the local stack: eval \"$(infra/local/stack.sh env)\")")
	}
	return cfg, nil
}

// SQS returns an SQS client for cfg.
func SQS(cfg aws.Config, optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.NewFromConfig(cfg, optFns...)
}

// DynamoDB returns a DynamoDB client for cfg. Against a custom endpoint (DynamoDB
// Local) it skips response checksum validation: the emulator's error responses
// carry no x-amz-crc32, and the SDK would log a warning for each.
func DynamoDB(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" {
		optFns = append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
			o.DisableValidateResponseChecksum = true
		}}, optFns...)
	}
	return dynamodb.NewFromConfig(cfg, optFns...)
}
