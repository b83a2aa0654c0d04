package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tendlc/tendlc/infra/tcr"
)

// Helpers for the tests of the wiring; the handler's own tests, with more of
// these, are in infra/tcr/tcrhook.

const (
	testSecret    = "test-webhook-secret-0123456789"
	testSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tendlc-webhook-AbCdEf"
	// shareAccept is a webhook that becomes one campaign.review_approved event.
	shareAccept = `{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"0b7e5c1a-10","campaignId":"camp-c91e","timestamp":"2026-03-12T19:03:29Z"}`
)

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

// post sends body to url with the signature header and returns the status
// and the answer.
func post(tb testing.TB, url string, body []byte, signature string) (int, string) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tcr.SignatureHeader, signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(answer)
}

// secretFile writes secret to a 0600 file and returns its path.
func secretFile(tb testing.TB, secret string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "webhook-secret")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// startSecretsManager serves a fake Secrets Manager whose GetSecretValue
// answers value for testSecretARN and ResourceNotFoundException for any
// other secret, and points the standard AWS configuration at it.
func startSecretsManager(t *testing.T, value string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ SecretId string }
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.SecretId != testSecretARN {
			http.Error(w, `{"__type":"ResourceNotFoundException","message":"no such secret"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": testSecretARN, "Name": "tendlc-webhook", "SecretString": value})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	if os.Getenv("AWS_REGION") == "" {
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "local")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	}
}

// readFixture returns a Lambda HTTP event of the handler's tests (signed
// with testSecret long ago).
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "infra", "tcr", "tcrhook", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
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
