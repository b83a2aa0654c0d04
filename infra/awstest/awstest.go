// Package awstest gives integration tests clients for the local emulators that
// `make test` starts, and unique resource names so tests never share state.
//
// Without AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_DYNAMODB a test using it is
// skipped, so `go test ./...` runs the unit tests anywhere; `make test` sets
// TENDLC_REQUIRE_EMULATORS=1, which turns that skip into a failure.
package awstest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/awsclient"
)

// Config returns the AWS configuration pointing at the emulators, or skips tb.
func Config(tb testing.TB) aws.Config {
	tb.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_SQS") == "" || os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		if os.Getenv("TENDLC_REQUIRE_EMULATORS") != "" {
			tb.Fatal("emulators required but AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB are not set")
		}
		tb.Skip("integration test: needs the local emulators (run it through `make test`)")
	}
	cfg, err := awsclient.Load(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// SQS returns an SQS client for the emulator, or skips tb.
func SQS(tb testing.TB) *sqs.Client { tb.Helper(); return awsclient.SQS(Config(tb)) }

// DynamoDB returns a DynamoDB client for the emulator, or skips tb.
func DynamoDB(tb testing.TB) *dynamodb.Client { tb.Helper(); return awsclient.DynamoDB(Config(tb)) }

// Prefix returns a resource-name prefix unique to this test run, like "t3f9a0c1b-".
func Prefix(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + "-"
}

// Depth returns how many messages a queue holds: visible, in flight and
// delayed. The emulator's counters are exact.
func Depth(tb testing.TB, api *sqs.Client, url string) int {
	tb.Helper()
	out, err := api.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		c, err := strconv.Atoi(v)
		if err != nil {
			tb.Fatalf("queue counter %q: %v", v, err)
		}
		n += c
	}
	return n
}
