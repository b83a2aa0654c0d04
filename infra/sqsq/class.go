package sqsq

import (
	"errors"

	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
)

var _ retry.Classifier = ClassifyAWS

// requestIsWrong are the AWS error codes that blame the request itself:
// sending it again cannot succeed.
var requestIsWrong = map[string]struct{}{
	"ValidationException": {}, "SerializationException": {}, "InvalidParameterValue": {},
	"InvalidParameterCombination": {}, "MissingParameter": {}, "InvalidAttributeValue": {},
	"MessageTooLong": {}, "InvalidMessageContents": {}, "ItemCollectionSizeLimitExceededException": {},
}

// ClassifyAWS is the [retry.Classifier] of the AWS SDK's errors (SQS's and
// DynamoDB's alike), by their smithy API error code, fault and HTTP status:
// throttling codes are throttled, request-timeout codes and a 408 time out, a
// 5xx or a server fault is the server's, a code that blames the request is
// permanent (retry.ClassClient), and any other AWS error is ClassUnknown: a
// throttled transaction (400 TransactionCanceledException), expiring
// credentials, a queue being recreated say nothing against the message, so
// it is retried within its policy's bounds instead of dead-lettered at once.
// It returns "" for an error that is not an AWS API error.
func ClassifyAWS(err error) retry.Class {
	apiErr, ok := errors.AsType[smithy.APIError](err)
	if !ok {
		return ""
	}
	if _, ok := awsretry.DefaultThrottleErrorCodes[apiErr.ErrorCode()]; ok {
		return retry.ClassThrottled
	}
	if _, ok := awsretry.DefaultRetryableErrorCodes[apiErr.ErrorCode()]; ok {
		return retry.ClassTimeout // RequestTimeout, RequestTimeoutException
	}
	// The response's status, as message.ClassifyStatus reads it for every
	// caller: a 5xx is the server's, a 408 a timeout.
	st, hasStatus := message.StatusOf(err)
	if (hasStatus && st.Code >= 500) || apiErr.ErrorFault() == smithy.FaultServer {
		return retry.ClassServer
	}
	if hasStatus && st.Class == message.StatusTimeout {
		return retry.ClassTimeout
	}
	if _, ok := requestIsWrong[apiErr.ErrorCode()]; ok {
		return retry.ClassClient
	}
	return retry.ClassUnknown
}
