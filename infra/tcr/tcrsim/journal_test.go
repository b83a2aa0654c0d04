package tcrsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// journal reads GET /journal.
func (h *harness) journal() Journal {
	h.t.Helper()
	status, header, body := h.do(http.MethodGet, "/journal", "", "")
	if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
		h.t.Fatalf("GET /journal = %d %s %s", status, header.Get("Content-Type"), body)
	}
	var v Journal
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatalf("decode journal: %v", err)
	}
	return v
}

// checkJournalAgrees checks a journal against the counters read after it,
// with the simulator idle: per endpoint, the entries are the requests and
// each outcome the counters count is its counter; the webhook entries add up
// to the webhook counters. It also checks that the requests are in the order
// of their times.
func checkJournalAgrees(tb testing.TB, j Journal, c Counters) {
	tb.Helper()
	got := map[string]RequestStats{}
	for pattern := range c.Endpoints {
		got[pattern] = RequestStats{}
	}
	for i, r := range j.Requests {
		s, ok := got[r.Endpoint]
		if !ok {
			tb.Errorf("request %d: endpoint %q is not one the counters know", i, r.Endpoint)
		}
		s.Requests++
		if !slices.Contains([]RequestOutcome{OutcomeDecided, OutcomeResubmitted, OutcomeRepeated, OutcomeLost,
			OutcomeRateLimited, OutcomeServerError, OutcomeMalformed, OutcomeFound, OutcomeNotFound}, r.Outcome) {
			tb.Errorf("request %d: unknown outcome %q", i, r.Outcome)
		}
		s.count(r.Outcome)
		got[r.Endpoint] = s
		if i > 0 && r.At.Before(j.Requests[i-1].At) {
			tb.Errorf("request %d at %s, before request %d at %s", i, r.At, i-1, j.Requests[i-1].At)
		}
	}
	for pattern, want := range c.Endpoints {
		if got[pattern] != want {
			tb.Errorf("%s: journal counts %+v, counters %+v", pattern, got[pattern], want)
		}
	}
	var dropped, sent, failed int64
	for _, w := range j.Webhooks {
		switch w.Delivery {
		case DeliveryDropped:
			dropped++
		case DeliveryDelivered, DeliveryDuplicate:
			sent++
		case DeliveryFailed:
			failed++
		default:
			tb.Errorf("webhook %s: unknown delivery %q", w.Event.EventID, w.Delivery)
		}
	}
	if want := c.Webhooks; dropped != want.Dropped || sent != want.Sent || failed != want.Retried+want.Failed {
		tb.Errorf("journal's dropped, sent, failed attempts = %d, %d, %d; counters' dropped, sent, retried + failed = %d, %d, %d",
			dropped, sent, failed, want.Dropped, want.Sent, want.Retried+want.Failed)
	}
}

// The JSON shape of GET /journal is a contract with regbench's checker.
func TestJournalJSONShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies(), RateLimits: map[Group]int{GroupATT: 5, GroupNumbers: 0}})
		if _, err := h.tcr.SubmitBrand(t.Context(), "b1", tcr.Meta{IdempotencyKey: "k1"}, acme); err != nil {
			t.Fatalf("SubmitBrand: %v", err)
		}
		settle(time.Minute)
		status, header, body := h.do(http.MethodGet, "/journal", "", "")
		if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /journal = %d %s", status, header.Get("Content-Type"))
		}
		var doc struct {
			Requests []map[string]json.RawMessage `json:"requests"`
			Webhooks []map[string]json.RawMessage `json:"webhooks"`
			Rates    map[string]int               `json:"rates"`
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatalf("decode: %v\n%s", err, body)
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("decode: %v\n%s", err, body)
		}
		if got, want := slices.Sorted(maps.Keys(top)), []string{"rates", "requests", "webhooks"}; !slices.Equal(got, want) {
			t.Errorf("top-level keys = %v, want %v", got, want)
		}
		if len(doc.Requests) != 1 || len(doc.Webhooks) != 1 {
			t.Fatalf("journal has %d requests and %d webhooks, want 1 and 1:\n%s", len(doc.Requests), len(doc.Webhooks), body)
		}
		if got, want := slices.Sorted(maps.Keys(doc.Requests[0])), []string{"at", "code", "endpoint", "group", "key", "outcome", "record_id", "status"}; !slices.Equal(got, want) {
			t.Errorf("request fields = %v, want %v", got, want)
		}
		if got, want := slices.Sorted(maps.Keys(doc.Webhooks[0])), []string{"at", "delivery", "event", "status"}; !slices.Equal(got, want) {
			t.Errorf("webhook fields = %v, want %v", got, want)
		}
		wantRates := map[string]int{"registry": DefaultRateLimit, "att": 5, "tmobile": DefaultRateLimit, "verizon": DefaultRateLimit, "numbers": 0}
		if !maps.Equal(doc.Rates, wantRates) {
			t.Errorf("rates = %v, want %v", doc.Rates, wantRates)
		}

		var at time.Time
		if err := json.Unmarshal(doc.Requests[0]["at"], &at); err != nil || !strings.HasSuffix(string(doc.Requests[0]["at"]), `Z"`) {
			t.Errorf("at = %s: want an RFC 3339 time in UTC (%v)", doc.Requests[0]["at"], err)
		}
		// The event as sent: what the receiver got, byte for byte, which
		// tcr.Translate reads.
		got := h.receiver.deliveries(t)
		if len(got) != 1 || string(doc.Webhooks[0]["event"]) != string(got[0].body) {
			t.Errorf("journaled event = %s, want the body sent %s", doc.Webhooks[0]["event"], got[0].body)
		}
		e, err := tcr.DecodeWebhookEvent(doc.Webhooks[0]["event"])
		if err != nil {
			t.Fatalf("decode journaled event: %v", err)
		}
		envs, err := tcr.Translate(e)
		want, _ := tcr.Translate(got[0].event)
		if err != nil || len(envs) != 1 || len(want) != 1 || envs[0].EventID != want[0].EventID {
			t.Errorf("Translate of the journaled event = %+v, %v; want the received webhook's %+v", envs, err, want)
		}
	})
}

// requestEntry is what a test checks of a journaled request.
type requestEntry struct {
	endpoint string
	group    Group
	record   string
	key      string
	outcome  RequestOutcome
	status   int
	code     int
}

func TestJournalRequests(t *testing.T) {
	const (
		brand    = `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`
		edited   = `{"legal_name":"Acme Inc","entity_type":"PRIVATE_PROFIT"}`
		campaign = `{"brand_id":"b1"}`
		number   = `{"campaign_id":"c1"}`
		att      = `{"carrier":"att"}`
	)
	const (
		postBrand    = "POST /registry/brands/{id}"
		getBrand     = "GET /registry/brands/{id}"
		postCampaign = "POST /registry/campaigns/{id}"
		getCampaign  = "GET /registry/campaigns/{id}"
		postNumber   = "POST /numbers/{id}"
		postATT      = "POST /carriers/att/campaigns/{id}"
		getATT       = "GET /carriers/att/campaigns/{id}"
	)
	type call struct{ method, path, key, body string }
	tests := []struct {
		name   string
		config Config // rate limits default to none
		calls  []call
		want   []requestEntry
	}{
		{
			name:  "brand submitted",
			calls: []call{{"POST", "/registry/brands/b1", "k1", brand}},
			want:  []requestEntry{{postBrand, GroupRegistry, "b1", "k1", OutcomeDecided, 201, 0}},
		},
		{
			name:  "repeated with the same key",
			calls: []call{{"POST", "/registry/brands/b1", "k1", brand}, {"POST", "/registry/brands/b1", "k1", edited}},
			want: []requestEntry{
				{postBrand, GroupRegistry, "b1", "k1", OutcomeDecided, 201, 0},
				{postBrand, GroupRegistry, "b1", "k1", OutcomeRepeated, 201, 0},
			},
		},
		{
			name:  "repeated without a key",
			calls: []call{{"POST", "/registry/brands/b1", "", brand}, {"POST", "/registry/brands/b1", "", brand}},
			want: []requestEntry{
				{postBrand, GroupRegistry, "b1", "", OutcomeDecided, 201, 0},
				{postBrand, GroupRegistry, "b1", "", OutcomeRepeated, 201, 0},
			},
		},
		{
			name:  "resubmitted with a new key",
			calls: []call{{"POST", "/registry/brands/b1", "k1", brand}, {"POST", "/registry/brands/b1", "k2", brand}},
			want: []requestEntry{
				{postBrand, GroupRegistry, "b1", "k1", OutcomeDecided, 201, 0},
				{postBrand, GroupRegistry, "b1", "k2", OutcomeResubmitted, 201, 0},
			},
		},
		{
			name:   "refused, resubmitted, repeated: the refusal's code each time",
			config: Config{Rejections: map[Rejection]float64{RejectInvalidEIN: 1}},
			calls: []call{{"POST", "/registry/brands/b1", "k1", brand}, {"POST", "/registry/brands/b1", "k2", brand},
				{"POST", "/registry/brands/b1", "k2", brand}},
			want: []requestEntry{
				{postBrand, GroupRegistry, "b1", "k1", OutcomeDecided, 400, 30795},
				{postBrand, GroupRegistry, "b1", "k2", OutcomeResubmitted, 400, 30795},
				{postBrand, GroupRegistry, "b1", "k2", OutcomeRepeated, 400, 30795},
			},
		},
		{
			name:   "high-risk campaign refused",
			config: Config{Rejections: map[Rejection]float64{RejectHighRisk: 1}},
			calls:  []call{{"POST", "/registry/campaigns/c1", "k1", campaign}},
			want:   []requestEntry{{postCampaign, GroupRegistry, "c1", "k1", OutcomeDecided, 400, 30885}},
		},
		{
			name:   "lost, lost again under the same key, and under a new one",
			config: Config{Lose: map[Group]float64{GroupNumbers: 1}},
			calls: []call{{"POST", "/numbers/n1", "k1", number}, {"POST", "/numbers/n1", "k1", number},
				{"POST", "/numbers/n1", "k2", number}, {"GET", "/numbers/n1", "", ""}},
			want: []requestEntry{
				{postNumber, GroupNumbers, "n1", "k1", OutcomeLost, 202, 0},
				{postNumber, GroupNumbers, "n1", "k1", OutcomeLost, 202, 0},
				{postNumber, GroupNumbers, "n1", "k2", OutcomeLost, 202, 0}, // a resubmission, but lost
				{"GET /numbers/{id}", GroupNumbers, "n1", "", OutcomeNotFound, 404, 0},
			},
		},
		{
			name:   "rate limited",
			config: Config{RateLimits: map[Group]int{GroupATT: 1}},
			calls:  []call{{"POST", "/carriers/att/campaigns/c1", "k1", att}, {"POST", "/carriers/att/campaigns/c2", "k2", att}},
			want: []requestEntry{
				{postATT, GroupATT, "c1", "k1", OutcomeDecided, 202, 0},
				{postATT, GroupATT, "c2", "k2", OutcomeRateLimited, 429, 0},
			},
		},
		{
			name:   "injected 503, state-changing and look-up",
			config: Config{ServerErrors: map[Group]float64{GroupATT: 1}},
			calls:  []call{{"POST", "/carriers/att/campaigns/c1", "k1", att}, {"GET", "/carriers/att/campaigns/c1", "", ""}},
			want: []requestEntry{
				{postATT, GroupATT, "c1", "k1", OutcomeServerError, 503, 0},
				{getATT, GroupATT, "c1", "", OutcomeServerError, 503, 0},
			},
		},
		{
			name: "look-ups found and not found",
			calls: []call{{"POST", "/registry/brands/b1", "k1", brand}, {"GET", "/registry/brands/b1", "", ""},
				{"GET", "/registry/brands/b2", "", ""}, {"GET", "/registry/campaigns/b1", "", ""}},
			want: []requestEntry{
				{postBrand, GroupRegistry, "b1", "k1", OutcomeDecided, 201, 0},
				{getBrand, GroupRegistry, "b1", "", OutcomeFound, 200, 0},
				{getBrand, GroupRegistry, "b2", "", OutcomeNotFound, 404, 0},
				{getCampaign, GroupRegistry, "b1", "", OutcomeNotFound, 404, 0},
			},
		},
		{
			name: "malformed: invalid and too large bodies",
			calls: []call{{"POST", "/numbers/n1", "k1", `{"number":"+15551230001"}`},
				{"POST", "/numbers/n1", "k2", `{"campaign_id":"` + strings.Repeat("c", maxBodyBytes) + `"}`},
				{"POST", "/numbers/n1", "k3", number}},
			want: []requestEntry{
				{postNumber, GroupNumbers, "n1", "k1", OutcomeMalformed, 400, 0},
				{postNumber, GroupNumbers, "n1", "k2", OutcomeMalformed, 413, 0},
				{postNumber, GroupNumbers, "n1", "k3", OutcomeDecided, 202, 0}, // nothing was remembered
			},
		},
		{
			name:  "brand deleted",
			calls: []call{{"DELETE", "/registry/brands/b1", "k1", ""}},
			want:  []requestEntry{{"DELETE /registry/brands/{id}", GroupRegistry, "b1", "k1", OutcomeDecided, 204, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := tt.config
				cfg.Latencies = fixedLatencies()
				if cfg.RateLimits == nil {
					cfg.RateLimits = map[Group]int{GroupRegistry: 0, GroupATT: 0, GroupTMobile: 0, GroupVerizon: 0, GroupNumbers: 0}
				}
				h := start(t, cfg)
				var statuses []int
				for _, c := range tt.calls {
					status, _, _ := h.do(c.method, c.path, c.key, c.body)
					statuses = append(statuses, status)
				}
				settle(time.Minute)
				j := h.journal()
				var got []requestEntry
				for i, r := range j.Requests {
					got = append(got, requestEntry{r.Endpoint, r.Group, r.RecordID, r.Key, r.Outcome, r.Status, r.Code})
					if i < len(statuses) && r.Status != statuses[i] {
						t.Errorf("request %d journaled with status %d, answered %d", i, r.Status, statuses[i])
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("journaled requests =\n%v\nwant\n%v", got, tt.want)
				}
				checkJournalAgrees(t, j, h.counters())
			})
		})
	}
}

// webhookEntry is what a test checks of a journaled webhook.
type webhookEntry struct {
	eventType tcr.EventType
	delivery  DeliveryOutcome
	status    int
}

func TestJournalWebhooks(t *testing.T) {
	const reg = tcr.EventNumberRegistrationUpdate
	tests := []struct {
		name    string
		config  Config
		faults  string          // POST /admin/faults body, if any
		receive func(n int) int // the receiver's answer to its n-th request; nil for 204
		want    []webhookEntry
	}{
		{name: "delivered", want: []webhookEntry{{reg, DeliveryDelivered, 204}}},
		{name: "dropped by the drop rate", config: Config{Drop: 1}, want: []webhookEntry{{reg, DeliveryDropped, 0}}},
		{name: "dropped by a fault", faults: `{"drop":[{"event_type":"NUMBER_REGISTRATION_UPDATE","number":"n1"}]}`,
			want: []webhookEntry{{reg, DeliveryDropped, 0}}},
		{name: "duplicated", config: Config{Duplicate: 1},
			want: []webhookEntry{{reg, DeliveryDelivered, 204}, {reg, DeliveryDuplicate, 204}}},
		{name: "refused by the receiver, then delivered", receive: func(n int) int {
			if n == 1 {
				return http.StatusServiceUnavailable
			}
			return http.StatusAccepted
		}, want: []webhookEntry{{reg, DeliveryFailed, 503}, {reg, DeliveryDelivered, 202}}},
		{name: "duplicate refused once", config: Config{Duplicate: 1}, receive: func(n int) int {
			if n == 2 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		}, want: []webhookEntry{{reg, DeliveryDelivered, 204}, {reg, DeliveryFailed, 500}, {reg, DeliveryDuplicate, 204}}},
		{name: "no answer, given up", config: Config{WebhookURL: "http://nowhere.test:80/webhooks", RetryFor: time.Second},
			// attempts at 0, 250ms and 750ms; the next (at 1.75s) would be past the window
			want: []webhookEntry{{reg, DeliveryFailed, 0}, {reg, DeliveryFailed, 0}, {reg, DeliveryFailed, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := tt.config
				cfg.Latencies = fixedLatencies()
				h := start(t, cfg)
				h.receiver.answer(tt.receive)
				if tt.faults != "" {
					if status, _, body := h.do(http.MethodPost, "/admin/faults", "", tt.faults); status != http.StatusOK {
						t.Fatalf("POST /admin/faults: %d %s", status, body)
					}
				}
				if _, err := h.tcr.RegisterNumber(t.Context(), "n1", tcr.Meta{IdempotencyKey: "k1"}, number1); err != nil {
					t.Fatalf("RegisterNumber: %v", err)
				}
				settle(time.Minute)
				j := h.journal()
				var got []webhookEntry
				var answered []tcr.WebhookEvent // the journaled attempts the receiver answered
				for _, w := range j.Webhooks {
					got = append(got, webhookEntry{w.Event.EventType, w.Delivery, w.Status})
					if w.Status != 0 {
						answered = append(answered, w.Event)
					}
					if want := eventID(request{endpoint: "POST /numbers/{id}", id: "n1", key: "k1"}, StepNumbers, 0); w.Event.EventID != want {
						t.Errorf("journaled event id = %s, want %s", w.Event.EventID, want)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("journaled webhooks =\n%v\nwant\n%v", got, tt.want)
				}
				if received := h.receiver.events(t); !slices.Equal(answered, received) {
					t.Errorf("journaled events answered =\n%+v\nreceiver got\n%+v", answered, received)
				}
				checkJournalAgrees(t, j, h.counters())
			})
		})
	}
}

// Under every fault at once, over every endpoint, the journal agrees with the
// counters, and no group accepted more than its rate in any one-second window
// of the journal's times.
func TestJournalAgreesWithCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{
			Seed:         7,
			RateLimits:   map[Group]int{GroupRegistry: 3, GroupATT: 2, GroupTMobile: 2, GroupVerizon: 2, GroupNumbers: 4},
			ServerErrors: map[Group]float64{GroupRegistry: 0.1, GroupATT: 0.1, GroupTMobile: 0.1, GroupVerizon: 0.1, GroupNumbers: 0.1},
			Lose:         map[Group]float64{GroupRegistry: 0.2, GroupATT: 0.2, GroupTMobile: 0.2, GroupVerizon: 0.2, GroupNumbers: 0.2},
			Rejections:   map[Rejection]float64{RejectInvalidEIN: 0.2, RejectHighRisk: 0.2, RejectReviewer: 0.3, RejectATT: 0.3},
			Drop:         0.2, Duplicate: 0.3, Reorder: 0.3,
		})
		h.receiver.answer(func(n int) int {
			if n%4 == 0 {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		})
		type call struct{ method, path, body string }
		calls := func(i int) []call {
			b, c, n := fmt.Sprintf("b%d", i%7), fmt.Sprintf("c%d", i%5), fmt.Sprintf("n%d", i%9)
			return []call{
				{"POST", "/registry/brands/" + b, `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`},
				{"POST", "/registry/campaigns/" + c, `{"brand_id":"` + b + `"}`},
				{"POST", "/carriers/att/campaigns/" + c, `{"carrier":"att"}`},
				{"POST", "/carriers/verizon/campaigns/" + c, ""},
				{"POST", "/numbers/" + n, `{"campaign_id":"` + c + `"}`},
				{"DELETE", "/numbers/" + n, ""},
				{"GET", "/registry/brands/" + b, ""},
				{"GET", "/carriers/att/campaigns/" + c, ""},
				{"GET", "/numbers/" + n, ""},
				{"POST", "/numbers/" + n, `{"number":"+15551230001"}`}, // malformed
			}
		}
		for i := range 60 {
			for j, c := range calls(i) {
				key := fmt.Sprintf("k%d", (i+j)%4) // keys come back: repeats and resubmissions
				if c.method == http.MethodGet {
					key = ""
				}
				h.do(c.method, c.path, key, c.body)
			}
			settle(700 * time.Millisecond) // one second holds some calls of the one before: 429s
		}
		settle(5 * time.Minute) // every retry window over
		j, c := h.journal(), h.counters()
		checkJournalAgrees(t, j, c)

		outcomes := map[RequestOutcome]int{}
		for _, r := range j.Requests {
			outcomes[r.Outcome]++
		}
		for _, o := range []RequestOutcome{OutcomeDecided, OutcomeResubmitted, OutcomeRepeated, OutcomeLost, OutcomeRateLimited,
			OutcomeServerError, OutcomeMalformed, OutcomeFound, OutcomeNotFound} {
			if outcomes[o] == 0 {
				t.Errorf("no request %s: the test does not exercise it (%v)", o, outcomes)
			}
		}
		deliveries := map[DeliveryOutcome]int{}
		for _, w := range j.Webhooks {
			deliveries[w.Delivery]++
		}
		if got, want := int64(deliveries[DeliveryDuplicate]), c.Webhooks.Duplicated; got != want || got == 0 {
			t.Errorf("duplicate deliveries = %d, want duplicated = %d, not 0", got, want)
		}
		if deliveries[DeliveryDropped] == 0 || deliveries[DeliveryFailed] == 0 {
			t.Errorf("deliveries %v: want some dropped and some failed", deliveries)
		}

		accepted := map[Group][]time.Time{}
		for _, r := range j.Requests {
			if r.Outcome != OutcomeRateLimited {
				accepted[r.Group] = append(accepted[r.Group], r.At)
			}
		}
		for g, times := range accepted {
			for i, at := range times {
				n := 0
				for _, before := range times[:i+1] {
					if before.After(at.Add(-time.Second)) {
						n++
					}
				}
				if n > j.Rates[g] {
					t.Errorf("%s accepted %d requests in the second up to %s, rate %d", g, n, at, j.Rates[g])
				}
			}
		}
	})
}

// Concurrent requests and readers: every request journaled once, no reader
// sees one half answered (go test -race checks the locking).
func TestJournalConcurrentRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, each = 8, 20
		h := start(t, Config{Latencies: fixedLatencies(), RateLimits: map[Group]int{GroupNumbers: 50}, Duplicate: 0.5, Drop: 0.2})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					id := fmt.Sprintf("n%d", i%5)
					meta := tcr.Meta{IdempotencyKey: fmt.Sprintf("k%d-%d", w%3, i%4)}
					_, err := h.tcr.RegisterNumber(t.Context(), id, meta, number1)
					if herr, ok := errors.AsType[*tcr.HTTPError](err); err != nil && (!ok || herr.Status != http.StatusTooManyRequests) {
						t.Errorf("RegisterNumber %s: %v", id, err)
					}
				}
			})
		}
		stop := make(chan struct{})
		reader := make(chan error, 1)
		go func() {
			for {
				resp, err := h.http.Get(h.simURL + "/journal")
				if err != nil {
					reader <- err
					return
				}
				var v Journal
				err = json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if err != nil {
					reader <- err
					return
				}
				for _, r := range v.Requests {
					if r.Outcome == "" || r.Status == 0 {
						reader <- fmt.Errorf("a reader saw a request half answered: %+v", r)
						return
					}
				}
				select {
				case <-stop:
					reader <- nil
					return
				default:
				}
			}
		}()
		wg.Wait()
		close(stop)
		if err := <-reader; err != nil {
			t.Errorf("reader: %v", err)
		}
		settle(time.Minute)
		j, c := h.journal(), h.counters()
		if got, want := len(j.Requests), workers*each; got != want {
			t.Errorf("journaled %d requests, want %d", got, want)
		}
		checkJournalAgrees(t, j, c)
	})
}
