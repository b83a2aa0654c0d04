package tcrsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/tendlc/tendlc/infra/tcr"
)

// dropRule drops the next Count webhooks that match every field it sets. An
// unset field matches anything.
type dropRule struct {
	EventType  tcr.EventType `json:"event_type,omitempty"`
	BrandID    string        `json:"brand_id,omitempty"`
	CampaignID string        `json:"campaign_id,omitempty"`
	MNOID      int           `json:"mno_id,omitempty"`
	Number     string        `json:"number,omitempty"`
	Count      int           `json:"count,omitempty"` // how many to drop; zero means 1. Listed: how many are left
}

func (r dropRule) matches(e tcr.WebhookEvent) bool {
	return (r.EventType == "" || r.EventType == e.EventType) &&
		(r.BrandID == "" || r.BrandID == e.BrandID) &&
		(r.CampaignID == "" || r.CampaignID == e.CampaignID) &&
		(r.MNOID == 0 || r.MNOID == e.MNOID) &&
		(r.Number == "" || r.Number == e.Number)
}

// faultSet is the body of POST /admin/faults and of its answers.
type faultSet struct {
	Drop []dropRule `json:"drop"`
}

// faults holds the targeted faults a test asked for through /admin/faults.
// It is safe for concurrent use.
type faults struct {
	mu    sync.Mutex
	drops []dropRule
}

// add validates rules, collecting every problem, and adds them after the
// existing ones.
func (f *faults) add(rules []dropRule) error {
	var errs []error
	for i, r := range rules {
		if r.EventType != "" && !r.EventType.Known() {
			errs = append(errs, fmt.Errorf("drop[%d]: unknown event_type %q", i, r.EventType))
		}
		if r.Count < 0 {
			errs = append(errs, fmt.Errorf("drop[%d]: count %d is negative", i, r.Count))
		}
		if r.Count == 0 {
			rules[i].Count = 1
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drops = append(f.drops, rules...)
	return nil
}

// take reports whether a rule drops e, and uses up one of that rule's count.
func (f *faults) take(e tcr.WebhookEvent) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.drops {
		if r.matches(e) {
			f.drops[i].Count--
			if f.drops[i].Count == 0 {
				f.drops = append(f.drops[:i], f.drops[i+1:]...)
			}
			return true
		}
	}
	return false
}

func (f *faults) list() faultSet {
	f.mu.Lock()
	defer f.mu.Unlock()
	return faultSet{Drop: append([]dropRule{}, f.drops...)}
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drops = nil
}

// routes: POST adds rules, GET lists what is left, DELETE removes every rule.
// Unknown fields are errors, so that a misspelt selector does not silently
// drop every webhook.
func (f *faults) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		dec.DisallowUnknownFields()
		var set faultSet
		if err := dec.Decode(&set); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Message: "decode faults: " + err.Error()})
			return
		}
		if err := f.add(set.Drop); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, f.list())
	})
	mux.HandleFunc("GET /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, f.list())
	})
	mux.HandleFunc("DELETE /admin/faults", func(w http.ResponseWriter, r *http.Request) {
		f.clear()
		w.WriteHeader(http.StatusNoContent)
	})
}
