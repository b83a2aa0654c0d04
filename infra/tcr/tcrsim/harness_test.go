package tcrsim

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

var testSecret = []byte("test-secret")

// harness serves the simulator (Simulator.Serve) and a webhook receiver (an
// httptest server) on an in-memory network, inside a synctest bubble.
type harness struct {
	t        *testing.T
	simURL   string
	http     *http.Client
	tcr      *tcr.Client
	receiver *receiver
	stop     func() // stops the simulator and waits for Run to return; idempotent
}

// start runs the simulator with cfg; WebhookURL and Secret default to the
// receiver's and testSecret. It must be called inside synctest.Test.
func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	net := newFakeNet()
	rcv := &receiver{}
	rsrv := httptest.NewUnstartedServer(rcv)
	rsrv.Listener.Close() // the loopback listener it made; the bubble cannot use it
	rsrv.Listener = net.listen("receiver.test:80")
	rsrv.Start()
	if cfg.WebhookURL == "" {
		cfg.WebhookURL = rsrv.URL + "/webhooks/registry?account=a1"
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	rcv.url, rcv.secret = cfg.WebhookURL, cfg.Secret

	webhookClient, closeWebhookClient := net.client()
	testClient, closeTestClient := net.client()
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.WebhookClient = webhookClient
	sim, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	l := net.listen("sim.test:80")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, l) }()
	h := &harness{t: t, simURL: "http://sim.test:80", http: testClient, receiver: rcv}
	h.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		closeTestClient()
		closeWebhookClient()
	})
	t.Cleanup(func() {
		h.stop()
		rsrv.Close()
	})
	c, err := tcr.NewClient(tcr.ClientConfig{BaseURL: h.simURL, HTTPClient: testClient})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	h.tcr = c
	return h
}

// do sends a raw request to the simulator and returns the status, headers and
// body of its answer.
func (h *harness) do(method, path, key, body string) (int, http.Header, string) {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.simURL+path, r)
	if err != nil {
		h.t.Fatalf("NewRequest: %v", err)
	}
	if key != "" {
		req.Header.Set(tcr.IdempotencyKeyHeader, key)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read answer: %v", err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// counters reads GET /counters.
func (h *harness) counters() Counters {
	h.t.Helper()
	status, _, body := h.do(http.MethodGet, "/counters", "", "")
	if status != http.StatusOK {
		h.t.Fatalf("GET /counters: %d %s", status, body)
	}
	var v Counters
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatalf("decode counters: %v", err)
	}
	return v
}

// settle lets d of simulated time pass and waits until every goroutine in the
// bubble is idle again: due webhooks have been delivered.
func settle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// delivery is one webhook request the receiver got.
type delivery struct {
	event     tcr.WebhookEvent
	body      []byte
	signature string
	at        time.Time
	verifyErr error // tcr.Verify of its signature
	decodeErr error // tcr.DecodeWebhookEvent of its body
}

// receiver is the webhook endpoint under test's control: it verifies and
// records every request and answers with status(n) for the n-th (204 when
// status is nil).
type receiver struct {
	url    string
	secret []byte

	mu     sync.Mutex
	status func(n int) int
	got    []delivery
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e, decodeErr := tcr.DecodeWebhookEvent(body)
	d := delivery{event: e, body: body, signature: r.Header.Get(tcr.SignatureHeader), at: time.Now(), decodeErr: decodeErr,
		verifyErr: tcr.Verify(rc.secret, rc.url, body, r.Header.Get(tcr.SignatureHeader), time.Now(), time.Minute)}
	rc.mu.Lock()
	rc.got = append(rc.got, d)
	status := http.StatusNoContent
	if rc.status != nil {
		status = rc.status(len(rc.got))
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) answer(status func(n int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = status
}

// deliveries returns what the receiver got, in arrival order, after checking
// that every request was signed and valid.
func (rc *receiver) deliveries(tb testing.TB) []delivery {
	tb.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, d := range rc.got {
		if d.verifyErr != nil {
			tb.Errorf("webhook %s: signature: %v", d.event.EventType, d.verifyErr)
		}
		if d.decodeErr != nil {
			tb.Errorf("webhook: %v", d.decodeErr)
		}
	}
	return slices.Clone(rc.got)
}

// events returns the events the receiver got, in arrival order.
func (rc *receiver) events(tb testing.TB) []tcr.WebhookEvent {
	tb.Helper()
	var out []tcr.WebhookEvent
	for _, d := range rc.deliveries(tb) {
		out = append(out, d.event)
	}
	return out
}
