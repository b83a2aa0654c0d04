package main

import (
	"sync"

	"github.com/tendlc/tendlc/infra/tcr"
)

// requestStats counts the requests to one endpoint or group.
type requestStats struct {
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
func (s *requestStats) count(o requestOutcome) {
	switch o {
	case outcomeRateLimited:
		s.RateLimited++
	case outcomeServerError:
		s.ServerErrors++
	case outcomeRepeated:
		s.Repeated++
	case outcomeResubmitted:
		s.Resubmitted++
	case outcomeLost:
		s.Lost++
	case outcomeDecided, outcomeMalformed, outcomeFound, outcomeNotFound: // counted in Requests only
	}
}

func (s *requestStats) add(o requestStats) {
	s.Requests += o.Requests
	s.RateLimited += o.RateLimited
	s.ServerErrors += o.ServerErrors
	s.Repeated += o.Repeated
	s.Resubmitted += o.Resubmitted
	s.Lost += o.Lost
}

// groupStats adds a group's busiest one-second windows to its request counts.
type groupStats struct {
	requestStats
	MaxAcceptedPerSecond int `json:"max_accepted_per_second"` // most requests past the rate limit in any one-second window
	MaxReceivedPerSecond int `json:"max_received_per_second"` // most requests received in any one-second window
}

// webhookStats counts webhooks. Once deliveries have settled,
// emitted - dropped + duplicated == sent + failed.
type webhookStats struct {
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

func (s *webhookStats) add(o webhookStats) {
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

// countersView is the JSON of GET /counters.
type countersView struct {
	Groups              map[Group]groupStats           `json:"groups"`
	Endpoints           map[string]requestStats        `json:"endpoints"` // by route pattern, such as "POST /registry/brands/{id}"
	Webhooks            webhookStats                   `json:"webhooks"`
	WebhooksByEventType map[tcr.EventType]webhookStats `json:"webhooks_by_event_type"`
}

// counters is what the simulator saw and did. It is safe for concurrent use.
type counters struct {
	mu        sync.Mutex
	groupOf   map[string]Group // endpoint pattern to its group
	endpoints map[string]*requestStats
	webhooks  map[tcr.EventType]*webhookStats
}

func newCounters(eps []endpoint) *counters {
	c := &counters{groupOf: map[string]Group{}, endpoints: map[string]*requestStats{}, webhooks: map[tcr.EventType]*webhookStats{}}
	for _, ep := range eps {
		c.groupOf[ep.pattern] = ep.group
		c.endpoints[ep.pattern] = &requestStats{}
	}
	return c
}

// request changes the counts of the endpoint with pattern.
func (c *counters) request(pattern string, change func(*requestStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change(c.endpoints[pattern])
}

// webhook changes the counts of an event type.
func (c *counters) webhook(t tcr.EventType, change func(*webhookStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.webhooks[t]
	if !ok {
		s = &webhookStats{}
		c.webhooks[t] = s
	}
	change(s)
}

// view returns a copy of the counts, with the groups' busiest windows read
// from their limiters.
func (c *counters) view(limiters map[Group]*limiter) countersView {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := countersView{
		Groups:              map[Group]groupStats{},
		Endpoints:           map[string]requestStats{},
		WebhooksByEventType: map[tcr.EventType]webhookStats{},
	}
	for g, l := range limiters {
		var s groupStats
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
