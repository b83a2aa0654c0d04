package fault

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// answerError draws a throttle or a server error, as the service would
// answer them after the SDK gave up retrying, or nil.
func (i *Injector) answerError() error {
	switch {
	case i.hit(Throttles, i.cfg.Throttle):
		return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "rate exceeded (fault injected)", Fault: smithy.FaultServer}
	case i.hit(ServerErrors, i.cfg.ServerError):
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError}},
			Err:      errors.New("internal failure (fault injected)"),
		}}
	}
	return nil
}
