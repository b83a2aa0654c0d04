package tcrhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

const testSecret = "test-webhook-secret-0123456789"

// testNow is the shim's clock in the tests; webhooks are signed a second
// before it.
var testNow = time.Date(2026, 3, 12, 19, 3, 58, 0, time.UTC)

// lockedBuffer collects the logs of handlers running on server goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startShim serves a handler for cfg on a local HTTP server and returns its
// webhook URL. Secret, Now and Logger default to the test's.
func startShim(tb testing.TB, cfg HandlerConfig) string {
	tb.Helper()
	if cfg.Secret == nil {
		cfg.Secret = StaticSecret(testSecret)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	h, err := NewHandler(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL + "/webhooks"
}

// sign returns the signature header of body posted to url, made a second
// before testNow with the test secret.
func sign(url string, body []byte) string {
	return tcr.Sign([]byte(testSecret), url, body, testNow.Add(-time.Second))
}

// post sends body to url with the signature header (none if empty) and
// returns the status and the decoded JSON answer.
func post(tb testing.TB, url string, body io.Reader, signature string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(tcr.SignatureHeader, signature)
	}
	return do(tb, req)
}

func do(tb testing.TB, req *http.Request) (int, map[string]any) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if resp.Header.Get("Content-Type") != "application/json" {
		return resp.StatusCode, nil // the mux's own answers (405) are text
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		tb.Fatalf("%s %s answered %d with a body that is not JSON: %v", req.Method, req.URL, resp.StatusCode, err)
	}
	return resp.StatusCode, answer
}

// recordingSink keeps what the handler delivers.
type recordingSink struct {
	mu   sync.Mutex
	envs []statemachine.Envelope
}

func (q *recordingSink) Send(_ context.Context, envs ...statemachine.Envelope) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.envs = append(q.envs, envs...)
	return nil
}

func (q *recordingSink) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.envs)
}

// takeOne returns the one envelope delivered since the last takeOne and
// forgets it; it fails the test unless exactly one was delivered.
func (q *recordingSink) takeOne(tb testing.TB) statemachine.Envelope {
	tb.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	if got := len(q.envs); got != 1 {
		tb.Fatalf("%d events delivered, want 1", got)
	}
	env := q.envs[0]
	q.envs = nil
	return env
}

// webhookCases are real-shaped webhooks, one per event type and status, and
// the internal event each must deliver ("" for none).
var webhookCases = []struct {
	name        string
	body        string
	wantType    statemachine.EventType
	wantEntity  string
	wantPayload string
}{
	{"identity verified", `{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"0b7e5c1a-01","brandId":"brand-7f3a","brandIdentityStatus":"VERIFIED","timestamp":"2026-03-12T19:03:20Z"}`,
		statemachine.BrandVerified, "brand-7f3a", `{"status":"VERIFIED"}`},
	{"identity self declared", `{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"0b7e5c1a-02","brandId":"brand-sp01","brandIdentityStatus":"SELF_DECLARED","timestamp":"2026-03-12T19:03:21Z"}`,
		statemachine.BrandVerified, "brand-sp01", `{"status":"SELF_DECLARED"}`},
	{"identity unverified", `{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"0b7e5c1a-03","brandId":"brand-7f3a","brandIdentityStatus":"UNVERIFIED","code":30795,"description":"EIN does not match the legal name","timestamp":"2026-03-12T19:03:22Z"}`,
		statemachine.BrandUnverified, "brand-7f3a", `{"code":30795,"description":"EIN does not match the legal name"}`},
	{"score update", `{"eventType":"BRAND_SCORE_UPDATE","eventId":"0b7e5c1a-04","brandId":"brand-7f3a","brandScore":82,"timestamp":"2026-03-12T19:03:23Z"}`,
		statemachine.BrandScoreUpdated, "brand-7f3a", `{"score":82}`},
	{"revet vetted verified", `{"eventType":"BRAND_REVET","eventId":"0b7e5c1a-05","brandId":"brand-7f3a","brandIdentityStatus":"VETTED_VERIFIED","timestamp":"2026-03-12T19:03:24Z"}`,
		statemachine.BrandVetted, "brand-7f3a", `{}`},
	{"revet unverified", `{"eventType":"BRAND_REVET","eventId":"0b7e5c1a-06","brandId":"brand-7f3a","brandIdentityStatus":"UNVERIFIED","code":30902,"description":"secondary vetting partner rejected","timestamp":"2026-03-12T19:03:25Z"}`,
		statemachine.BrandVetFailed, "brand-7f3a", `{"code":30902,"description":"secondary vetting partner rejected"}`},
	{"brand delete", `{"eventType":"BRAND_DELETE","eventId":"0b7e5c1a-07","brandId":"brand-7f3a","timestamp":"2026-03-12T19:03:26Z"}`,
		statemachine.BrandDeleted, "brand-7f3a", `{}`},
	{"campaign add", `{"eventType":"CAMPAIGN_ADD","eventId":"0b7e5c1a-08","brandId":"brand-7f3a","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:27Z"}`,
		statemachine.CampaignRegistryAccepted, "camp-c91e", `{}`},
	{"share add (informational)", `{"eventType":"CAMPAIGN_SHARE_ADD","eventId":"0b7e5c1a-09","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:28Z"}`,
		"", "", ""},
	{"share accept", `{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"0b7e5c1a-10","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:29Z"}`,
		statemachine.CampaignReviewApproved, "camp-c91e", `{}`},
	{"share delete", `{"eventType":"CAMPAIGN_SHARE_DELETE","eventId":"0b7e5c1a-11","campaignId":"camp-c91e","code":30893,"description":"sample messages do not match the use case","timestamp":"2026-03-12T19:03:30Z"}`,
		statemachine.CampaignReviewRejected, "camp-c91e", `{"code":30893,"description":"sample messages do not match the use case"}`},
	{"resubmission (informational)", `{"eventType":"CAMPAIGN_RESUBMISSION","eventId":"0b7e5c1a-12","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:31Z"}`,
		"", "", ""},
	{"campaign expired", `{"eventType":"CAMPAIGN_EXPIRED","eventId":"0b7e5c1a-13","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:32Z"}`,
		statemachine.CampaignExpired, "camp-c91e", `{}`},
	{"carrier review", `{"eventType":"MNO_CAMPAIGN_OPERATION_REVIEW","eventId":"0b7e5c1a-14","campaignId":"camp-c91e","mnoId":10017,"mnoName":"AT&T","timestamp":"2026-03-12T19:03:33Z"}`,
		statemachine.CampaignCarrierReview, "camp-c91e", `{"carrier":"att"}`},
	{"carrier approved", `{"eventType":"MNO_CAMPAIGN_OPERATION_APPROVED","eventId":"0b7e5c1a-15","campaignId":"camp-c91e","mnoId":10035,"mnoName":"T-Mobile","timestamp":"2026-03-12T19:03:34Z"}`,
		statemachine.CampaignCarrierApproved, "camp-c91e", `{"carrier":"tmobile"}`},
	{"carrier rejected", `{"eventType":"MNO_CAMPAIGN_OPERATION_REJECTED","eventId":"0b7e5c1a-16","campaignId":"camp-c91e","mnoId":10038,"mnoName":"Verizon Wireless","code":30899,"description":"opt-in flow unclear","timestamp":"2026-03-12T19:03:35Z"}`,
		statemachine.CampaignCarrierRejected, "camp-c91e", `{"carrier":"verizon","code":30899,"description":"opt-in flow unclear"}`},
	{"carrier suspended", `{"eventType":"MNO_CAMPAIGN_OPERATION_SUSPENDED","eventId":"0b7e5c1a-17","campaignId":"camp-c91e","mnoId":10035,"mnoName":"T-Mobile","code":30899,"description":"spam complaints","timestamp":"2026-03-12T19:03:36Z"}`,
		statemachine.CampaignCarrierSuspended, "camp-c91e", `{"carrier":"tmobile","code":30899,"description":"spam complaints"}`},
	{"carrier unsuspended", `{"eventType":"MNO_CAMPAIGN_OPERATION_UNSUSPENDED","eventId":"0b7e5c1a-18","campaignId":"camp-c91e","mnoId":10035,"mnoName":"T-Mobile","timestamp":"2026-03-12T19:03:37Z"}`,
		statemachine.CampaignCarrierUnsuspended, "camp-c91e", `{"carrier":"tmobile"}`},
	{"number registered", `{"eventType":"NUMBER_REGISTRATION_UPDATE","eventId":"0b7e5c1a-19","campaignId":"camp-c91e","number":"+15551230001","numberStatus":"REGISTERED","timestamp":"2026-03-12T19:03:38Z"}`,
		statemachine.NumberRegistered, "+15551230001", `{}`},
	{"number failed", `{"eventType":"NUMBER_REGISTRATION_UPDATE","eventId":"0b7e5c1a-20","campaignId":"camp-c91e","number":"+15551230002","numberStatus":"FAILED","code":30901,"description":"registration timed out","timestamp":"2026-03-12T19:03:39Z"}`,
		statemachine.NumberFailed, "+15551230002", `{"code":30901,"description":"registration timed out"}`},
	{"number deregistered", `{"eventType":"NUMBER_DEREGISTRATION_UPDATE","eventId":"0b7e5c1a-21","campaignId":"camp-c91e","number":"+15551230001","numberStatus":"DEREGISTERED","timestamp":"2026-03-12T19:03:40Z"}`,
		statemachine.NumberDeregistered, "+15551230001", `{}`},
}

func TestWebhookDeliversTheInternalEvent(t *testing.T) {
	q := &recordingSink{}
	logs := &lockedBuffer{}
	url := startShim(t, HandlerConfig{Sink: q, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	for _, tt := range webhookCases {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			status, answer := post(t, url, bytes.NewReader(body), sign(url, body))
			if tt.wantType == "" {
				if got, want := status, http.StatusOK; got != want {
					t.Fatalf("status = %d (%v), want %d", got, answer, want)
				}
				if got := q.len(); got != 0 {
					t.Fatalf("%d events delivered, want none for an informational webhook", got)
				}
				return
			}
			if got, want := status, http.StatusAccepted; got != want {
				t.Fatalf("status = %d (%v), want %d", got, answer, want)
			}
			env := q.takeOne(t)
			if got, want := env.Type, tt.wantType; got != want {
				t.Errorf("Type = %s, want %s", got, want)
			}
			if got, want := env.EntityID, tt.wantEntity; got != want {
				t.Errorf("EntityID = %q, want %q", got, want)
			}
			if got, want := string(env.Payload), tt.wantPayload; got != want {
				t.Errorf("Payload = %s, want %s", got, want)
			}
			if got, want := env.Actor, "webhook"; got != want {
				t.Errorf("Actor = %q, want %q", got, want)
			}
			ev, err := tcr.DecodeWebhookEvent(body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := env.OccurredAt, ev.Timestamp; !got.Equal(want) {
				t.Errorf("OccurredAt = %v, want the webhook's timestamp %v", got, want)
			}
			if got, want := answer["event_ids"], []any{env.EventID}; !equalJSON(got, want) {
				t.Errorf("answer event_ids = %v, want %v (the id delivered)", got, want)
			}
		})
	}
	assertNoSecrets(t, logs.String())
}

func TestDuplicateWebhookGetsTheSameEventID(t *testing.T) {
	q := &recordingSink{}
	url := startShim(t, HandlerConfig{Sink: q})
	body := []byte(webhookCases[0].body)
	var ids []string
	for range 2 {
		if status, answer := post(t, url, bytes.NewReader(body), sign(url, body)); status != http.StatusAccepted {
			t.Fatalf("status = %d (%v), want 202", status, answer)
		}
		env := q.takeOne(t)
		ids = append(ids, env.EventID)
	}
	if ids[0] != ids[1] {
		t.Errorf("event ids of a webhook and its duplicate = %s, %s; want equal", ids[0], ids[1])
	}
}

func TestRejectedWebhookDeliversNothing(t *testing.T) {
	q := &recordingSink{}
	logs := &lockedBuffer{}
	url := startShim(t, HandlerConfig{Sink: q, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	valid := []byte(webhookCases[0].body)
	oversized := []byte(`{"eventType":"CAMPAIGN_SHARE_DELETE","eventId":"e","campaignId":"c","description":"` +
		strings.Repeat("x", DefaultMaxBody) + `","timestamp":"2026-03-12T19:03:30Z"}`)
	signed := func(body []byte) string { return sign(url, body) }

	tests := []struct {
		name       string
		method     string
		body       []byte
		chunked    bool // send without a Content-Length
		signature  string
		wantStatus int
		wantError  string // part of the answer's error
	}{
		{name: "no signature", body: valid, wantStatus: http.StatusUnauthorized, wantError: "missing webhook signature"},
		{name: "wrong secret", body: valid, signature: tcr.Sign([]byte("another-secret-of-16+bytes"), url, valid, testNow),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature"},
		{name: "body changed after signing", body: valid, signature: signed([]byte(webhookCases[1].body)),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature"},
		{name: "signed for another URL", body: valid, signature: tcr.Sign([]byte(testSecret), "https://elsewhere.example/webhooks", valid, testNow),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature"},
		{name: "malformed signature header", body: valid, signature: "sha256=deadbeef",
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature"},
		{name: "replayed: signed 10 minutes ago", body: valid, signature: tcr.Sign([]byte(testSecret), url, valid, testNow.Add(-10*time.Minute)),
			wantStatus: http.StatusUnauthorized, wantError: "stale webhook signature"},
		{name: "oversized body", body: oversized, signature: signed(oversized),
			wantStatus: http.StatusRequestEntityTooLarge, wantError: "body larger than 65536 bytes"},
		{name: "oversized chunked body", body: oversized, chunked: true, signature: signed(oversized),
			wantStatus: http.StatusRequestEntityTooLarge, wantError: "body larger than 65536 bytes"},
		{name: "garbage JSON", body: []byte(`{"eventType":"CAMPAIGN_ADD",`), signature: signed([]byte(`{"eventType":"CAMPAIGN_ADD",`)),
			wantStatus: http.StatusBadRequest, wantError: "invalid webhook event"},
		{name: "not JSON at all", body: []byte("eventType=CAMPAIGN_ADD"), signature: signed([]byte("eventType=CAMPAIGN_ADD")),
			wantStatus: http.StatusBadRequest, wantError: "invalid webhook event"},
		{name: "missing campaign id", body: []byte(`{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"e","timestamp":"2026-03-12T19:03:30Z"}`),
			signature:  signed([]byte(`{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"e","timestamp":"2026-03-12T19:03:30Z"}`)),
			wantStatus: http.StatusBadRequest, wantError: "campaignId is empty"},
		{name: "unknown carrier", body: []byte(`{"eventType":"MNO_CAMPAIGN_OPERATION_APPROVED","eventId":"e","campaignId":"c","mnoId":10999,"timestamp":"2026-03-12T19:03:30Z"}`),
			signature:  signed([]byte(`{"eventType":"MNO_CAMPAIGN_OPERATION_APPROVED","eventId":"e","campaignId":"c","mnoId":10999,"timestamp":"2026-03-12T19:03:30Z"}`)),
			wantStatus: http.StatusBadRequest, wantError: "unknown mno id 10999"},
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusMethodNotAllowed},
		{name: "PUT", method: http.MethodPut, body: valid, signature: signed(valid), wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: the client sends it chunked
			}
			req, err := http.NewRequestWithContext(t.Context(), method, url, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.signature != "" {
				req.Header.Set(tcr.SignatureHeader, tt.signature)
			}
			status, answer := do(t, req)
			if got, want := status, tt.wantStatus; got != want {
				t.Errorf("status = %d (%v), want %d", got, answer, want)
			}
			if msg, _ := answer["error"].(string); !strings.Contains(msg, tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.wantError)
			}
			if got := q.len(); got != 0 {
				t.Errorf("%d events delivered, want none", got)
			}
		})
	}
	assertNoSecrets(t, logs.String())
}

func TestBodyAtTheLimitIsAccepted(t *testing.T) {
	q := &recordingSink{}
	url := startShim(t, HandlerConfig{Sink: q})
	head, tail := `{"eventType":"CAMPAIGN_SHARE_DELETE","eventId":"e-limit","campaignId":"camp-1","code":30893,"description":"`, `","timestamp":"2026-03-12T19:03:30Z"}`
	body := []byte(head + strings.Repeat("x", DefaultMaxBody-len(head)-len(tail)) + tail)
	if got, want := len(body), DefaultMaxBody; got != want {
		t.Fatalf("body is %d bytes, want %d", got, want)
	}
	if status, answer := post(t, url, bytes.NewReader(body), sign(url, body)); status != http.StatusAccepted {
		t.Fatalf("status = %d (%v), want 202", status, answer)
	}
	if env := q.takeOne(t); env.Type != statemachine.CampaignReviewRejected {
		t.Errorf("Type = %s, want %s", env.Type, statemachine.CampaignReviewRejected)
	}
}

func TestPublicURL(t *testing.T) {
	q := &recordingSink{}
	const public = "https://hooks.example.com/tendlc/webhooks"
	url := startShim(t, HandlerConfig{Sink: q, PublicURL: public})
	body := []byte(webhookCases[9].body)

	status, answer := post(t, url, bytes.NewReader(body), tcr.Sign([]byte(testSecret), public, body, testNow))
	if got, want := status, http.StatusAccepted; got != want {
		t.Fatalf("signed for the public URL: status = %d (%v), want %d", got, answer, want)
	}
	q.takeOne(t)
	status, answer = post(t, url, bytes.NewReader(body), sign(url, body))
	if got, want := status, http.StatusUnauthorized; got != want {
		t.Fatalf("signed for the local URL: status = %d (%v), want %d", got, answer, want)
	}
	if got := q.len(); got != 0 {
		t.Errorf("%d events delivered, want none", got)
	}
}

// fakeSink answers every Send with err.
type fakeSink struct{ err error }

func (f fakeSink) Send(context.Context, ...statemachine.Envelope) error { return f.err }

func TestSendFailureStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"sent", nil, http.StatusAccepted},
		{"not sent: sink unavailable", fmt.Errorf("%w: 1 of 1 not sent: throttled", ErrUnavailable), http.StatusServiceUnavailable},
		{"not sent: invalid envelope", errors.New("nothing sent: malformed envelope"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startShim(t, HandlerConfig{Sink: fakeSink{tt.err}})
			body := []byte(webhookCases[9].body)
			if got, _ := post(t, url, bytes.NewReader(body), sign(url, body)); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}

// An event type the shim does not know is acknowledged with 200, so the
// registry neither retries nor alerts, delivers nothing and is counted.
func TestUnknownEventTypeIsAcknowledgedAndCounted(t *testing.T) {
	q := &recordingSink{}
	reg := prometheus.NewRegistry()
	url := startShim(t, HandlerConfig{Sink: q, Registerer: reg})
	body := []byte(`{"eventType":"BRAND_FEEDBACK","eventId":"e","brandId":"b","timestamp":"2026-03-12T19:03:30Z"}`)
	for range 2 {
		status, answer := post(t, url, bytes.NewReader(body), sign(url, body))
		if got, want := status, http.StatusOK; got != want {
			t.Fatalf("status = %d (%v), want %d", got, answer, want)
		}
		if got, want := answer["reason"], "unknown event type"; got != want {
			t.Errorf("reason = %v, want %q", got, want)
		}
	}
	if got := q.len(); got != 0 {
		t.Errorf("%d events delivered, want none", got)
	}
	want := `
# HELP tendlc_webhooks_ignored_total Webhooks acknowledged without enqueuing anything, by reason.
# TYPE tendlc_webhooks_ignored_total counter
tendlc_webhooks_ignored_total{reason="unknown_type"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tendlc_webhooks_ignored_total"); err != nil {
		t.Error(err)
	}
}

// In Lambda the ignored webhooks are counted from their log line by the
// template's metric filter (infra/cfn: msg "webhook ignored", dimension
// reason): the line must keep that shape.
func TestIgnoredWebhookLogLine(t *testing.T) {
	logs := &lockedBuffer{}
	url := startShim(t, HandlerConfig{Sink: fakeSink{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	body := []byte(`{"eventType":"BRAND_FEEDBACK","eventId":"e","brandId":"b","timestamp":"2026-03-12T19:03:30Z"}`)
	if status, answer := post(t, url, bytes.NewReader(body), sign(url, body)); status != http.StatusOK {
		t.Fatalf("status = %d (%v), want 200", status, answer)
	}
	var line struct{ Msg, Reason string }
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("log %q is not one JSON line: %v", logs, err)
	}
	if line.Msg != "webhook ignored" || line.Reason != "unknown_type" {
		t.Errorf("log line msg %q reason %q, want %q %q (the metric filter's pattern and dimension)", line.Msg, line.Reason, "webhook ignored", "unknown_type")
	}
}

func TestHealthz(t *testing.T) {
	url := startShim(t, HandlerConfig{Sink: fakeSink{}})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, strings.TrimSuffix(url, "/webhooks")+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	status, answer := do(t, req)
	if got, want := status, http.StatusOK; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := answer["status"], "ok"; got != want {
		t.Errorf("status field = %v, want %q", got, want)
	}
}

func TestNewHandlerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  HandlerConfig
		want string
	}{
		{"no secret", HandlerConfig{Sink: fakeSink{}}, "secret source is nil"},
		{"no sink", HandlerConfig{Secret: StaticSecret(testSecret)}, "sink is nil"},
		{"relative public URL", HandlerConfig{Secret: StaticSecret(testSecret), Sink: fakeSink{}, PublicURL: "/webhooks"}, "not an absolute http(s) URL"},
		{"negative limit", HandlerConfig{Secret: StaticSecret(testSecret), Sink: fakeSink{}, MaxBody: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHandler(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewHandler: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewHandler(HandlerConfig{}); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("NewHandler(zero config): %v, want both problems (secret, sink)", err)
	}
}

// assertNoSecrets fails the test if logs show the secret or a signature.
func assertNoSecrets(tb testing.TB, logs string) {
	tb.Helper()
	if logs == "" {
		tb.Fatal("no logs written; the check below would pass vacuously")
	}
	for _, secret := range []string{testSecret, "v1="} {
		if strings.Contains(logs, secret) {
			tb.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// equalJSON compares two decoded JSON values.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// A program mounts the handler on a mux of its own, beside its own routes.
func TestHandlerOnAMuxOfItsOwn(t *testing.T) {
	h, err := NewHandler(HandlerConfig{Secret: StaticSecret(testSecret), Sink: fakeSink{}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/", h)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	url := srv.URL + "/hooks/registry"
	body := []byte(webhookCases[9].body)
	if status, answer := post(t, url, bytes.NewReader(body), sign(url, body)); status != http.StatusAccepted {
		t.Errorf("webhook through the program's mux: %d %v, want 202", status, answer)
	}
}
