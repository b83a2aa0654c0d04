// Package awsclient builds the AWS SDK clients of every binary from the
// standard configuration chain (AWS_REGION, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_DYNAMODB, credentials) and nothing else.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Load reads the shared AWS configuration. Its error is one actionable line.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
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
