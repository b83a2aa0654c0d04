package tcrsim

import (
	"sync"

	"github.com/tendlc/tendlc/infra/tcr"
)

// RequestStats counts the requests to one endpoint or group.
type RequestStats struct {
	Requests     int64 `json:"requests"`      // every request, whatever its answer
	RateLimited  int64 `json:"rate_limited"`  // answered 429
	ServerErrors int64 `json:"server_errors"` // answered with an injected 503
	Repeated     int64 `json:"repeated"`      // a repeat (same Idempotency-Key, or same request): first answer replayed
	Resubmitted  int64 `json:"resubmitted"`   // the same record again with another key or body: decided anew and kept
	Lost         int64 `json:"lost"`          // answered 2xx, then forgotten (--lose): no webhooks, look-ups 404
}

// count counts a request's outcome. Each request has one, so that these
// counts are those of the journal: a resubmission that is lost counts as
// lost, not as resubmitted.
func (s *RequestStats) count(o RequestOutcome) {
	switch o {
	case OutcomeRateLimited:
		s.RateLimited++
	case OutcomeServerError:
		s.ServerErrors++
	case OutcomeRepeated:
		s.Repeated++
	case OutcomeResubmitted:
		s.Resubmitted++
	case OutcomeLost:
		s.Lost++
	case OutcomeDecided, OutcomeMalformed, OutcomeFound, OutcomeNotFound: // counted in Requests only
	}
}

func (s *RequestStats) add(o RequestStats) {
	s.Requests += o.Requests
	s.RateLimited += o.RateLimited
	s.ServerErrors += o.ServerErrors
	s.Repeated += o.Repeated
	s.Resubmitted += o.Resubmitted
	s.Lost += o.Lost
}

// GroupStats adds a group's busiest one-second windows to its request counts.
type GroupStats struct {
	RequestStats
	MaxAcceptedPerSecond int `json:"max_accepted_per_second"` // most requests past the rate limit in any one-second window
	MaxReceivedPerSecond int `json:"max_received_per_second"` // most requests received in any one-second window
}

// WebhookStats counts webhooks. Once deliveries have settled,
// emitted - dropped + duplicated == sent + failed.
type WebhookStats struct {
	Emitted        int64 `json:"emitted"`          // events whose time came (again for each replay)
	Dropped        int64 `json:"dropped"`          // emitted and never sent: the drop rate or a targeted fault
	DroppedByFault int64 `json:"dropped_by_fault"` // the part of dropped due to /admin/faults
	Duplicated     int64 `json:"duplicated"`       // emitted and sent twice
	Reordered      int64 `json:"reordered"`        // held back by the reorder knob
	Replayed       int64 `json:"replayed"`         // scheduled again because a request was repeated
	Sent           int64 `json:"sent"`             // deliveries answered 2xx (a duplicate counts twice)
	Retried        int64 `json:"retried"`          // delivery attempts that failed and were retried
	Failed         int64 `json:"failed"`           // deliveries given up after the retry window
}

func (s *WebhookStats) add(o WebhookStats) {
	s.Emitted += o.Emitted
	s.Dropped += o.Dropped
	s.DroppedByFault += o.DroppedByFault
	s.Duplicated += o.Duplicated
	s.Reordered += o.Reordered
	s.Replayed += o.Replayed
	s.Sent += o.Sent
	s.Retried += o.Retried
	s.Failed += o.Failed
}

// Counters is the JSON of GET /counters.
type Counters struct {
	Groups              map[Group]GroupStats           `json:"groups"`
	Endpoints           map[string]RequestStats        `json:"endpoints"` // by route pattern, such as "POST /registry/brands/{id}"
	Webhooks            WebhookStats                   `json:"webhooks"`
	WebhooksByEventType map[tcr.EventType]WebhookStats `json:"webhooks_by_event_type"`
}

// tally counts what the simulator saw and did ([Counters]). It is safe for concurrent use.
type tally struct {
	mu        sync.Mutex
	groupOf   map[string]Group // endpoint pattern to its group
	endpoints map[string]*RequestStats
	webhooks  map[tcr.EventType]*WebhookStats
}

func newTally(eps []endpoint) *tally {
	c := &tally{groupOf: map[string]Group{}, endpoints: map[string]*RequestStats{}, webhooks: map[tcr.EventType]*WebhookStats{}}
	for _, ep := range eps {
		c.groupOf[ep.pattern] = ep.group
		c.endpoints[ep.pattern] = &RequestStats{}
	}
	return c
}

// request changes the counts of the endpoint with pattern.
func (c *tally) request(pattern string, change func(*RequestStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change(c.endpoints[pattern])
}

// webhook changes the counts of an event type.
func (c *tally) webhook(t tcr.EventType, change func(*WebhookStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.webhooks[t]
	if !ok {
		s = &WebhookStats{}
		c.webhooks[t] = s
	}
	change(s)
}

// view returns a copy of the counts, with the groups' busiest windows read
// from their limiters.
func (c *tally) view(limiters map[Group]*limiter) Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := Counters{
		Groups:              map[Group]GroupStats{},
		Endpoints:           map[string]RequestStats{},
		WebhooksByEventType: map[tcr.EventType]WebhookStats{},
	}
	for g, l := range limiters {
		var s GroupStats
		s.MaxAcceptedPerSecond, s.MaxReceivedPerSecond = l.peaks()
		v.Groups[g] = s
	}
	for pattern, s := range c.endpoints {
		v.Endpoints[pattern] = *s
		g := v.Groups[c.groupOf[pattern]]
		g.add(*s)
		v.Groups[c.groupOf[pattern]] = g
	}
	for t, s := range c.webhooks {
		v.WebhooksByEventType[t] = *s
		v.Webhooks.add(*s)
	}
	return v
}
