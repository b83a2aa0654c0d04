package tcrsim

import (
	"maps"
	"sync"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// DeliveryOutcome is what became of one delivery attempt of a webhook.
type DeliveryOutcome string

// The delivery outcomes.
const (
	DeliveryDelivered DeliveryOutcome = "delivered" // the event's copy accepted (2xx)
	DeliveryDuplicate DeliveryOutcome = "duplicate" // the extra copy of a duplicated event accepted (2xx)
	DeliveryFailed    DeliveryOutcome = "failed"    // an attempt not accepted: a non-2xx answer, or none (status 0)
	DeliveryDropped   DeliveryOutcome = "dropped"   // never sent: the drop rate or an /admin/faults rule (status 0)
)

// JournalRequest is one request in GET /journal.
type JournalRequest struct {
	At       time.Time      `json:"at"`       // when it arrived: the time the rate limit counted
	Endpoint string         `json:"endpoint"` // its ServeMux pattern, as the counters key it
	Group    Group          `json:"group"`
	RecordID string         `json:"record_id"`
	Key      string         `json:"key"` // its Idempotency-Key; empty for none
	Outcome  RequestOutcome `json:"outcome"`
	Status   int            `json:"status"` // the HTTP status answered
	Code     int            `json:"code"`   // the CPaaS reason code of a refusal; 0 otherwise
}

// JournalWebhook is one delivery attempt, or drop, in GET /journal.
type JournalWebhook struct {
	At       time.Time        `json:"at"`    // when the attempt ended, or the event was dropped
	Event    tcr.WebhookEvent `json:"event"` // as sent (or as it would have been)
	Delivery DeliveryOutcome  `json:"delivery"`
	Status   int              `json:"status"` // the receiver's answer; 0 for none
}

// Journal is the JSON of GET /journal.
type Journal struct {
	Requests []JournalRequest `json:"requests"` // in arrival order
	Webhooks []JournalWebhook `json:"webhooks"` // in the order the attempts ended
	Rates    map[Group]int    `json:"rates"`    // the configured rate limit per group, per second; 0 = unlimited
}

// recorder keeps the journal, the simulator's record of everything it did, so that a
// benchmark can be checked against it: every request to a downstream endpoint
// with its outcome, every webhook delivery attempt and drop. It is kept for
// the life of the process (a benchmark run is some ten thousand of each) and
// is safe for concurrent use.
type recorder struct {
	rates map[Group]int

	mu       sync.Mutex
	requests []JournalRequest // an entry without an outcome is still being answered
	webhooks []JournalWebhook
}

func newRecorder(rates map[Group]int) *recorder { return &recorder{rates: maps.Clone(rates)} }

// pendingRequest is a request's place in the journal, taken when it arrived.
type pendingRequest struct {
	j     *recorder
	index int
	at    time.Time // with its monotonic reading, for the rate limit
}

// arrive journals a request to ep for record id with Idempotency-Key key,
// now. The time is read under the journal's lock, so that the arrival order
// is also the order of the times. The caller must settle the request once
// the outcome is known, before it answers.
func (j *recorder) arrive(ep endpoint, id, key string) pendingRequest {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	j.requests = append(j.requests, JournalRequest{At: now.UTC(), Endpoint: ep.pattern, Group: ep.group, RecordID: id, Key: key})
	return pendingRequest{j: j, index: len(j.requests) - 1, at: now}
}

// settle records the outcome of the request, the status answered and the
// reason code of a refusal.
func (p pendingRequest) settle(o RequestOutcome, status, code int) {
	p.j.mu.Lock()
	defer p.j.mu.Unlock()
	r := &p.j.requests[p.index]
	r.Outcome, r.Status, r.Code = o, status, code
}

// webhook journals a delivery attempt of e, or its drop, now.
func (j *recorder) webhook(e tcr.WebhookEvent, o DeliveryOutcome, status int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.webhooks = append(j.webhooks, JournalWebhook{At: time.Now().UTC(), Event: e, Delivery: o, Status: status})
}

// view returns a copy of the journal. Requests still being answered are left
// out; once the simulator is idle, it agrees with the counters.
func (j *recorder) view() Journal {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := Journal{Requests: make([]JournalRequest, 0, len(j.requests)),
		Webhooks: append(make([]JournalWebhook, 0, len(j.webhooks)), j.webhooks...), Rates: maps.Clone(j.rates)}
	for _, r := range j.requests {
		if r.Outcome != "" {
			v.Requests = append(v.Requests, r)
		}
	}
	return v
}
