package tcr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/tendlc/tendlc/statemachine"
)

// lookupAnswer is the body of a status look-up's 200 answer.
type lookupAnswer struct {
	Events []WebhookEvent `json:"events"` // the decisions so far, oldest first
}

// Lookup asks a downstream what it decided about a record: the status look-up
// a reconciliation makes before it re-sends a command.
//
//	(ToRegistry, KindBrand)                    GET /registry/brands/{id}
//	(ToRegistry, KindCampaign)                 GET /registry/campaigns/{id}
//	(ToRegistry, KindCampaign, LookupEvidence) GET /registry/campaigns/{id}/evidence
//	(ToTemporal, KindCampaign, LookupEvidence) GET /delegated/evidence/{id}/{ref} (the bridge's: Ref, the command)
//	(ToATT|ToTMobile|ToVerizon, KindCampaign)  GET /carriers/{carrier}/campaigns/{id}
//	(ToNumbers, KindNumber)                    GET /numbers/{id}
//
// A 200 answer {"events":[...]} lists webhook events: each is translated with
// [Translate], so its envelope's EventID is the one the webhook of the same
// decision yields, and the events queue recognises whichever comes second.
// The Observation is Found, with the envelopes oldest first; informational
// events and event types this package does not know are left out. A 404
// answer is an Observation that is not Found, and a nil error: the downstream
// has no record of a request for the record, so only a re-send can help.
//
// Errors, wrapped with the look-up's context: ErrInvalidRequest for any other
// (To, Kind) or an empty id (nothing is sent); a *[HTTPError] for any other
// non-2xx answer (a 429 with its RetryAfter); the transport's errors, as for
// every call; a decoding error for a 200 answer that is not a list of events
// about l.ID, wrapping ErrInvalidEvent for an event that does not validate.
func (c *Client) Lookup(ctx context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	op := fmt.Sprintf("look up %s %s at %s", l.Kind, l.ID, l.To)
	segments, err := lookupPath(l)
	if err != nil {
		return statemachine.Observation{}, fmt.Errorf("%s: %w", op, err)
	}
	_, answer, err := c.do(ctx, http.MethodGet, segments, Meta{}, nil)
	if herr, ok := errors.AsType[*HTTPError](err); ok && herr.Status == http.StatusNotFound {
		return statemachine.Observation{Lookup: l}, nil
	}
	if err != nil {
		return statemachine.Observation{}, fmt.Errorf("%s: %w", op, err)
	}
	events, err := observed(l, answer)
	if err != nil {
		return statemachine.Observation{}, fmt.Errorf("%s: decode 200 answer: %w", op, err)
	}
	return statemachine.Observation{Lookup: l, Found: true, Events: events}, nil
}

// lookupPath returns the path segments of the look-up l, or an error wrapping
// ErrInvalidRequest when no endpoint answers it.
func lookupPath(l statemachine.Lookup) ([]string, error) {
	if err := checkID(l.ID); err != nil {
		return nil, err
	}
	switch {
	case l.Of == statemachine.LookupEvidence && l.To == statemachine.ToRegistry && l.Kind == statemachine.KindCampaign:
		return []string{"registry", "campaigns", l.ID, "evidence"}, nil
	case l.Of == statemachine.LookupEvidence && l.To == statemachine.ToTemporal && l.Kind == statemachine.KindCampaign && l.Ref != "":
		return []string{"delegated", "evidence", l.ID, l.Ref}, nil
	case l.Of != "":
	case l.To == statemachine.ToRegistry && l.Kind == statemachine.KindBrand:
		return []string{"registry", "brands", l.ID}, nil
	case l.To == statemachine.ToRegistry && l.Kind == statemachine.KindCampaign:
		return []string{"registry", "campaigns", l.ID}, nil
	case statemachine.Carrier(l.To).MNOID() != 0 && l.Kind == statemachine.KindCampaign:
		return []string{"carriers", string(l.To), "campaigns", l.ID}, nil
	case l.To == statemachine.ToNumbers && l.Kind == statemachine.KindNumber:
		return []string{"numbers", l.ID}, nil
	}
	if l.Of != "" {
		return nil, fmt.Errorf("%w: %q has no status look-up of a %q's %q", ErrInvalidRequest, l.To, l.Kind, l.Of)
	}
	return nil, fmt.Errorf("%w: %q has no status look-up of a %q", ErrInvalidRequest, l.To, l.Kind)
}

// observed decodes a look-up's 200 answer into the envelopes its events
// translate to, oldest first, checking that each is about the record l names.
func observed(l statemachine.Lookup, answer []byte) ([]statemachine.Envelope, error) {
	var doc lookupAnswer
	if err := json.Unmarshal(answer, &doc); err != nil {
		return nil, err
	}
	var out []statemachine.Envelope
	for i, ev := range doc.Events {
		envs, err := Translate(ev)
		if errors.Is(err, ErrUnknownEventType) {
			continue // registries add event types; a webhook receiver ignores them too
		}
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		for _, env := range envs {
			if env.EntityID != l.ID || env.Type.Kind() != l.Kind {
				return nil, fmt.Errorf("event %d (%s) is about %s %q, not %s %q", i, ev.EventID, env.Type.Kind(), env.EntityID, l.Kind, l.ID)
			}
		}
		out = append(out, envs...)
	}
	slices.SortStableFunc(out, func(a, b statemachine.Envelope) int { return a.OccurredAt.Compare(b.OccurredAt) })
	return out, nil
}
