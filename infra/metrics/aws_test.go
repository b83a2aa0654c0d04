package metrics

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendlc/tendlc/infra/fault"
)

// fakeAWS answers requests with the next of its statuses (200 once they run
// out) and an empty JSON body, and counts the requests it received.
type fakeAWS struct {
	mu       sync.Mutex
	statuses []int
	received int
}

func (f *fakeAWS) Do(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.received++
	status := http.StatusOK
	if len(f.statuses) > 0 {
		status, f.statuses = f.statuses[0], f.statuses[1:]
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// noWait is a retryer that retries at once.
func noWait() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func fakeSQS(api *fakeAWS, optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://sqs.test"),
		Credentials: aws.AnonymousCredentials{}, HTTPClient: api, Retryer: noWait()}, optFns...)
}

func fakeDynamoDB(api *fakeAWS, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://dynamodb.test"),
		Credentials: aws.AnonymousCredentials{}, HTTPClient: api, Retryer: noWait()}, optFns...)
}

func TestAWSRequestsAreCountedByServiceAndOperation(t *testing.T) {
	deleteMessage := func(t *testing.T, c *sqs.Client) error {
		_, err := c.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String("http://sqs.test/q"), ReceiptHandle: aws.String("r")})
		return err
	}
	tests := []struct {
		name         string
		statuses     []int
		faults       fault.Config
		call         func(t *testing.T, m *Metrics, api *fakeAWS, faults *fault.Injector) error
		series       []string // service and operation
		wantErr      bool
		want, wantRx int // counted, and received by the fake
	}{
		{name: "one SQS request", call: func(t *testing.T, m *Metrics, api *fakeAWS, _ *fault.Injector) error {
			return deleteMessage(t, fakeSQS(api, m.CountSQS()))
		}, series: []string{"sqs", "DeleteMessage"}, want: 1, wantRx: 1},
		{name: "a retry is a request too", statuses: []int{http.StatusInternalServerError},
			call: func(t *testing.T, m *Metrics, api *fakeAWS, _ *fault.Injector) error {
				return deleteMessage(t, fakeSQS(api, m.CountSQS()))
			}, series: []string{"sqs", "DeleteMessage"}, want: 2, wantRx: 2},
		{name: "a DynamoDB request", call: func(t *testing.T, m *Metrics, api *fakeAWS, _ *fault.Injector) error {
			_, err := fakeDynamoDB(api, m.CountDynamoDB()).GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"),
				Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}})
			return err
		}, series: []string{"dynamodb", "GetItem"}, want: 1, wantRx: 1},
		{name: "a fault answered before sending is no request", faults: fault.Config{Throttle: 1},
			call: func(t *testing.T, m *Metrics, api *fakeAWS, faults *fault.Injector) error {
				return deleteMessage(t, fakeSQS(api, faults.SQS(), m.CountSQS()))
			}, series: []string{"sqs", "DeleteMessage"}, wantErr: true, want: 0, wantRx: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(Config{Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			api := &fakeAWS{statuses: tt.statuses}
			err = tt.call(t, m, api, fault.New(tt.faults))
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("call error = %v, want an error: %v", err, tt.wantErr)
			}
			if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.series...)); got != float64(tt.want) {
				t.Errorf("%v requests counted = %v, want %d", tt.series, got, tt.want)
			}
			if got := api.received; got != tt.wantRx {
				t.Errorf("requests received = %d, want %d", got, tt.wantRx)
			}
		})
	}
}
