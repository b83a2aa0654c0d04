package tcr

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseRetryAfter checks that no Retry-After header, however hostile,
// asks for a negative delay or one past MaxRetryAfter, and that a plain
// number of seconds within the bound is read as it is.
func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"7", "0", "-5", "9000000000", "10000000000", "99999999999999999999", "+3", " 12 ",
		"Fri, 02 Jan 2026 03:04:35 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", "soon", ""} {
		f.Add(seed, "Fri, 02 Jan 2026 03:04:05 GMT")
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfter, date string) {
		h := http.Header{"Retry-After": {retryAfter}, "Date": {date}}
		got := parseRetryAfter(h, now)
		if got < 0 || got > MaxRetryAfter {
			t.Fatalf("parseRetryAfter(%q, Date %q) = %v, want 0 to %v", retryAfter, date, got, MaxRetryAfter)
		}
		v := strings.TrimSpace(retryAfter)
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && v != "" && v[0] != '+' && n <= uint64(MaxRetryAfter/time.Second) {
			if want := time.Duration(n) * time.Second; got != want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", retryAfter, got, want)
			}
		}
	})
}
