package tcrsim

// RequestOutcome is what became of one request to a downstream endpoint.
// Every request has exactly one, so the outcomes partition the requests: the
// journal records each request's, the counters count some of them (see
// RequestStats.count).
type RequestOutcome string

// The request outcomes.
const (
	OutcomeDecided     RequestOutcome = "decided"      // new to the endpoint: decided, the answer remembered
	OutcomeResubmitted RequestOutcome = "resubmitted"  // decided anew and kept: the endpoint had the record under another key or body
	OutcomeRepeated    RequestOutcome = "repeated"     // same key, or same body without one: the first answer replayed
	OutcomeLost        RequestOutcome = "lost"         // decided, answered 2xx, then forgotten (--lose); a resubmission or not
	OutcomeRateLimited RequestOutcome = "rate_limited" // 429
	OutcomeServerError RequestOutcome = "server_error" // injected 503
	OutcomeMalformed   RequestOutcome = "malformed"    // 400 (or 413) before deciding: unreadable or invalid body
	OutcomeFound       RequestOutcome = "found"        // status look-up: 200
	OutcomeNotFound    RequestOutcome = "not_found"    // status look-up: 404
)
