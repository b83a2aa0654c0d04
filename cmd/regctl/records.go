package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
)

// inferOrder is the order in which commands given a record id without a kind
// look for it.
var inferOrder = []statemachine.Kind{statemachine.KindCampaign, statemachine.KindBrand, statemachine.KindNumber}

// kindFlag declares --kind for commands that find records by id.
func kindFlag(fs *flag.FlagSet) *string {
	return fs.String("kind", "", "the record kind `K`: brand, campaign or number (default: try campaign, brand, number)")
}

// parseKindFlag returns the kind of a --kind value, "" when none was given,
// or a usage error.
func parseKindFlag(s string) (statemachine.Kind, error) {
	if s == "" {
		return "", nil
	}
	k, err := statemachine.ParseKind(s)
	if err != nil {
		return "", usageErrorf("--kind: %v", err)
	}
	return k, nil
}

// findRecord reads record id of kind, or without a kind, the first record
// with that id of the kinds in inferOrder. It returns an error wrapping
// statemachine.ErrNotFound when there is none, and the store's other errors.
func findRecord(ctx context.Context, store *dynamo.Store, kind statemachine.Kind, id string) (*statemachine.Record, error) {
	kinds := inferOrder
	if kind != "" {
		kinds = []statemachine.Kind{kind}
	}
	for _, k := range kinds {
		r, err := store.Get(ctx, k, id)
		if errors.Is(err, statemachine.ErrNotFound) {
			continue
		}
		return r, err
	}
	if kind != "" {
		return nil, fmt.Errorf("no %s %q: %w", kind, id, statemachine.ErrNotFound)
	}
	return nil, fmt.Errorf("no campaign, brand or number %q: %w", id, statemachine.ErrNotFound)
}
