package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// Error types of the activities' application errors, which workflows tell
// apart with temporal.ApplicationError's Type.
const (
	// ErrTypeRefused: the downstream refused the request with a reason code
	// (an invalid EIN, a high-risk campaign); its details hold the
	// statemachine.Reason. Not retried.
	ErrTypeRefused = "refused"
	// ErrTypeMalformed: the command cannot be sent (a bug). Not retried.
	ErrTypeMalformed = "malformed"
	// ErrTypeBrandOpen: the brand's workflow has not ended yet. Retried.
	ErrTypeBrandOpen = "brand_open"
)

// Activities are the flow's calls to the world: the downstreams (registry,
// carriers, number registration) through the same HTTP client as the
// baseline's dispatchers, and Temporal itself for a brand's outcome. Their
// retries are the activities' RetryPolicy, set by the workflows.
type Activities struct {
	Downstream *tcr.Client
	Temporal   client.Client
	Settings   Settings
	// Events is the legacy events queue, where a delegated step reports its
	// result (ReportResult); nil on a worker that runs no delegated step.
	Events EventSender
}

// Call performs command cmd downstream and returns the downstream's external
// id. The command's event id is the idempotency key: the workflow derives it
// from its own id and step, so every retry of one call repeats the key. A
// refusal is a non-retryable ErrTypeRefused error holding the reason; a 429's
// Retry-After sets the next retry's delay.
func (a *Activities) Call(ctx context.Context, cmd statemachine.Envelope) (string, error) {
	id, err := a.Downstream.Do(ctx, cmd)
	return id, classify(err)
}

// Lookup asks a downstream what it decided about a record: the
// reconciliation a workflow runs when a wait passes its threshold.
func (a *Activities) Lookup(ctx context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	obs, err := a.Downstream.Lookup(ctx, l)
	return obs, classify(err)
}

// BrandOutcome returns the state a brand's workflow ended in, read from its
// search attribute (FAILED for a workflow that did not complete); an
// ErrTypeBrandOpen error (retried) while it runs or does not exist yet. A campaign calls it when its brand's workflow could not
// be signalled (it had ended, or was not started yet).
func (a *Activities) BrandOutcome(ctx context.Context, brandID string) (statemachine.State, error) {
	d, err := a.Temporal.DescribeWorkflowExecution(ctx, WorkflowID(statemachine.KindBrand, brandID), "")
	if _, ok := errors.AsType[*serviceerror.NotFound](err); ok {
		return "", temporal.NewApplicationError("brand "+brandID+" has no workflow yet", ErrTypeBrandOpen)
	}
	if err != nil {
		return "", fmt.Errorf("describe brand %s: %w", brandID, err)
	}
	info := d.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "", temporal.NewApplicationError("brand "+brandID+" still open", ErrTypeBrandOpen)
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
	default:
		// Failed, cancelled, terminated or timed out: it will not verify.
		return statemachine.Failed, nil
	}
	var state string
	p, ok := info.GetSearchAttributes().GetIndexedFields()[AttrState]
	if !ok {
		return "", fmt.Errorf("brand %s completed without its state", brandID)
	}
	if err := converter.GetDefaultDataConverter().FromPayload(p, &state); err != nil {
		return "", fmt.Errorf("brand %s state: %w", brandID, err)
	}
	return statemachine.State(state), nil
}

// classify turns a downstream error into the application error the
// workflow's retry policy and decisions need.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, tcr.ErrInvalidRequest) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeMalformed, err)
	}
	he, ok := errors.AsType[*tcr.HTTPError](err)
	switch {
	case !ok:
		return err
	case !he.Retryable():
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRefused, err,
			statemachine.Reason{Code: he.Code, Description: he.Message})
	case he.RetryAfter > 0:
		return temporal.NewApplicationErrorWithOptions(err.Error(), "", temporal.ApplicationErrorOptions{
			Cause: err, NextRetryDelay: min(he.RetryAfter, tcr.MaxRetryAfter)})
	}
	return err
}

// callTimeout bounds one attempt of a downstream call: the HTTP client's
// own timeout and a little more, so that the attempt of a worker that died
// is retried soon after (the baseline's messages come back after the
// visibility timeout).
const callTimeout = tcr.DefaultTimeout + 2*time.Second
