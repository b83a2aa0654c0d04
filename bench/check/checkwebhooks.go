package check

import (
	"slices"
	"strings"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// webhookFigures count the webhook events of the journal and how each was
// accounted for.
type webhookFigures struct {
	Events     int                            `json:"events"`     // distinct webhook events (by event id)
	Deliveries map[tcrsim.DeliveryOutcome]int `json:"deliveries"` // journal lines by delivery: delivered, duplicate, failed, dropped
	// Informational events translate to no internal event
	// (CAMPAIGN_SHARE_ADD, CAMPAIGN_RESUBMISSION).
	Informational int `json:"informational"`
	// Applied: the translated event id is a message id in the record's audit.
	Applied int `json:"applied"`
	// Ignorable: not applied, and the record's final state ignores the event
	// (stale or duplicate).
	Ignorable int `json:"ignorable"`
	// Superseded: not applied, and the record's final state would take the
	// event's transition cell but its guard ignores it (a carrier's review
	// after its verdict, an approval already counted).
	Superseded int `json:"superseded"`
	// Vanished: none of the above: each is a violation.
	Vanished int `json:"vanished"`
	// FromWebhooks counts the applied audit items written by webhook events
	// (actor "webhook"), each traced back to a webhook of the journal.
	FromWebhooks int `json:"applied_from_webhooks"`
}

// checkWebhooks accounts for every webhook event the simulator emitted
// (delivered, duplicated, failed or dropped), translated as the webhook shim
// translates it (tcr.Translate: the envelope ids are deterministic): applied
// (its id is in the record's audit), ignorable in the record's final state,
// or superseded (statemachine.Decide on the final record ignores it).
// Anything else vanished.
//
// The other way round, every audit item a webhook event wrote (the shim's
// and the sweeper's look-ups' envelopes carry actor "webhook") must trace
// back to a webhook of the journal about the record, and a campaign that
// reached APPROVED must have applied an approval of every carrier: an
// approval that vanished while the campaign moved on anyway is found there,
// where its staleness in the final state would hide it.
func (c *checker) checkWebhooks() {
	f := &c.res.Webhooks
	f.Deliveries = map[tcrsim.DeliveryOutcome]int{}
	sources := map[recordKey]map[string]tcr.WebhookEvent{} // translated id -> webhook, per record
	seen := map[string]bool{}
	for _, w := range c.in.Journal.Webhooks {
		f.Deliveries[w.Delivery]++
		if seen[w.Event.EventID] {
			continue
		}
		seen[w.Event.EventID] = true
		f.Events++
		c.checked[ruleWebhooks]++
		envs, err := tcr.Translate(w.Event)
		kind, id := about(w.Event)
		if err != nil {
			c.violate(ruleWebhooks, recordKey{kind, id}, -1, "webhook %s %s does not translate: %v", w.Event.EventType, short(w.Event.EventID), err)
			continue
		}
		if len(envs) == 0 {
			f.Informational++
		}
		for _, env := range envs {
			k := recordKey{env.Type.Kind(), env.EntityID}
			if sources[k] == nil {
				sources[k] = map[string]tcr.WebhookEvent{}
			}
			sources[k][env.EventID] = w.Event
			c.account(k, env, w)
		}
	}
	for _, k := range c.keys() {
		c.traceApplied(k, sources[k])
	}
}

// account finds what became of event env of webhook w, for record k.
func (c *checker) account(k recordKey, env statemachine.Envelope, w tcrsim.JournalWebhook) {
	f := &c.res.Webhooks
	if c.applied[k][env.EventID] {
		f.Applied++
		return
	}
	rec := c.records[k]
	// A record that does not exist is in NONE on any flow: the newest
	// knows every event.
	state, flow := statemachine.StateNone, statemachine.NewestFlow()
	if rec != nil {
		state, flow = rec.State, rec.Flow
	}
	cell, err := statemachine.CellFor(flow, k.kind, state, env.Type)
	switch {
	case err != nil:
		f.Vanished++
		c.violate(ruleWebhooks, k, -1, "webhook %s %s (%s): %v", w.Event.EventType, short(w.Event.EventID), w.Delivery, err)
		return
	case cell.Disposition == statemachine.Ignore:
		f.Ignorable++
		return
	case cell.Disposition == statemachine.Transition && rec != nil:
		if d, err := statemachine.Decide(rec, env, statemachine.Facts{Flow: flow}, w.At); err == nil && d.Disposition == statemachine.Ignore {
			f.Superseded++
			return
		}
	}
	f.Vanished++
	what := "would " + cell.Disposition.String() + " it"
	if rec == nil {
		what = "does not exist"
	}
	c.violate(ruleWebhooks, k, -1, "webhook %s %s (%s, event %s msg=%s) vanished: never applied, and the record in its final state %s %s",
		w.Event.EventType, short(w.Event.EventID), w.Delivery, env.Type, short(env.EventID), state, what)
}

// traceApplied checks the audit items webhook events wrote on record k:
// each traces back to one of the webhooks about it (sources, by translated
// id), and a campaign that reached APPROVED applied every carrier's approval.
func (c *checker) traceApplied(k recordKey, sources map[string]tcr.WebhookEvent) {
	approvedBy := map[statemachine.Carrier]bool{}
	reachedApproved := -1
	for i, a := range c.audits[k] {
		if a.Event == statemachine.CampaignCarrierApproved && a.To == statemachine.Approved && reachedApproved < 0 {
			reachedApproved = i
		}
		if a.Actor != tcr.WebhookActor {
			continue
		}
		c.res.Webhooks.FromWebhooks++
		e, ok := sources[a.MessageID]
		if !ok {
			c.violate(ruleWebhooks, k, i, "v%d applied %s msg=%s as a webhook's event, but no webhook of the journal about the record translates to it",
				a.Version, a.Event, short(a.MessageID))
			continue
		}
		if a.Event == statemachine.CampaignCarrierApproved {
			if car, err := statemachine.CarrierByMNOID(e.MNOID); err == nil {
				approvedBy[car] = true
			}
		}
	}
	if reachedApproved < 0 {
		return
	}
	var missing []string
	for _, car := range statemachine.Carriers {
		if !approvedBy[car] {
			missing = append(missing, string(car))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		c.violate(ruleWebhooks, k, reachedApproved, "the campaign reached APPROVED without applying an approval of %s: the approval vanished",
			strings.Join(missing, ", "))
	}
}
