// Package tcrsim simulates the downstreams of tendlc on one HTTP handler: The
// Campaign Registry, AT&T, T-Mobile, Verizon and number registration. It
// answers the registration calls (with rate limits, injected 503s and
// rejections), posts signed webhooks back after configurable delays (with
// drops, duplicates and reordering), recognises repeated requests, and counts
// everything at GET /counters. Every random draw comes from Config.Seed; a
// downstream's decisions (rejections) depend on the seed and the record and
// request they are about, not on the order requests arrive in, so two
// systems driven through the same load meet the same world. It
// sits beside the protocol it fakes, as net/http/httptest sits beside
// net/http; cmd/carriersim serves it as a process, with flags for [Config].
//
// Status look-ups tell what a downstream decided, webhooks lost or not:
// GET /registry/brands/{id}, GET /registry/campaigns/{id} (the reviewer's
// verdict included), GET /carriers/{att|tmobile|verizon}/campaigns/{id} and
// GET /numbers/{id} answer 200 {"events":[...]} with the webhook events due so
// far, oldest first, under the event ids their webhooks carry (an event id is
// derived from the request, not drawn), or 404 {"message":"..."} when no
// request for the record reached that downstream. They share their group's
// rate limit and injected errors and are counted under their own pattern.
//
// Faults (flags of cmd/carriersim in parentheses): ServerErrors (--errors)
// answers 503 at a rate per group; Lose (--lose) answers an accepted
// POST or DELETE as usual and then forgets it, at a rate per group (no
// webhooks, look-ups 404, a later request for the record decided anew);
// Drop, Duplicate and Reorder (--drop, --duplicate, --reorder) act on
// webhooks; POST /admin/faults drops chosen webhooks.
//
// GET /counters counts per group and per endpoint pattern (such as
// "POST /registry/brands/{id}"): requests, rate_limited (answered 429),
// server_errors (injected 503), repeated (same key or same request: the first
// answer replayed), resubmitted (the same record again under another key or
// body, decided anew and kept) and lost (forgotten by --lose, a resubmission
// or not); per group also max_accepted_per_second and
// max_received_per_second. A caller that reconciles before it re-sends
// resubmits only what was lost, so in a run without the domain's own
// resubmissions (a rejected campaign edited and sent again) resubmitted <=
// lost. Webhooks are counted in all and per event type: emitted, dropped,
// dropped_by_fault, duplicated, reordered, replayed, sent, retried, failed.
//
// GET /journal is the record of everything the simulator did, kept for the
// life of the process, for a checker to verify a run against:
//
//	{"requests": [{"at", "endpoint", "group", "record_id", "key", "outcome", "status", "code"}, ...],
//	 "webhooks": [{"at", "event", "delivery", "status"}, ...],
//	 "rates": {"registry": 2, "att": 2, ...}}
//
// requests holds every request to a downstream endpoint (state-changing or
// look-up) in arrival order; at is the time the rate limit counted, endpoint
// the pattern the counters use, key the Idempotency-Key (empty for none),
// status the HTTP status answered and code the CPaaS reason code of a refusal
// (0 otherwise). Each request has one outcome: decided (new to the endpoint),
// resubmitted, repeated, lost, rate_limited, server_error, malformed (400 or
// 413 before deciding), and for a look-up found or not_found; a refusal
// (invalid EIN, high risk) is decided or resubmitted, with status 400 and its
// code. A request still being answered is left out. webhooks holds every
// delivery attempt in the order they ended, and every drop: event is the
// tcr.WebhookEvent as sent; delivery is delivered (the event accepted),
// duplicate (the extra copy of a duplicated event accepted), failed (an
// attempt answered non-2xx, with that status, or not at all, status 0) or
// dropped (the drop rate or /admin/faults; status 0). rates is the configured
// rate limit per group (0 = unlimited). Once the simulator is idle the journal
// agrees with /counters: per endpoint, its entries are requests and its
// rate_limited, server_error, repeated, resubmitted and lost entries the
// counters of those names; its dropped entries are webhooks.dropped,
// delivered plus duplicate sent, and failed retried plus failed.
//
// GET /journal answers [Journal] and GET /counters [Counters]; a program that
// runs the simulator in-process reads them with [Simulator.Journal] and
// [Simulator.Counters].
package tcrsim
