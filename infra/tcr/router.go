package tcr

import (
	"context"
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// ErrNoRoute is returned by [Router.Lookup] for a look-up whose client is
// not configured.
var ErrNoRoute = errors.New("no client for the destination")

// Router answers the sweeper's status look-ups from two clients: the
// bridge's (regtemporal bridge) for the steps delegated to it
// (statemachine.ToTemporal), and the downstreams' for every other
// destination.
type Router struct {
	Downstreams *Client // the registry, the carriers, number registration; nil for none
	Bridge      *Client // the bridge; nil for none
}

// NewRouter returns the router of the downstreams at downstreamURL and of
// the bridge at bridgeURL, either "" for none.
func NewRouter(downstreamURL, bridgeURL string) (Router, error) {
	var r Router
	var errs []error
	var err error
	if downstreamURL != "" {
		if r.Downstreams, err = NewClient(ClientConfig{BaseURL: downstreamURL}); err != nil {
			errs = append(errs, fmt.Errorf("downstreams: %w", err))
		}
	}
	if bridgeURL != "" {
		if r.Bridge, err = NewClient(ClientConfig{BaseURL: bridgeURL}); err != nil {
			errs = append(errs, fmt.Errorf("bridge: %w", err))
		}
	}
	return r, errors.Join(errs...)
}

// Lookup asks l of the bridge for statemachine.ToTemporal, of the
// downstreams otherwise (see [Client.Lookup]). It returns an error wrapping
// ErrNoRoute, and asks nothing, when that client is nil.
func (r Router) Lookup(ctx context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	c := r.Downstreams
	if l.To == statemachine.ToTemporal {
		c = r.Bridge
	}
	if c == nil {
		return statemachine.Observation{}, fmt.Errorf("look up %s %s at %s: %w", l.Kind, l.ID, l.To, ErrNoRoute)
	}
	return c.Lookup(ctx, l)
}
