package tcr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	const url = "https://hooks.example.com/webhooks/registry?account=a1"
	body := []byte(`{"eventType":"CAMPAIGN_ADD","eventId":"e1","campaignId":"c1","timestamp":"2026-01-02T03:04:05Z"}`)
	signedAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	header := tcr.Sign(secret, url, body, signedAt)

	tests := []struct {
		name      string
		secret    []byte
		url       string
		body      []byte
		header    string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "round trip", header: header, now: signedAt},
		{name: "within tolerance in the future", header: header, now: signedAt.Add(-4 * time.Minute)},
		{name: "within an explicit tolerance", header: header, now: signedAt.Add(59 * time.Second), tolerance: time.Minute},
		{name: "spaces around elements", header: strings.ReplaceAll(header, ",", " , "), now: signedAt},
		{name: "rotated secrets: second v1 matches", header: strings.Replace(header, "v1=", "v1=00ff,v1=", 1), now: signedAt},
		{name: "unknown scheme ignored", header: header + ",v0=abc", now: signedAt},
		{name: "tampered body", body: []byte(strings.Replace(string(body), "c1", "c2", 1)), header: header, now: signedAt, want: tcr.ErrBadSignature},
		{name: "tampered url", url: "https://hooks.example.com/webhooks/registry?account=a2", header: header, now: signedAt, want: tcr.ErrBadSignature},
		{name: "wrong secret", secret: []byte("other"), header: header, now: signedAt, want: tcr.ErrBadSignature},
		{name: "timestamp changed", header: strings.Replace(header, "t=", "t=1", 1), now: signedAt, want: tcr.ErrBadSignature},
		{name: "stale past the default tolerance", header: header, now: signedAt.Add(tcr.DefaultTolerance + time.Second), want: tcr.ErrStaleSignature},
		{name: "stale past an explicit tolerance", header: header, now: signedAt.Add(-2 * time.Second), tolerance: time.Second, want: tcr.ErrStaleSignature},
		{name: "missing header", header: "", now: signedAt, want: tcr.ErrMissingSignature},
		{name: "blank header", header: "  ", now: signedAt, want: tcr.ErrMissingSignature},
		{name: "no timestamp", header: header[strings.Index(header, "v1="):], now: signedAt, want: tcr.ErrBadSignature},
		{name: "no v1", header: header[:strings.Index(header, ",")], now: signedAt, want: tcr.ErrBadSignature},
		{name: "timestamp not a number", header: "t=yesterday,v1=00", now: signedAt, want: tcr.ErrBadSignature},
		{name: "element without equals sign", header: header + ",junk", now: signedAt, want: tcr.ErrBadSignature},
		{name: "v1 not hex", header: "t=1767323045,v1=zz", now: signedAt, want: tcr.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, u, b := secret, url, body
			if tt.secret != nil {
				s = tt.secret
			}
			if tt.url != "" {
				u = tt.url
			}
			if tt.body != nil {
				b = tt.body
			}
			err := tcr.Verify(s, u, b, tt.header, tt.now, tt.tolerance)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify: %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), string(s)) {
				t.Errorf("error %q reveals the secret", err)
			}
		})
	}
}

func TestSignFormat(t *testing.T) {
	got := tcr.Sign([]byte("k"), "http://h/p", []byte("{}"), time.Unix(1767323045, 999))
	if want := "t=1767323045,v1="; !strings.HasPrefix(got, want) {
		t.Fatalf("Sign = %q, want prefix %q", got, want)
	}
	if got, want := len(got), len("t=1767323045,v1=")+64; got != want {
		t.Errorf("len(Sign) = %d, want %d (hex SHA-256)", got, want)
	}
}
