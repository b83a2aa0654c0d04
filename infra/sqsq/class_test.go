package sqsq_test

import (
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/retry"
)

// awsError builds the error chain the SDK returns for a failed call: an
// operation error around an HTTP response error around the API error.
func awsError(status int, api error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: &awshttp.ResponseError{
		RequestID: "req-1",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      api,
		},
	}}
}

func apiError(code string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: "from the service", Fault: fault}
}

func TestClassifyAWS(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want retry.Class
	}{
		{"throttling exception", awsError(400, apiError("ThrottlingException", smithy.FaultClient)), retry.ClassThrottled},
		{"provisioned throughput exceeded", awsError(400, apiError("ProvisionedThroughputExceededException", smithy.FaultClient)), retry.ClassThrottled},
		{"request limit exceeded", awsError(400, apiError("RequestLimitExceeded", smithy.FaultClient)), retry.ClassThrottled},
		{"too many requests exception", awsError(400, apiError("TooManyRequestsException", smithy.FaultClient)), retry.ClassThrottled},
		{"AWS request timeout", awsError(400, apiError("RequestTimeout", smithy.FaultClient)), retry.ClassTimeout},
		{"AWS 500", awsError(500, apiError("InternalServerError", smithy.FaultServer)), retry.ClassServer},
		{"AWS 408 with a code the SDK does not list", awsError(408, apiError("GatewayTimeout", smithy.FaultClient)), retry.ClassTimeout},
		{"AWS server fault without a status", apiError("ServiceUnavailable", smithy.FaultServer), retry.ClassServer},
		{"AWS 400 validation", awsError(400, apiError("ValidationException", smithy.FaultClient)), retry.ClassClient},
		{"AWS 400 throttled transaction", awsError(400, apiError("TransactionCanceledException", smithy.FaultClient)), retry.ClassUnknown},
		{"AWS 400 expired credentials", awsError(400, apiError("ExpiredTokenException", smithy.FaultClient)), retry.ClassUnknown},
		{"AWS 400 queue being recreated", awsError(400, apiError("AWS.SimpleQueueService.NonExistentQueue", smithy.FaultClient)), retry.ClassUnknown},
		{"not an AWS error", statusError(503), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqsq.ClassifyAWS(tt.err); got != tt.want {
				t.Errorf("ClassifyAWS(%v) = %q, want %q", tt.err, got, tt.want)
			}
			// As the retry middleware classifies it: the AWS classifier's
			// answer wins over the status the error carries.
			want := tt.want
			if want == "" {
				want = retry.ClassServer
			}
			if got := retry.Classify(tt.err, sqsq.ClassifyAWS); got != want {
				t.Errorf("retry.Classify(%v, ClassifyAWS) = %q, want %q", tt.err, got, want)
			}
		})
	}
}
