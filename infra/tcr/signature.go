package tcr

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "X-Registry-Signature"

// DefaultTolerance is how far a signature's timestamp may lie from the
// receiver's clock when [Verify] is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of [Verify]. The secret never appears in them.
var (
	// ErrMissingSignature: the request carries no signature header.
	ErrMissingSignature = errors.New("missing webhook signature")
	// ErrBadSignature: the header is malformed or no signature in it matches.
	ErrBadSignature = errors.New("bad webhook signature")
	// ErrStaleSignature: the signature matches, but its timestamp lies further
	// from now than the tolerance (a replay, or a clock far off).
	ErrStaleSignature = errors.New("stale webhook signature")
)

// Sign returns the X-Registry-Signature header value for a webhook posted to
// url with body at time t:
//
//	t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + url + "." + body)>
//
// url is the full URL the webhook is posted to, exactly as the sender was
// configured with it (scheme, host, path and query).
func Sign(secret []byte, url string, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, url, body))
}

// Verify checks a signature header made by [Sign]: one of its v1 values (a
// sender rotating secrets may send several) must match, and its timestamp must
// lie within tolerance of now. A tolerance of zero or less means
// DefaultTolerance. The comparison is constant-time.
// It returns errors wrapping ErrMissingSignature, ErrBadSignature or
// ErrStaleSignature.
func Verify(secret []byte, url string, body []byte, header string, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrMissingSignature
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, url, body)
	matched := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 value matches", ErrBadSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // parseSignature checked it
	if skew := now.Sub(time.Unix(unix, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed %s away from now (tolerance %s)", ErrStaleSignature, skew.Round(time.Second), tolerance)
	}
	return nil
}

// parseSignature splits a header into its timestamp and v1 values. Unknown
// schemes are skipped, so a sender may add one before receivers know it.
func parseSignature(header string) (ts string, sigs []string, err error) {
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: malformed element %q", ErrBadSignature, part)
		}
		switch key {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one timestamp", ErrBadSignature)
			}
			if _, err := strconv.ParseInt(value, 10, 64); err != nil {
				return "", nil, fmt.Errorf("%w: timestamp %q is not unix seconds", ErrBadSignature, value)
			}
			ts = value
		case "v1":
			sigs = append(sigs, value)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no timestamp", ErrBadSignature)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1 value", ErrBadSignature)
	}
	return ts, sigs, nil
}

func mac(secret []byte, ts, url string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write([]byte(url))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
