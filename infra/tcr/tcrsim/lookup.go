package tcrsim

import (
	"net/http"
	"slices"

	"github.com/tendlc/tendlc/infra/tcr"
)

// statusBody is the JSON of a status look-up's 200 answer.
type statusBody struct {
	// Events are the webhook events of the decisions due by the time of the
	// look-up, oldest first; empty, not null, when none is due yet.
	Events []tcr.WebhookEvent `json:"events"`
}

// lookup answers the status look-up ep for the record r.id, as the registry's
// campaign status or a carrier's MNO operation status does: 200 with the
// webhook events of every remembered submission for the record at the
// endpoints ep lists whose time has come (delivered, dropped or not), with the
// event ids their webhooks carry; or 404 when no such request was remembered.
// The outcome is found or not_found. It never decides, so it draws nothing
// random and plans no webhook.
func (s *Simulator) lookup(ep endpoint, r request) (answer, RequestOutcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	subs := s.memory.submissions(ep.lists, r.id)
	if len(subs) == 0 {
		return jsonAnswer(http.StatusNotFound, errorBody{Message: "no request about " + r.id + " reached " + string(ep.group)}), OutcomeNotFound
	}
	events := []tcr.WebhookEvent{}
	for _, sub := range subs {
		for _, e := range sub.events {
			if !e.webhook.Timestamp.After(r.now) { // the downstream has decided
				events = append(events, e.webhook)
			}
		}
	}
	// Stable: the submissions' order breaks ties.
	slices.SortStableFunc(events, func(a, b tcr.WebhookEvent) int { return a.Timestamp.Compare(b.Timestamp) })
	return jsonAnswer(http.StatusOK, statusBody{Events: events}), OutcomeFound
}
