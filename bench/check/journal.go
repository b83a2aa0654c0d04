package check

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// changesState reports whether r went to a state-changing endpoint (POST or
// DELETE), as opposed to a status look-up.
func changesState(r tcrsim.JournalRequest) bool {
	method, _, _ := strings.Cut(r.Endpoint, " ")
	return method != http.MethodGet
}

// decided reports whether the simulator decided r and kept the decision:
// a state-changing request decided new or anew.
func decided(r tcrsim.JournalRequest) bool {
	return changesState(r) && (r.Outcome == tcrsim.OutcomeDecided || r.Outcome == tcrsim.OutcomeResubmitted)
}

// requestKind is the kind of record r's path id names: brands are brands, the
// registry's and the carriers' campaigns are campaigns, numbers are
// numbers; "" for an endpoint of no record.
func requestKind(r tcrsim.JournalRequest) statemachine.Kind {
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

// requestLine is r on one line of the simulator's view: time, endpoint,
// record, key, outcome and answer.
func requestLine(r tcrsim.JournalRequest) string {
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

// webhookLine is w on one line of the simulator's view: time, event, what it
// says, delivery.
func webhookLine(w tcrsim.JournalWebhook) string {
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
func fetchJournal(ctx context.Context, client *http.Client, base string) (tcrsim.Journal, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/journal", nil)
	if err != nil {
		return tcrsim.Journal{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return tcrsim.Journal{}, fmt.Errorf("read carriersim's journal: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return tcrsim.Journal{}, fmt.Errorf("read carriersim's journal: %s answered %s", req.URL, resp.Status)
	}
	var j tcrsim.Journal
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return tcrsim.Journal{}, fmt.Errorf("decode carriersim's journal: %w", err)
	}
	return j, nil
}
