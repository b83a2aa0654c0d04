package tcr

import (
	"context"
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// Do performs the command cmd (one of the statemachine Cmd* types) with the
// matching endpoint. The command's event id is the idempotency key, so a
// repeated command is recognisable downstream, and its correlation id travels
// along. It returns the downstream's external id, the endpoint's error, or an
// error wrapping ErrInvalidRequest and statemachine.ErrMalformed (permanent:
// sending it again cannot help) for a command it does not know or whose
// payload does not decode.
func (c *Client) Do(ctx context.Context, cmd statemachine.Envelope) (string, error) {
	m := Meta{IdempotencyKey: cmd.EventID, CorrelationID: cmd.CorrelationID}
	id := cmd.EntityID
	var (
		res Result
		err error
	)
	switch cmd.Type {
	case statemachine.CmdSubmitBrand:
		res, err = withPayload(cmd, func(p statemachine.BrandRegistration) (Result, error) { return c.SubmitBrand(ctx, id, m, p) })
	case statemachine.CmdRevetBrand:
		res, err = c.RevetBrand(ctx, id, m)
	case statemachine.CmdDeleteBrand:
		res, err = c.DeleteBrand(ctx, id, m)
	case statemachine.CmdSubmitCampaign:
		res, err = withPayload(cmd, func(p statemachine.CampaignRegistration) (Result, error) { return c.SubmitCampaign(ctx, id, m, p) })
	case statemachine.CmdSubmitEvidence:
		res, err = withPayload(cmd, func(p statemachine.Evidence) (Result, error) { return c.SubmitEvidence(ctx, id, m, p) })
	case statemachine.CmdDeleteCampaign:
		res, err = c.DeleteCampaign(ctx, id, m)
	case statemachine.CmdCarrierSubmit:
		res, err = withPayload(cmd, func(p statemachine.CarrierUpdate) (Result, error) { return c.SubmitToCarrier(ctx, id, m, p) })
	case statemachine.CmdRegisterNumber:
		res, err = withPayload(cmd, func(p statemachine.NumberRegistration) (Result, error) { return c.RegisterNumber(ctx, id, m, p) })
	case statemachine.CmdDeregisterNumber:
		res, err = withPayload(cmd, func(p statemachine.NumberRegistration) (Result, error) { return c.DeregisterNumber(ctx, id, m, p) })
	default:
		return "", fmt.Errorf("%w: %w: unknown command %q", ErrInvalidRequest, statemachine.ErrMalformed, cmd.Type)
	}
	return res.ExternalID, err
}

// withPayload decodes the command's payload and calls f with it.
func withPayload[T any](cmd statemachine.Envelope, f func(T) (Result, error)) (Result, error) {
	p, err := statemachine.DecodePayload[T](cmd.Payload)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w: payload of %s: %v", ErrInvalidRequest, statemachine.ErrMalformed, cmd.Type, err)
	}
	return f(p)
}
