package tcrhook

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tendlc/tendlc/statemachine"
)

// The fixtures under testdata/ are HTTP events as Lambda delivers them
// (payload format 2.0) from a function URL and from an API Gateway HTTP API,
// with plain and base64 bodies. Their webhooks are signed with testSecret at
// testNow over https://{domainName}{rawPath}[?rawQueryString]; a fixture
// edited without re-signing (tcr.Sign) fails with 401.

// readFixture returns the bytes of testdata/name.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// invoke runs one event through a Lambda adapter for cfg and returns the
// decoded response. Secret and Now default to the test's.
func invoke(tb testing.TB, cfg HandlerConfig, event []byte) events.LambdaFunctionURLResponse {
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
	out, err := LambdaAdapter{h}.Invoke(tb.Context(), event)
	if err != nil {
		tb.Fatalf("Invoke: %v", err)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		tb.Fatalf("response %s: %v", out, err)
	}
	return resp
}

func TestLambdaFixtures(t *testing.T) {
	q := &recordingSink{}
	tests := []struct {
		fixture    string
		wantStatus int
		wantType   statemachine.EventType // "" for nothing delivered
		wantEntity string
	}{
		{"apigw-v2.json", http.StatusAccepted, statemachine.BrandVerified, "brand-7f3a"},
		{"apigw-v2-base64.json", http.StatusAccepted, statemachine.CampaignCarrierRejected, "camp-c91e"},
		{"function-url.json", http.StatusAccepted, statemachine.CampaignReviewApproved, "camp-c91e"},
		{"function-url-base64.json", http.StatusAccepted, statemachine.NumberFailed, "+15551230001"},
		{"function-url-healthz.json", http.StatusOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			resp := invoke(t, HandlerConfig{Sink: q}, readFixture(t, tt.fixture))
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Fatalf("status = %d (%s), want %d", got, resp.Body, want)
			}
			if got, want := resp.Headers["Content-Type"], "application/json"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			var answer map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &answer); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if tt.wantType == "" {
				if got := q.len(); got != 0 {
					t.Errorf("%d events delivered, want none", got)
				}
				return
			}
			env := q.takeOne(t)
			if got, want := env.Type, tt.wantType; got != want {
				t.Errorf("Type = %s, want %s", got, want)
			}
			if got, want := env.EntityID, tt.wantEntity; got != want {
				t.Errorf("EntityID = %q, want %q", got, want)
			}
			if got, want := answer["event_ids"], []any{env.EventID}; !equalJSON(got, want) {
				t.Errorf("answer event_ids = %v, want %v", got, want)
			}
		})
	}
}

func TestLambdaRefusals(t *testing.T) {
	q := &recordingSink{}
	// edit returns a fixture with its event changed by f.
	edit := func(tb testing.TB, name string, f func(ev map[string]any)) []byte {
		tb.Helper()
		var ev map[string]any
		if err := json.Unmarshal(readFixture(tb, name), &ev); err != nil {
			tb.Fatal(err)
		}
		f(ev)
		b, err := json.Marshal(ev)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	requestContext := func(ev map[string]any) map[string]any { return ev["requestContext"].(map[string]any) }
	tests := []struct {
		name       string
		event      []byte
		maxBody    int64
		wantStatus int
		wantError  string
	}{
		{
			name: "another domain than the one signed",
			event: edit(t, "function-url.json", func(ev map[string]any) {
				requestContext(ev)["domainName"] = "zyxwvutsrqponmlkjihgfedcba543210.lambda-url.us-east-1.on.aws"
			}),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature",
		},
		{
			name:       "another stage path than the one signed",
			event:      edit(t, "apigw-v2-base64.json", func(ev map[string]any) { ev["rawPath"] = "/webhooks" }),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature",
		},
		{
			name:       "query string dropped",
			event:      edit(t, "apigw-v2-base64.json", func(ev map[string]any) { ev["rawQueryString"] = "" }),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature",
		},
		{
			name:       "base64 body taken as text",
			event:      edit(t, "function-url-base64.json", func(ev map[string]any) { ev["isBase64Encoded"] = false }),
			wantStatus: http.StatusUnauthorized, wantError: "bad webhook signature",
		},
		{
			name:       "malformed base64 body",
			event:      edit(t, "function-url-base64.json", func(ev map[string]any) { ev["body"] = "not base64!" }),
			wantStatus: http.StatusBadRequest, wantError: "cannot read the body",
		},
		{
			name:       "body over the limit",
			event:      readFixture(t, "apigw-v2.json"),
			maxBody:    64,
			wantStatus: http.StatusRequestEntityTooLarge, wantError: "body larger than 64 bytes",
		},
		{
			name:       "base64 body over the limit",
			event:      readFixture(t, "function-url-base64.json"),
			maxBody:    64,
			wantStatus: http.StatusRequestEntityTooLarge, wantError: "body larger than 64 bytes",
		},
		{
			name: "GET",
			event: edit(t, "function-url.json", func(ev map[string]any) {
				requestContext(ev)["http"].(map[string]any)["method"] = "GET"
			}),
			wantStatus: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := invoke(t, HandlerConfig{Sink: q, MaxBody: tt.maxBody}, tt.event)
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Errorf("status = %d (%s), want %d", got, resp.Body, want)
			}
			if !strings.Contains(resp.Body, tt.wantError) {
				t.Errorf("body = %q, want it to contain %q", resp.Body, tt.wantError)
			}
			if got := q.len(); got != 0 {
				t.Errorf("%d events delivered, want none", got)
			}
		})
	}
}

func TestLambdaNotAnHTTPEvent(t *testing.T) {
	h, err := NewHandler(HandlerConfig{Secret: StaticSecret(testSecret), Sink: fakeSink{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (LambdaAdapter{h}).Invoke(t.Context(), []byte(`["not", "an", "HTTP", "event"]`)); err == nil {
		t.Fatal("Invoke of a JSON array: nil error, want one")
	}
}

func TestLambdaRequest(t *testing.T) {
	// What the handler sees of a fixture: the sender's URL, method, headers,
	// body and address.
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(readFixture(t, "apigw-v2-base64.json"), &ev); err != nil {
		t.Fatal(err)
	}
	r, err := newHTTPRequest(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.URL.String(), "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/webhooks?source=tcr"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if got, want := r.Method, http.MethodPost; got != want {
		t.Errorf("Method = %s, want %s", got, want)
	}
	if got, want := r.Host, "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"; got != want {
		t.Errorf("Host = %s, want %s", got, want)
	}
	if got, want := r.RemoteAddr, "52.2.101.17"; got != want {
		t.Errorf("RemoteAddr = %s, want %s", got, want)
	}
	if !strings.HasPrefix(r.Header.Get("X-Registry-Signature"), "t=") {
		t.Errorf("signature header = %q, want the event's", r.Header.Get("X-Registry-Signature"))
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		t.Fatalf("decoded body: %v", err)
	}
	if got, want := body["eventType"], "MNO_CAMPAIGN_OPERATION_REJECTED"; got != want {
		t.Errorf("body eventType = %v, want %v", got, want)
	}
}

func TestLambdaResponse(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Origin")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte{0xff, 0xfe, 0x00})
	})
	out, err := LambdaAdapter{h}.Invoke(t.Context(), readFixture(t, "function-url-healthz.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"statusCode":      float64(http.StatusTeapot),
		"headers":         map[string]any{"Vary": "Accept,Origin"},
		"cookies":         []any{"a=1"},
		"body":            "//4A",
		"isBase64Encoded": true,
	}
	if !equalJSON(resp, want) {
		t.Errorf("response = %s, want %v", out, want)
	}
}
