package tcr_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// seen is a request as the fake downstream received it.
type seen struct {
	method, path, body string
	header             http.Header
}

// downstream is an httptest server that records requests and answers each
// with status, headers and body.
func downstream(tb testing.TB, status int, header http.Header, body string) (*httptest.Server, func() []seen) {
	tb.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{method: r.Method, path: r.URL.EscapedPath(), body: string(b), header: r.Header.Clone()})
		mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func newClient(tb testing.TB, cfg tcr.ClientConfig) *tcr.Client {
	tb.Helper()
	c, err := tcr.NewClient(cfg)
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestClientEndpoints(t *testing.T) {
	brand := statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", Email: "ops@acme.test", EntityType: "PRIVATE_PROFIT"}
	campaign := statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", Description: "codes", SampleMessages: []string{"Your code is 1234"}, Numbers: []string{"+15551230001"}}
	number := statemachine.NumberRegistration{CampaignID: "c1", Number: "+15551230001"}
	meta := tcr.Meta{IdempotencyKey: "key-1", CorrelationID: "corr-1"}

	tests := []struct {
		name       string
		call       func(ctx context.Context, c *tcr.Client) (tcr.Result, error)
		status     int
		answer     string
		wantMethod string
		wantPath   string
		wantBody   string
		wantResult tcr.Result
	}{
		{
			name: "submit brand",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitBrand(ctx, "b1", meta, brand)
			},
			status:     http.StatusCreated,
			answer:     `{"external_id":"BX1Y2Z3"}`,
			wantMethod: "POST", wantPath: "/registry/brands/b1",
			wantBody:   `{"legal_name":"Acme","ein":"12-3456789","email":"ops@acme.test","entity_type":"PRIVATE_PROFIT"}`,
			wantResult: tcr.Result{Status: 201, ExternalID: "BX1Y2Z3"},
		},
		{
			name:       "revet brand",
			call:       func(ctx context.Context, c *tcr.Client) (tcr.Result, error) { return c.RevetBrand(ctx, "b1", meta) },
			status:     http.StatusAccepted,
			wantMethod: "POST", wantPath: "/registry/brands/b1/revet",
			wantResult: tcr.Result{Status: 202},
		},
		{
			name:       "delete brand",
			call:       func(ctx context.Context, c *tcr.Client) (tcr.Result, error) { return c.DeleteBrand(ctx, "b1", meta) },
			status:     http.StatusNoContent,
			wantMethod: "DELETE", wantPath: "/registry/brands/b1",
			wantResult: tcr.Result{Status: 204},
		},
		{
			name: "submit campaign",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitCampaign(ctx, "c1", meta, campaign)
			},
			status:     http.StatusCreated,
			answer:     `{"external_id":"CABCDEF"}`,
			wantMethod: "POST", wantPath: "/registry/campaigns/c1",
			wantBody:   `{"brand_id":"b1","use_case":"2FA","description":"codes","sample_messages":["Your code is 1234"],"numbers":["+15551230001"]}`,
			wantResult: tcr.Result{Status: 201, ExternalID: "CABCDEF"},
		},
		{
			name: "submit evidence",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitEvidence(ctx, "c1", meta, statemachine.Evidence{UseCase: "2FA", Description: "codes", SampleMessages: []string{"Your code is 1234"}})
			},
			status:     http.StatusAccepted,
			answer:     `{"external_id":"CABCDEF"}`,
			wantMethod: "POST", wantPath: "/registry/campaigns/c1/evidence",
			wantBody:   `{"use_case":"2FA","description":"codes","sample_messages":["Your code is 1234"]}`,
			wantResult: tcr.Result{Status: 202, ExternalID: "CABCDEF"},
		},
		{
			name:       "delete campaign",
			call:       func(ctx context.Context, c *tcr.Client) (tcr.Result, error) { return c.DeleteCampaign(ctx, "c1", meta) },
			status:     http.StatusNoContent,
			wantMethod: "DELETE", wantPath: "/registry/campaigns/c1",
			wantResult: tcr.Result{Status: 204},
		},
		{
			name: "submit to carrier",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitToCarrier(ctx, "c1", meta, statemachine.CarrierUpdate{Carrier: statemachine.CarrierTMobile})
			},
			status:     http.StatusAccepted,
			answer:     `{}`,
			wantMethod: "POST", wantPath: "/carriers/tmobile/campaigns/c1",
			wantBody:   `{"carrier":"tmobile"}`,
			wantResult: tcr.Result{Status: 202},
		},
		{
			name: "register number",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.RegisterNumber(ctx, "+15551230001", meta, number)
			},
			status:     http.StatusAccepted,
			answer:     `{"external_id":"PN1"}`,
			wantMethod: "POST", wantPath: "/numbers/+15551230001",
			wantBody:   `{"campaign_id":"c1","number":"+15551230001"}`,
			wantResult: tcr.Result{Status: 202, ExternalID: "PN1"},
		},
		{
			name: "deregister number with an id that needs escaping",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.DeregisterNumber(ctx, "c1/+15551230001", meta, number)
			},
			status:     http.StatusAccepted,
			wantMethod: "DELETE", wantPath: "/numbers/c1%2F+15551230001",
			wantBody:   `{"campaign_id":"c1","number":"+15551230001"}`,
			wantResult: tcr.Result{Status: 202},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := downstream(t, tt.status, nil, tt.answer)
			c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL + "/api/"})
			res, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if res != tt.wantResult {
				t.Errorf("result = %+v, want %+v", res, tt.wantResult)
			}
			got := requests()
			if len(got) != 1 {
				t.Fatalf("downstream got %d requests, want 1", len(got))
			}
			r := got[0]
			if r.method != tt.wantMethod || r.path != "/api"+tt.wantPath {
				t.Errorf("request = %s %s, want %s /api%s", r.method, r.path, tt.wantMethod, tt.wantPath)
			}
			if r.body != tt.wantBody {
				t.Errorf("body = %s, want %s", r.body, tt.wantBody)
			}
			if got, want := r.header.Get(tcr.IdempotencyKeyHeader), "key-1"; got != want {
				t.Errorf("Idempotency-Key = %q, want %q", got, want)
			}
			if got, want := r.header.Get(tcr.CorrelationIDHeader), "corr-1"; got != want {
				t.Errorf("X-Correlation-Id = %q, want %q", got, want)
			}
			if got, want := r.header.Get("Content-Type") != "", tt.wantBody != ""; got != want {
				t.Errorf("Content-Type set = %v, want %v", got, want)
			}
		})
	}
}

func TestClientHTTPErrors(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		header        http.Header
		body          string
		want          tcr.HTTPError
		wantRetryable bool
	}{
		{
			name:   "429 with Retry-After seconds",
			status: 429, header: http.Header{"Retry-After": {"7"}},
			body:          `{"message":"rate limit exceeded"}`,
			want:          tcr.HTTPError{Status: 429, RetryAfter: 7 * time.Second, Message: "rate limit exceeded"},
			wantRetryable: true,
		},
		{
			name:   "429 with Retry-After as a date",
			status: 429, header: http.Header{"Retry-After": {"Fri, 02 Jan 2026 03:04:35 GMT"}, "Date": {"Fri, 02 Jan 2026 03:04:05 GMT"}},
			want:          tcr.HTTPError{Status: 429, RetryAfter: 30 * time.Second},
			wantRetryable: true,
		},
		{
			name:   "429 with a Retry-After of 285 years: clamped",
			status: 429, header: http.Header{"Retry-After": {"9000000000"}},
			want:          tcr.HTTPError{Status: 429, RetryAfter: tcr.MaxRetryAfter},
			wantRetryable: true,
		},
		{
			name:   "429 with a Retry-After past a Duration: rejected",
			status: 429, header: http.Header{"Retry-After": {"10000000000"}},
			want:          tcr.HTTPError{Status: 429},
			wantRetryable: true,
		},
		{
			name:   "429 with a negative Retry-After: rejected",
			status: 429, header: http.Header{"Retry-After": {"-5"}},
			want:          tcr.HTTPError{Status: 429},
			wantRetryable: true,
		},
		{
			name:   "429 with a Retry-After date in the year 9999: clamped",
			status: 429, header: http.Header{"Retry-After": {"Fri, 31 Dec 9999 23:59:59 GMT"}, "Date": {"Fri, 02 Jan 2026 03:04:05 GMT"}},
			want:          tcr.HTTPError{Status: 429, RetryAfter: tcr.MaxRetryAfter},
			wantRetryable: true,
		},
		{
			name:   "429 with a Retry-After date in the past: none",
			status: 429, header: http.Header{"Retry-After": {"Fri, 02 Jan 2026 03:04:00 GMT"}, "Date": {"Fri, 02 Jan 2026 03:04:05 GMT"}},
			want:          tcr.HTTPError{Status: 429},
			wantRetryable: true,
		},
		{
			name:   "400 with a reason code",
			status: 400, body: `{"code":30795,"message":"invalid EIN"}`,
			want: tcr.HTTPError{Status: 400, Code: 30795, Message: "invalid EIN"},
		},
		{
			name:   "400 with a description instead of a message",
			status: 400, body: `{"code":30885,"description":"high risk"}`,
			want: tcr.HTTPError{Status: 400, Code: 30885, Message: "high risk"},
		},
		{
			name:   "503 retryable",
			status: 503, body: `{"message":"try later"}`,
			want:          tcr.HTTPError{Status: 503, Message: "try later"},
			wantRetryable: true,
		},
		{
			name:   "404 with a plain text body: a wrong base path, retried",
			status: 404, body: "404 page not found\n",
			want:          tcr.HTTPError{Status: 404, Message: "404 page not found"},
			wantRetryable: true,
		},
		{
			name:   "401: an expired key, retried",
			status: 401, body: `{"message":"invalid api key"}`,
			want:          tcr.HTTPError{Status: 401, Message: "invalid api key"},
			wantRetryable: true,
		},
		{
			name:          "408 retryable",
			status:        408,
			want:          tcr.HTTPError{Status: 408},
			wantRetryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := downstream(t, tt.status, tt.header, tt.body)
			c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
			_, err := c.RevetBrand(t.Context(), "b1", tcr.Meta{})
			herr, ok := errors.AsType[*tcr.HTTPError](err)
			if !ok {
				t.Fatalf("error %v is not an *HTTPError", err)
			}
			if *herr != tt.want {
				t.Errorf("HTTPError = %+v, want %+v", *herr, tt.want)
			}
			if got := herr.Retryable(); got != tt.wantRetryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.wantRetryable)
			}
			if got, want := err.Error(), "revet brand b1: "; !strings.HasPrefix(got, want) {
				t.Errorf("error %q lacks the context %q", got, want)
			}
		})
	}
}

func TestClientFailures(t *testing.T) {
	t.Run("timeout is a net.Error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(srv.Close)
		c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL, Timeout: 20 * time.Millisecond})
		_, err := c.DeleteBrand(t.Context(), "b1", tcr.Meta{})
		nerr, ok := errors.AsType[net.Error](err)
		if !ok || !nerr.Timeout() {
			t.Fatalf("error %v is not a net.Error timeout", err)
		}
		if _, ok := errors.AsType[*tcr.HTTPError](err); ok {
			t.Errorf("timeout %v is an *HTTPError", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		srv, requests := downstream(t, 201, nil, `{}`)
		c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.DeleteBrand(ctx, "b1", tcr.Meta{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if got := len(requests()); got != 0 {
			t.Errorf("downstream got %d requests, want 0", got)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
		_, err := c.DeleteBrand(t.Context(), "b1", tcr.Meta{})
		if _, ok := errors.AsType[*net.OpError](err); !ok {
			t.Fatalf("error %v is not a *net.OpError", err)
		}
	})
	t.Run("malformed success answer", func(t *testing.T) {
		srv, _ := downstream(t, 201, nil, `not json`)
		c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
		_, err := c.SubmitBrand(t.Context(), "b1", tcr.Meta{}, statemachine.BrandRegistration{})
		if err == nil {
			t.Fatal("error = nil, want a decoding error")
		}
		if _, ok := errors.AsType[*tcr.HTTPError](err); ok {
			t.Errorf("error %v is an *HTTPError", err)
		}
	})
	t.Run("invalid requests are not sent", func(t *testing.T) {
		srv, requests := downstream(t, 201, nil, `{}`)
		c := newClient(t, tcr.ClientConfig{BaseURL: srv.URL})
		calls := map[string]func() error{
			"empty id": func() error {
				_, err := c.SubmitCampaign(t.Context(), "", tcr.Meta{}, statemachine.CampaignRegistration{})
				return err
			},
			"unknown carrier": func() error {
				_, err := c.SubmitToCarrier(t.Context(), "c1", tcr.Meta{}, statemachine.CarrierUpdate{Carrier: "sprint"})
				return err
			},
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, tcr.ErrInvalidRequest) {
				t.Errorf("%s: error %v, want ErrInvalidRequest", name, err)
			}
		}
		if got := len(requests()); got != 0 {
			t.Errorf("downstream got %d requests, want 0", got)
		}
	})
}

func TestNewClientValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  tcr.ClientConfig
		want []string
	}{
		{name: "empty", cfg: tcr.ClientConfig{}, want: []string{"base URL is empty"}},
		{name: "relative URL and negative timeout", cfg: tcr.ClientConfig{BaseURL: "/registry", Timeout: -time.Second}, want: []string{"not an absolute http(s) URL", "timeout -1s is negative"}},
		{name: "unparsable URL", cfg: tcr.ClientConfig{BaseURL: "http://[::1"}, want: []string{"base URL:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tcr.NewClient(tt.cfg)
			if err == nil {
				t.Fatal("NewClient: nil error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
