package main

// requestOutcome is what became of one request to a downstream endpoint.
// Every request has exactly one, so the outcomes partition the requests: the
// journal records each request's, the counters count some of them (see
// requestStats.count).
type requestOutcome string

// The request outcomes.
const (
	outcomeDecided     requestOutcome = "decided"      // new to the endpoint: decided, the answer remembered
	outcomeResubmitted requestOutcome = "resubmitted"  // decided anew and kept: the endpoint had the record under another key or body
	outcomeRepeated    requestOutcome = "repeated"     // same key, or same body without one: the first answer replayed
	outcomeLost        requestOutcome = "lost"         // decided, answered 2xx, then forgotten (--lose); a resubmission or not
	outcomeRateLimited requestOutcome = "rate_limited" // 429
	outcomeServerError requestOutcome = "server_error" // injected 503
	outcomeMalformed   requestOutcome = "malformed"    // 400 (or 413) before deciding: unreadable or invalid body
	outcomeFound       requestOutcome = "found"        // status look-up: 200
	outcomeNotFound    requestOutcome = "not_found"    // status look-up: 404
)
