package main

import (
	"maps"
	"sync"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// deliveryOutcome is what became of one delivery attempt of a webhook.
type deliveryOutcome string

// The delivery outcomes.
const (
	deliveryDelivered deliveryOutcome = "delivered" // the event's copy accepted (2xx)
	deliveryDuplicate deliveryOutcome = "duplicate" // the extra copy of a duplicated event accepted (2xx)
	deliveryFailed    deliveryOutcome = "failed"    // an attempt not accepted: a non-2xx answer, or none (status 0)
	deliveryDropped   deliveryOutcome = "dropped"   // never sent: the drop rate or an /admin/faults rule (status 0)
)

// journaledRequest is one request in GET /journal.
type journaledRequest struct {
	At       time.Time      `json:"at"`       // when it arrived: the time the rate limit counted
	Endpoint string         `json:"endpoint"` // its ServeMux pattern, as the counters key it
	Group    Group          `json:"group"`
	RecordID string         `json:"record_id"`
	Key      string         `json:"key"` // its Idempotency-Key; empty for none
	Outcome  requestOutcome `json:"outcome"`
	Status   int            `json:"status"` // the HTTP status answered
	Code     int            `json:"code"`   // the CPaaS reason code of a refusal; 0 otherwise
}

// journaledWebhook is one delivery attempt, or drop, in GET /journal.
type journaledWebhook struct {
	At       time.Time        `json:"at"`    // when the attempt ended, or the event was dropped
	Event    tcr.WebhookEvent `json:"event"` // as sent (or as it would have been)
	Delivery deliveryOutcome  `json:"delivery"`
	Status   int              `json:"status"` // the receiver's answer; 0 for none
}

// journalView is the JSON of GET /journal.
type journalView struct {
	Requests []journaledRequest `json:"requests"` // in arrival order
	Webhooks []journaledWebhook `json:"webhooks"` // in the order the attempts ended
	Rates    map[Group]int      `json:"rates"`    // the configured rate limit per group, per second; 0 = unlimited
}

// journal is the simulator's record of everything it did, so that a
// benchmark can be checked against it: every request to a downstream endpoint
// with its outcome, every webhook delivery attempt and drop. It is kept for
// the life of the process (a benchmark run is some ten thousand of each) and
// is safe for concurrent use.
type journal struct {
	rates map[Group]int

	mu       sync.Mutex
	requests []journaledRequest // an entry without an outcome is still being answered
	webhooks []journaledWebhook
}

func newJournal(rates map[Group]int) *journal { return &journal{rates: maps.Clone(rates)} }

// pendingRequest is a request's place in the journal, taken when it arrived.
type pendingRequest struct {
	j     *journal
	index int
	at    time.Time // with its monotonic reading, for the rate limit
}

// arrive journals a request to ep for record id with Idempotency-Key key,
// now. The time is read under the journal's lock, so that the arrival order
// is also the order of the times. The caller must settle the request once
// the outcome is known, before it answers.
func (j *journal) arrive(ep endpoint, id, key string) pendingRequest {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	j.requests = append(j.requests, journaledRequest{At: now.UTC(), Endpoint: ep.pattern, Group: ep.group, RecordID: id, Key: key})
	return pendingRequest{j: j, index: len(j.requests) - 1, at: now}
}

// settle records the outcome of the request, the status answered and the
// reason code of a refusal.
func (p pendingRequest) settle(o requestOutcome, status, code int) {
	p.j.mu.Lock()
	defer p.j.mu.Unlock()
	r := &p.j.requests[p.index]
	r.Outcome, r.Status, r.Code = o, status, code
}

// webhook journals a delivery attempt of e, or its drop, now.
func (j *journal) webhook(e tcr.WebhookEvent, o deliveryOutcome, status int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.webhooks = append(j.webhooks, journaledWebhook{At: time.Now().UTC(), Event: e, Delivery: o, Status: status})
}

// view returns a copy of the journal. Requests still being answered are left
// out; once the simulator is idle, it agrees with the counters.
func (j *journal) view() journalView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := journalView{Requests: make([]journaledRequest, 0, len(j.requests)),
		Webhooks: append(make([]journaledWebhook, 0, len(j.webhooks)), j.webhooks...), Rates: maps.Clone(j.rates)}
	for _, r := range j.requests {
		if r.Outcome != "" {
			v.Requests = append(v.Requests, r)
		}
	}
	return v
}
