package statemachine

import "slices"

// A PENDING campaign's campaign.submit is deferred while its brand may still
// become usable, and the retry policy re-queues it with a growing backoff: on
// its own the campaign would sleep out that backoff after its brand was
// verified. So the brand wakes its campaigns: a brand move into a state that
// decides their submission (usable, or barred) emits a campaign.submit for
// each campaign the dispatcher found in PENDING ([Facts.PendingCampaigns]).
// The deferred copy arrives later, in TCR_PENDING or REJECTED, and is ignored
// as stale.
//
// The campaigns come from an eventually consistent query. A campaign created
// around the brand's move may be missing from it: it still submits through
// its own deferred message, after its backoff. A campaign seen in PENDING
// after it left it ignores the wake-up as stale.

// decidesSubmit reports whether a PENDING campaign's campaign.submit is
// decided, not deferred, while its brand is in state s.
func decidesSubmit(s State) bool {
	return slices.Contains(brandUsable, s) || slices.Contains(brandBarred, s)
}

// wakesCampaigns reports whether brand event t may move a brand into a state
// that decides its campaigns' submissions; the guard of such an event is
// waking.
func wakesCampaigns(t EventType) bool {
	if t.Kind() != KindBrand {
		return false
	}
	return slices.ContainsFunc(brandSpec[t].moves, func(m move) bool { return decidesSubmit(m.dst) })
}

// waking wraps the guard g of a brand event that [wakesCampaigns]: when g lets
// the event through, it emits a campaign.submit to the events queue for each
// PENDING campaign, in id order so that a re-decision emits the same ids.
func waking(g guard) guard {
	return func(d *decider) (string, *verdict) {
		name, v := g(d)
		if v != nil {
			return name, v
		}
		ids := slices.Compact(slices.Sorted(slices.Values(d.facts.PendingCampaigns)))
		for _, id := range ids {
			d.send(ToEvents, CampaignSubmit, id, Empty{})
		}
		return name, nil
	}
}
