package statemachine

import (
	"fmt"
	"strings"
)

// Kind is a record kind.
type Kind string

// The record kinds, in registration order.
const (
	KindBrand    Kind = "brand"
	KindCampaign Kind = "campaign"
	KindNumber   Kind = "number"
)

// Kinds lists every record kind in registration order.
var Kinds = []Kind{KindBrand, KindCampaign, KindNumber}

// ParseKind returns the kind named s, or an error naming the valid kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown kind %q (want brand, campaign or number)", s)
}

// State is the state of a record. State names are unique within a kind.
type State string

// StateNone is the pseudo-state of a record that does not exist yet. Creating
// events are the only ones that transition out of it.
const StateNone State = "NONE"

// EventType names an event (something that happened, applied to a record) or a
// command (a request to a downstream). Its prefix up to the first dot is the
// kind of record it applies to, or the downstream it is meant for.
type EventType string

// Kind returns the record kind an event type applies to, or "" for a command.
func (t EventType) Kind() Kind {
	prefix, _, _ := strings.Cut(string(t), ".")
	for _, k := range Kinds {
		if string(k) == prefix {
			return k
		}
	}
	return ""
}
