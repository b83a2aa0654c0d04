// Package tcr speaks the registration protocol of the downstreams: The Campaign
// Registry, the three carriers (AT&T, T-Mobile, Verizon) and number
// registration at the CPaaS.
//
// It holds the webhook event the downstreams post back ([WebhookEvent]), the
// signature that authenticates a webhook ([Sign], [Verify]), and the HTTP
// client the dispatcher calls them with ([Client]), which also asks them what
// they already decided before a re-drive re-sends anything ([Client.Lookup]). Record ids in requests and
// webhooks are this system's ids: the downstream echoes the ids it was given.
//
// Package tcrhook beside it receives the webhooks (an http.Handler); package
// tcrsim fakes the downstreams, as net/http/httptest sits beside net/http.
package tcr
