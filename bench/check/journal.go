package check

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// journal is carriersim's GET /journal: every request a downstream endpoint
// received and every webhook delivery attempt or drop, in the order they
// happened. It is the simulated world's side of what a checker compares a
// run's records with.
type journal struct {
	Requests []journalRequest `json:"requests"` // in arrival order
	Webhooks []journalWebhook `json:"webhooks"` // in the order the attempts ended
	// Rates are carriersim's own limits per group and second (0:
	// unlimited); informational: the rate rule holds regd to its own.
	Rates map[string]int `json:"rates"`
}

// journalRequest is one request to a downstream endpoint.
type journalRequest struct {
	At       time.Time `json:"at"`       // when it arrived
	Endpoint string    `json:"endpoint"` // the ServeMux pattern: "POST /registry/brands/{id}"
	Group    string    `json:"group"`    // registry, att, tmobile, verizon, numbers
	RecordID string    `json:"record_id"`
	Key      string    `json:"key"` // Idempotency-Key; empty for none
	Outcome  string    `json:"outcome"`
	Status   int       `json:"status"`
	Code     int       `json:"code"` // the CPaaS reason code of a refusal
}

// Request outcomes in the journal. Every request has exactly one.
const (
	outcomeDecided     = "decided"      // new to the endpoint: decided and remembered
	outcomeResubmitted = "resubmitted"  // decided anew: the endpoint had another request for the record
	outcomeRepeated    = "repeated"     // same key (or body): the first answer replayed
	outcomeLost        = "lost"         // decided, answered 2xx, then forgotten (--lose)
	outcomeRateLimited = "rate_limited" // 429
	outcomeServerError = "server_error" // injected 503
	outcomeMalformed   = "malformed"    // 400 before deciding
	outcomeFound       = "found"        // status look-up: 200
	outcomeNotFound    = "not_found"    // status look-up: 404
)

// journalWebhook is one delivery attempt of a webhook event, or its drop.
// Duplicates, retries and replays of an event carry the same event id.
type journalWebhook struct {
	At       time.Time        `json:"at"` // when the attempt ended, or the event was dropped
	Event    tcr.WebhookEvent `json:"event"`
	Delivery string           `json:"delivery"`
	Status   int              `json:"status"` // the receiver's answer; 0 for none
}

// Webhook deliveries in the journal.
const (
	deliveryDelivered = "delivered" // accepted (2xx)
	deliveryDuplicate = "duplicate" // the extra copy of a duplicated event, accepted
	deliveryFailed    = "failed"    // an attempt not accepted (retried until the retry window ends)
	deliveryDropped   = "dropped"   // never sent: the world decided, the webhook was lost
)

// changesState reports whether r went to a state-changing endpoint (POST or
// DELETE), as opposed to a status look-up.
func (r journalRequest) changesState() bool {
	method, _, _ := strings.Cut(r.Endpoint, " ")
	return method != http.MethodGet
}

// decided reports whether the simulator decided r and kept the decision:
// a state-changing request decided new or anew.
func (r journalRequest) decided() bool {
	return r.changesState() && (r.Outcome == outcomeDecided || r.Outcome == outcomeResubmitted)
}

// kind is the kind of record r's path id names: brands are brands, the
// registry's and the carriers' campaigns are campaigns, numbers are
// numbers; "" for an endpoint of no record.
func (r journalRequest) kind() statemachine.Kind {
	_, path, _ := strings.Cut(r.Endpoint, " ")
	switch {
	case strings.HasPrefix(path, "/registry/brands/"):
		return statemachine.KindBrand
	case strings.HasPrefix(path, "/registry/campaigns/"), strings.HasPrefix(path, "/carriers/"):
		return statemachine.KindCampaign
	case strings.HasPrefix(path, "/numbers/"):
		return statemachine.KindNumber
	}
	return ""
}

// String is one line of the simulator's view: time, endpoint, record, key,
// outcome and answer.
func (r journalRequest) String() string {
	s := fmt.Sprintf("%s %s %s key=%s %s %d", r.At.UTC().Format(timeOfDay), r.Endpoint, r.RecordID, short(r.Key), r.Outcome, r.Status)
	if r.Code != 0 {
		s += fmt.Sprintf(" code %d", r.Code)
	}
	return s
}

// about returns the kind and id of the record a webhook event is about: its
// number, else its campaign, else its brand (a campaign's events name its
// brand too).
func about(e tcr.WebhookEvent) (statemachine.Kind, string) {
	switch {
	case e.Number != "":
		return statemachine.KindNumber, e.Number
	case e.CampaignID != "":
		return statemachine.KindCampaign, e.CampaignID
	}
	return statemachine.KindBrand, e.BrandID
}

// String is one line of the simulator's view: time, event, what it says,
// delivery.
func (w journalWebhook) String() string {
	e := w.Event
	var b strings.Builder
	fmt.Fprintf(&b, "%s webhook %s", w.At.UTC().Format(timeOfDay), e.EventType)
	for _, f := range []string{e.MNOName, e.BrandIdentityStatus, e.NumberStatus} {
		if f != "" {
			b.WriteString(" " + f)
		}
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	fmt.Fprintf(&b, " id=%s decided %s %s", short(e.EventID), e.Timestamp.UTC().Format(timeOfDay), w.Delivery)
	if w.Status != 0 {
		fmt.Fprintf(&b, " %d", w.Status)
	}
	return b.String()
}

// timeOfDay is how the checker's lines write times: a run lasts minutes.
const timeOfDay = "15:04:05.000"

// short abbreviates an id for a line: its first 8 characters.
func short(id string) string {
	if id == "" {
		return "-"
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// fetchJournal reads GET <base>/journal.
func fetchJournal(ctx context.Context, client *http.Client, base string) (journal, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/journal", nil)
	if err != nil {
		return journal{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return journal{}, fmt.Errorf("read carriersim's journal: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return journal{}, fmt.Errorf("read carriersim's journal: %s answered %s", req.URL, resp.Status)
	}
	var j journal
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return journal{}, fmt.Errorf("decode carriersim's journal: %w", err)
	}
	return j, nil
}
