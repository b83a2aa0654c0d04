package tcr_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// lookupAnswer encodes events as a look-up's 200 answer.
func lookupAnswer(tb testing.TB, events ...tcr.WebhookEvent) string {
	tb.Helper()
	b, err := json.Marshal(map[string][]tcr.WebhookEvent{"events": events})
	if err != nil {
		tb.Fatalf("encode events: %v", err)
	}
	return string(b)
}

// translated is what Translate makes of events: the envelopes the webhook
// shim would enqueue for the same webhooks.
func translated(tb testing.TB, events ...tcr.WebhookEvent) []statemachine.Envelope {
	tb.Helper()
	var out []statemachine.Envelope
	for _, ev := range events {
		envs, err := tcr.Translate(ev)
		if err != nil {
			tb.Fatalf("Translate %s: %v", ev.EventType, err)
		}
		out = append(out, envs...)
	}
	return out
}

func TestClientLookup(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	identity := tcr.WebhookEvent{EventType: tcr.EventBrandIdentityStatusUpdate, EventID: "wh-1", BrandID: "b1", BrandIdentityStatus: tcr.IdentityVerified, Timestamp: at(1)}
	revet := tcr.WebhookEvent{EventType: tcr.EventBrandRevet, EventID: "wh-2", BrandID: "b1", BrandIdentityStatus: tcr.IdentityUnverified, Code: 30902, Description: "no", Timestamp: at(2)}
	added := tcr.WebhookEvent{EventType: tcr.EventCampaignAdd, EventID: "wh-3", BrandID: "b1", CampaignID: "c1", Timestamp: at(1)}
	shared := tcr.WebhookEvent{EventType: tcr.EventCampaignShareAdd, EventID: "wh-4", CampaignID: "c1", Timestamp: at(2)}
	accepted := tcr.WebhookEvent{EventType: tcr.EventCampaignShareAccept, EventID: "wh-5", BrandID: "b1", CampaignID: "c1", Timestamp: at(3)}
	mno := func(typ tcr.EventType, c statemachine.Carrier, id string, s int) tcr.WebhookEvent {
		return tcr.WebhookEvent{EventType: typ, EventID: id, CampaignID: "c1", MNOID: c.MNOID(), MNOName: tcr.MNOName(c), Timestamp: at(s)}
	}
	evidence := tcr.WebhookEvent{EventType: tcr.EventCampaignEvidenceApproved, EventID: "wh-10", CampaignID: "c1", Timestamp: at(1)}
	registered := tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, EventID: "wh-9", CampaignID: "c1", Number: "c1/+15551230001", NumberStatus: tcr.NumberRegistered, Timestamp: at(1)}

	tests := []struct {
		name       string
		lookup     statemachine.Lookup
		events     []tcr.WebhookEvent // the downstream's answer
		wantPath   string
		wantEvents []tcr.WebhookEvent // those the observation holds, translated
	}{
		{name: "brand at the registry", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b1"},
			events: []tcr.WebhookEvent{identity, revet}, wantPath: "/registry/brands/b1", wantEvents: []tcr.WebhookEvent{identity, revet}},
		{name: "campaign at the registry, informational event left out", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c1"},
			events: []tcr.WebhookEvent{added, shared, accepted}, wantPath: "/registry/campaigns/c1", wantEvents: []tcr.WebhookEvent{added, accepted}},
		{name: "a campaign's evidence at the registry", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence},
			events: []tcr.WebhookEvent{evidence}, wantPath: "/registry/campaigns/c1/evidence", wantEvents: []tcr.WebhookEvent{evidence}},
		{name: "a campaign's delegated evidence review at the bridge", lookup: statemachine.Lookup{To: statemachine.ToTemporal, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence, Ref: "cmd1"},
			events: []tcr.WebhookEvent{evidence}, wantPath: "/delegated/evidence/c1/cmd1", wantEvents: []tcr.WebhookEvent{evidence}},
		{name: "campaign at AT&T", lookup: statemachine.Lookup{To: statemachine.ToATT, Kind: statemachine.KindCampaign, ID: "c1"},
			events: []tcr.WebhookEvent{mno(tcr.EventMNOReview, statemachine.CarrierATT, "wh-6", 1)}, wantPath: "/carriers/att/campaigns/c1",
			wantEvents: []tcr.WebhookEvent{mno(tcr.EventMNOReview, statemachine.CarrierATT, "wh-6", 1)}},
		{name: "campaign at T-Mobile, put oldest first", lookup: statemachine.Lookup{To: statemachine.ToTMobile, Kind: statemachine.KindCampaign, ID: "c1"},
			events:   []tcr.WebhookEvent{mno(tcr.EventMNOApproved, statemachine.CarrierTMobile, "wh-8", 2), mno(tcr.EventMNOReview, statemachine.CarrierTMobile, "wh-7", 1)},
			wantPath: "/carriers/tmobile/campaigns/c1",
			wantEvents: []tcr.WebhookEvent{mno(tcr.EventMNOReview, statemachine.CarrierTMobile, "wh-7", 1),
				mno(tcr.EventMNOApproved, statemachine.CarrierTMobile, "wh-8", 2)}},
		{name: "campaign at Verizon, nothing decided yet", lookup: statemachine.Lookup{To: statemachine.ToVerizon, Kind: statemachine.KindCampaign, ID: "c1"},
			wantPath: "/carriers/verizon/campaigns/c1"},
		{name: "number, id escaped", lookup: statemachine.Lookup{To: statemachine.ToNumbers, Kind: statemachine.KindNumber, ID: "c1/+15551230001"},
			events: []tcr.WebhookEvent{registered}, wantPath: "/numbers/c1%2F+15551230001", wantEvents: []tcr.WebhookEvent{registered}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := downstream(t, http.StatusOK, nil, lookupAnswer(t, tt.events...))
			c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL + "/api/"})
			obs, err := c.Lookup(t.Context(), tt.lookup)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if obs.Lookup != tt.lookup || !obs.Found {
				t.Errorf("observation of %+v, found %v; want of %+v, found", obs.Lookup, obs.Found, tt.lookup)
			}
			// The envelopes' ids equal those the webhook shim gives the same webhooks.
			if want := translated(t, tt.wantEvents...); !reflect.DeepEqual(obs.Events, want) {
				t.Errorf("events =\n%+v\nwant\n%+v", obs.Events, want)
			}
			got := requests()
			if len(got) != 1 {
				t.Fatalf("downstream got %d requests, want 1", len(got))
			}
			if r := got[0]; r.method != http.MethodGet || r.path != "/api"+tt.wantPath || r.body != "" || r.header.Get("Content-Type") != "" {
				t.Errorf("request = %s %s body %q Content-Type %q, want GET /api%s without a body", r.method, r.path, r.body, r.header.Get("Content-Type"), tt.wantPath)
			}
		})
	}
}

// An observation's event has the id the webhook of the same decision gets
// through the shim, so applying both is recognised as a duplicate.
func TestClientLookupEventIDIsTheWebhooks(t *testing.T) {
	ev := tcr.WebhookEvent{EventType: tcr.EventMNOApproved, EventID: "4f1c0de5a7b2", CampaignID: "c1",
		MNOID: statemachine.CarrierVerizon.MNOID(), MNOName: tcr.MNOName(statemachine.CarrierVerizon), Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv, _ := downstream(t, http.StatusOK, nil, lookupAnswer(t, ev))
	c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
	obs, err := c.Lookup(t.Context(), statemachine.Lookup{To: statemachine.ToVerizon, Kind: statemachine.KindCampaign, ID: "c1"})
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	fromWebhook, err := tcr.Translate(ev)
	if err != nil {
		t.Fatalf("Translate: %v", err)
	}
	if len(obs.Events) != 1 || len(fromWebhook) != 1 {
		t.Fatalf("observed %d events, the webhook translates to %d; want 1 and 1", len(obs.Events), len(fromWebhook))
	}
	if got, want := obs.Events[0].EventID, fromWebhook[0].EventID; got != want {
		t.Errorf("observed event id %s, webhook's %s", got, want)
	}
	if got, want := obs.Events[0].Type, statemachine.CampaignCarrierApproved; got != want {
		t.Errorf("observed event type %s, want %s", got, want)
	}
}

func TestClientLookupAnswers(t *testing.T) {
	brand := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b1"}
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		want      statemachine.Observation // when there is no error
		wantHTTP  *tcr.HTTPError
		wantError string // a decoding error mentioning this
		wantIs    error
	}{
		{name: "404: no record, only a re-send helps", status: 404, body: `{"message":"no request about b1 reached registry"}`,
			want: statemachine.Observation{Lookup: brand}},
		{name: "404 without a body", status: 404, want: statemachine.Observation{Lookup: brand}},
		{name: "429 with Retry-After", status: 429, header: http.Header{"Retry-After": {"3"}}, body: `{"message":"rate limit exceeded"}`,
			wantHTTP: &tcr.HTTPError{Status: 429, RetryAfter: 3 * time.Second, Message: "rate limit exceeded"}},
		{name: "503", status: 503, body: `{"message":"service unavailable (injected)"}`,
			wantHTTP: &tcr.HTTPError{Status: 503, Message: "service unavailable (injected)"}},
		{name: "200 that is not JSON", status: 200, body: `<html>`, wantError: "decode 200 answer"},
		{name: "200 with an invalid event", status: 200, body: `{"events":[{"eventType":"BRAND_DELETE","eventId":"e1","timestamp":"2026-01-02T03:04:05Z"}]}`,
			wantError: "brandId is empty", wantIs: tcr.ErrInvalidEvent},
		{name: "200 with an event about another brand", status: 200, body: `{"events":[{"eventType":"BRAND_DELETE","eventId":"e1","brandId":"b2","timestamp":"2026-01-02T03:04:05Z"}]}`,
			wantError: `about brand "b2", not brand "b1"`},
		{name: "200 with an event about a campaign", status: 200, body: `{"events":[{"eventType":"CAMPAIGN_ADD","eventId":"e1","campaignId":"b1","timestamp":"2026-01-02T03:04:05Z"}]}`,
			wantError: `about campaign "b1", not brand "b1"`},
		{name: "200 with an unknown event type, left out", status: 200, body: `{"events":[{"eventType":"BRAND_VETTING_SCORE","eventId":"e1","brandId":"b1","timestamp":"2026-01-02T03:04:05Z"}]}`,
			want: statemachine.Observation{Lookup: brand, Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := downstream(t, tt.status, tt.header, tt.body)
			c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
			obs, err := c.Lookup(t.Context(), brand)
			herr, isHTTP := errors.AsType[*tcr.HTTPError](err)
			switch {
			case tt.wantHTTP != nil:
				if !isHTTP || *herr != *tt.wantHTTP || !herr.Retryable() {
					t.Fatalf("error = %v, want a retryable %+v", err, *tt.wantHTTP)
				}
			case tt.wantError != "":
				if err == nil || isHTTP || !strings.Contains(err.Error(), tt.wantError) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
					t.Fatalf("error = %v, want a decoding error mentioning %q (is %v)", err, tt.wantError, tt.wantIs)
				}
			default:
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				if obs.Lookup != tt.want.Lookup || obs.Found != tt.want.Found || len(obs.Events) != 0 {
					t.Errorf("observation = %+v, want %+v", obs, tt.want)
				}
				return
			}
			if got, want := err.Error(), "look up brand b1 at registry: "; !strings.HasPrefix(got, want) {
				t.Errorf("error %q lacks the context %q", got, want)
			}
		})
	}
}

// A look-up no endpoint answers is refused before anything is sent.
func TestClientLookupInvalid(t *testing.T) {
	tests := []struct {
		name   string
		lookup statemachine.Lookup
	}{
		{name: "empty id", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand}},
		{name: "a number at the registry", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindNumber, ID: "n1"}},
		{name: "a brand at a carrier", lookup: statemachine.Lookup{To: statemachine.ToATT, Kind: statemachine.KindBrand, ID: "b1"}},
		{name: "a campaign at number registration", lookup: statemachine.Lookup{To: statemachine.ToNumbers, Kind: statemachine.KindCampaign, ID: "c1"}},
		{name: "the events queue", lookup: statemachine.Lookup{To: statemachine.ToEvents, Kind: statemachine.KindCampaign, ID: "c1"}},
		{name: "an unknown carrier", lookup: statemachine.Lookup{To: "sprint", Kind: statemachine.KindCampaign, ID: "c1"}},
		{name: "no destination", lookup: statemachine.Lookup{Kind: statemachine.KindCampaign, ID: "c1"}},
		{name: "a delegated review without its command", lookup: statemachine.Lookup{To: statemachine.ToTemporal, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence}},
		{name: "a brand's evidence", lookup: statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b1", Of: statemachine.LookupEvidence}},
		{name: "a campaign's evidence at a carrier", lookup: statemachine.Lookup{To: statemachine.ToATT, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence}},
	}
	srv, requests := downstream(t, http.StatusOK, nil, `{"events":[]}`)
	c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Lookup(t.Context(), tt.lookup); !errors.Is(err, tcr.ErrInvalidRequest) {
				t.Errorf("Lookup: %v, want ErrInvalidRequest", err)
			}
		})
	}
	if got := len(requests()); got != 0 {
		t.Errorf("downstream got %d requests, want 0", got)
	}
}
