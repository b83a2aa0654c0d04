package awsclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	"github.com/aws/smithy-go"
)

// Explain turns an SDK error into one line that says what to do: an
// unreachable endpoint, a missing queue or table, or the service's own error
// code and message instead of the SDK's full chain. Other errors come back
// unchanged. The original stays wrapped for errors.Is and errors.As.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var op *smithy.OperationError
	where := ""
	if errors.As(err, &op) {
		where = op.ServiceID + " " + op.OperationName + ": "
	}
	var ue *url.Error
	var ne *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &ne) && ne.Op == "dial":
		target := ""
		if errors.As(err, &ue) {
			target = " " + ue.URL
		}
		return &explained{fmt.Sprintf("%scannot reach%s: is the endpoint right and running? (local stack: make up; AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_DYNAMODB)", where, target), err}
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist":
			return &explained{where + "queue does not exist: provision the deployment (regctl provision) or check the prefix", err}
		case "ResourceNotFoundException":
			return &explained{where + "table does not exist: provision the deployment (regctl provision) or check the prefix", err}
		}
		return &explained{fmt.Sprintf("%s%s: %s", where, api.ErrorCode(), api.ErrorMessage()), err}
	}
	return err
}

// explained is an error with a short message that still unwraps to its cause.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }
