package tcrhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/tcr"
)

// secretFile writes secret to a 0600 file and returns its path.
func secretFile(tb testing.TB, secret string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "webhook-secret")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// fakeSecretsManager speaks Secrets Manager's JSON protocol for
// GetSecretValue: it answers the current value of one secret, or an
// access denial while failing is set.
type fakeSecretsManager struct {
	mu      sync.Mutex
	arn     string
	value   string
	failing bool
	calls   int
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var in struct{ SecretId string }
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil || in.SecretId != f.arn {
		http.Error(w, `{"__type":"ResourceNotFoundException","message":"no such secret"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.failing {
		w.WriteHeader(http.StatusBadRequest) // not retried by the SDK
		_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"denied"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": f.arn, "Name": "tendlc-webhook", "SecretString": f.value, "VersionId": "v"})
}

func (f *fakeSecretsManager) set(value string, failing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value, f.failing = value, failing
}

const testSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tendlc-webhook-AbCdEf"

// startSecretsManager serves a fake Secrets Manager holding testSecretARN
// with value and points the standard AWS configuration at it.
func startSecretsManager(t *testing.T, value string) *fakeSecretsManager {
	fake := &fakeSecretsManager{arn: testSecretARN, value: value}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	if os.Getenv("AWS_REGION") == "" {
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "local")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	}
	return fake
}

// secretsManagerSecret returns the refreshing secret of testSecretARN, read
// through the real SDK client from the standard configuration (the fake of
// startSecretsManager), on the clock *now.
func secretsManagerSecret(t *testing.T, now *time.Time, log *slog.Logger) *RefreshingSecret {
	t.Helper()
	cfg, err := awsclient.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return NewRefreshingSecret(ReadSecretsManager(secretsmanager.NewFromConfig(cfg), testSecretARN), DefaultSecretRefresh,
		func() time.Time { return *now }, log)
}

// The secret is read from Secrets Manager through the real SDK client and
// the standard configuration chain, cached, re-read after the refresh
// interval (a rotation), and kept when a re-read fails.
func TestSecretsManagerSecretIsCachedAndRefreshed(t *testing.T) {
	fake := startSecretsManager(t, testSecret)
	now := testNow
	secret := secretsManagerSecret(t, &now, slog.New(slog.DiscardHandler))
	get := func(want string, wantCalls int) {
		t.Helper()
		got, err := secret.Secret(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("secret = %q, want %q", got, want)
		}
		if fake.calls != wantCalls {
			t.Errorf("%d GetSecretValue calls, want %d", fake.calls, wantCalls)
		}
	}
	get(testSecret, 1)
	rotated := "rotated-webhook-secret-9876543210"
	fake.set(rotated, false)
	now = now.Add(DefaultSecretRefresh - time.Second)
	get(testSecret, 1) // cached
	now = now.Add(time.Second)
	get(rotated, 2) // re-read: the rotation is picked up
	fake.set("", true)
	now = now.Add(DefaultSecretRefresh)
	get(rotated, 3) // the re-read failed: the last good secret stays

	// A webhook signed with the rotated secret is accepted.
	url := startShim(t, HandlerConfig{Secret: secret, Sink: fakeSink{}})
	body := []byte(webhookCases[0].body)
	status, answer := post(t, url, strings.NewReader(string(body)), tcr.Sign([]byte(rotated), url, body, testNow.Add(-time.Second)))
	if status != http.StatusAccepted {
		t.Errorf("webhook signed with the rotated secret: %d %v, want 202", status, answer)
	}
}

// While Secrets Manager fails, the secret held is used and the read retried
// after secretRetryAfter, not at every webhook: a flood of webhooks (forged
// ones too) during an outage must not become a flood of GetSecretValue calls,
// each made under the lock every webhook waits for.
func TestFailedSecretReadIsRetriedLater(t *testing.T) {
	fake := startSecretsManager(t, testSecret)
	now := testNow
	logs := &lockedBuffer{}
	secret := secretsManagerSecret(t, &now, slog.New(slog.NewJSONHandler(logs, nil)))
	if _, err := secret.Secret(t.Context()); err != nil {
		t.Fatal(err)
	}
	fake.set("", true)
	now = now.Add(DefaultSecretRefresh)
	for range 100 { // webhooks within one retry period
		got, err := secret.Secret(t.Context())
		if err != nil || string(got) != testSecret {
			t.Fatalf("Secret = %q, %v during the outage; want the one held", got, err)
		}
		now = now.Add(secretRetryAfter / 200)
	}
	if got, want := fake.calls, 2; got != want {
		t.Errorf("%d GetSecretValue calls for 100 webhooks within %s of a failed re-read, want %d", got, secretRetryAfter, want)
	}
	if got := strings.Count(logs.String(), `"msg":"webhook secret re-read failed; keeping the secret held"`); got != 1 {
		t.Errorf("%d warnings of the failed re-read, want 1:\n%s", got, logs)
	}
	fake.set(testSecret, false)
	now = now.Add(secretRetryAfter)
	if _, err := secret.Secret(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.calls, 3; got != want {
		t.Errorf("%d GetSecretValue calls, want %d: the read is retried once %s passed", got, want, secretRetryAfter)
	}
}

func TestSecretSourceErrors(t *testing.T) {
	loose := secretFile(t, testSecret)
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "file readable by others", path: loose, want: "has mode -rw-r--r--, want 0600"},
		{name: "short secret", path: secretFile(t, "fifteen-bytes!!"), want: "secret is 15 bytes, want at least 16"},
		{name: "no such file", path: filepath.Join(t.TempDir(), "nothing"), want: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRefreshingSecret(ReadSecretFile(tt.path), DefaultSecretRefresh, time.Now, slog.New(slog.DiscardHandler)).Secret(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A webhook that arrives while the secret cannot be read (never read yet)
// is answered 503, so the sender retries, and nothing is enqueued.
func TestUnreadableSecretGives503(t *testing.T) {
	denied := NewRefreshingSecret(func(context.Context) ([]byte, error) { return nil, errors.New("access denied") }, DefaultSecretRefresh, time.Now, slog.New(slog.DiscardHandler))
	q := &recordingSink{}
	url := startShim(t, HandlerConfig{Secret: denied, Sink: q})
	body := []byte(webhookCases[9].body)
	if status, answer := post(t, url, bytes.NewReader(body), sign(url, body)); status != http.StatusServiceUnavailable || q.len() != 0 {
		t.Errorf("status = %d (%v), %d enqueued; want 503 and none", status, answer, q.len())
	}
}

// count returns how many GetSecretValue calls the fake has answered.
func (f *fakeSecretsManager) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// A relay that signs with the new secret as soon as it is rotated must not
// get 401s (which tell it not to retry) for the rest of the refresh period:
// a signature that does not match makes the shim read the secret again at
// once and verify with it. Forged webhooks make those re-reads too, so they
// are rate limited: a flood of forgeries costs at most one GetSecretValue
// call per secretRetryAfter.
func TestSignatureMismatchRereadsTheSecretAtMostOncePerRetryPeriod(t *testing.T) {
	fake := startSecretsManager(t, testSecret)
	cfg, err := awsclient.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64 // the secret's clock, read on the shim's goroutines
	clock.Store(testNow.UnixNano())
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	secret := NewRefreshingSecret(ReadSecretsManager(secretsmanager.NewFromConfig(cfg), testSecretARN), DefaultSecretRefresh,
		func() time.Time { return time.Unix(0, clock.Load()) }, slog.New(slog.DiscardHandler))
	if _, err := secret.Secret(t.Context()); err != nil {
		t.Fatal(err)
	}
	q := &recordingSink{}
	url := startShim(t, HandlerConfig{Secret: secret, Sink: q})
	body := []byte(webhookCases[0].body)
	signedAt := testNow.Add(-time.Second)

	// The secret is rotated and the relay signs with the new one at once.
	rotated := "rotated-webhook-secret-9876543210"
	fake.set(rotated, false)
	advance(time.Minute) // well inside the refresh period
	if status, answer := post(t, url, bytes.NewReader(body), tcr.Sign([]byte(rotated), url, body, signedAt)); status != http.StatusAccepted {
		t.Fatalf("webhook signed with the new secret right after rotation: %d %v, want 202", status, answer)
	}
	if got, want := fake.count(), 2; got != want {
		t.Errorf("%d GetSecretValue calls, want %d: one at start, one re-read on the mismatch", got, want)
	}
	enqueued := q.len()

	// 100 forged webhooks over two retry periods: each gets 401, nothing is
	// enqueued, and at most one re-read is made per retry period.
	const forged = 100
	step := 2 * secretRetryAfter / forged
	forgedSecret := []byte("not-the-webhook-secret-at-all-000")
	for i := range forged {
		advance(step)
		if status, answer := post(t, url, bytes.NewReader(body), tcr.Sign(forgedSecret, url, body, signedAt)); status != http.StatusUnauthorized {
			t.Fatalf("forged webhook %d: %d %v, want 401", i, status, answer)
		}
	}
	if got, max := fake.count()-2, 2; got > max {
		t.Errorf("%d forged webhooks over %s made %d GetSecretValue calls, want at most %d (one per %s)", forged, 2*secretRetryAfter, got, max, secretRetryAfter)
	}
	if q.len() != enqueued {
		t.Errorf("forged webhooks enqueued %d envelopes", q.len()-enqueued)
	}

	// The rotated secret stays in use: a webhook signed with it needs no read.
	before := fake.count()
	if status, answer := post(t, url, bytes.NewReader(body), tcr.Sign([]byte(rotated), url, body, signedAt)); status != http.StatusAccepted {
		t.Errorf("webhook signed with the new secret: %d %v, want 202", status, answer)
	}
	if fake.count() != before {
		t.Errorf("a webhook with a good signature read the secret")
	}
}
