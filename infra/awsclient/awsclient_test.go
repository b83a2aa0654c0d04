package awsclient

import (
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// TestLoadKeepsIdleConnectionsForTheCallsInFlight: the SDK's default keeps
// 10 idle connections per endpoint, fewer than a replica's calls in flight.
func TestLoadKeepsIdleConnectionsForTheCallsInFlight(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("HTTP client is %T, want the SDK's buildable client", cfg.HTTPClient)
	}
	if tr := c.GetTransport(); tr.MaxIdleConnsPerHost != maxIdleConnsPerHost || tr.MaxIdleConns < maxIdleConnsPerHost {
		t.Errorf("idle connections: %d per host, %d in all; want %d per host", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, maxIdleConnsPerHost)
	}
}
