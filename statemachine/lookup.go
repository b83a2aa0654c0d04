package statemachine

// Lookup names one status look-up a reconciliation asks a downstream before
// it re-sends anything: what the registry decided about a brand, a campaign
// or a campaign's opt-in evidence, what one carrier decided about a
// campaign, or what number registration decided about a number.
type Lookup struct {
	To   Destination `json:"to"`   // ToRegistry, a carrier's destination, ToNumbers or ToTemporal (the bridge)
	Kind Kind        `json:"kind"` // the record's kind
	ID   string      `json:"id"`   // the record's id in this system
	// Of names the part of the record a downstream reviews on its own:
	// empty for the record, LookupEvidence for a campaign's opt-in
	// evidence (flow v2), which the registry holds apart from the
	// campaign, so that a lost evidence submission reads as not found.
	Of string `json:"of,omitempty"`
	// Ref names the command the look-up asks about, for a downstream that
	// keeps one answer per command: the bridge, whose workflow for a
	// delegated step is the command's (its event id). Empty otherwise.
	Ref string `json:"ref,omitempty"`
}

// LookupEvidence is the Lookup.Of of the registry's review of a campaign's
// opt-in evidence.
const LookupEvidence = "evidence"

// Observation is a downstream's answer to a [Lookup].
type Observation struct {
	Lookup Lookup `json:"lookup"`
	// Found says the downstream has a record of a request for the record.
	// When false, nothing the record waits for can come from it: the request
	// never arrived or went missing, and only a re-send can help.
	Found bool `json:"found"`
	// Events are the downstream's decisions so far, oldest first, as the
	// events their webhooks translate to, with the same event ids: applying
	// one whose webhook arrives later is recognised as a duplicate.
	Events []Envelope `json:"events,omitempty"`
}
