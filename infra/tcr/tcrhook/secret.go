package tcrhook

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultSecretRefresh is how long a fetched secret is used before it is read
// again, so a rotation reaches every warm Lambda environment within minutes.
const DefaultSecretRefresh = 5 * time.Minute

// secretRetryAfter is how long the secret held is used after a failed
// re-read before the read is tried again.
const secretRetryAfter = 30 * time.Second

// SecretSource yields the current HMAC secret. A source that also has a
// method Reread(ctx) (secret []byte, changed bool), as [RefreshingSecret]
// does, is asked to read again when a signature does not match.
type SecretSource interface {
	Secret(ctx context.Context) ([]byte, error)
}

// StaticSecret is a secret that never changes: tests, and programs that
// generate the secret themselves.
type StaticSecret []byte

// Secret implements [SecretSource].
func (s StaticSecret) Secret(context.Context) ([]byte, error) { return s, nil }

// GetSecretValueAPI is the Secrets Manager call [ReadSecretsManager] makes;
// *secretsmanager.Client satisfies it.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ GetSecretValueAPI = (*secretsmanager.Client)(nil)

// ReadSecretsManager returns a reader of the SecretString of secret id (an
// ARN or name) in Secrets Manager.
func ReadSecretsManager(api GetSecretValueAPI, id string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("read secret %s: %w", id, err)
		}
		return []byte(aws.ToString(out.SecretString)), nil
	}
}

// ReadSecretFile returns a reader of a local secret file (make run,
// regbench), which must not be readable by group or others. Surrounding
// white space is trimmed.
func ReadSecretFile(path string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if info.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("secret file %s has mode %v, want 0600", path, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
}

// RefreshingSecret caches what read returns and reads again once refresh has
// passed. A failed re-read keeps the cached secret (and returns it) and is
// tried again after secretRetryAfter, so a Secrets Manager outage neither
// stops webhooks nor makes each one wait on a failing read; a first read that fails, or
// a secret shorter than MinSecretBytes, is an error. Reread reads it again
// before the refresh is due when a signature does not match, so a rotation
// takes effect at once rather than up to refresh later.
type RefreshingSecret struct {
	read    func(context.Context) ([]byte, error)
	refresh time.Duration
	now     func() time.Time
	log     *slog.Logger // warns of a failed re-read, never shows the secret

	mu       sync.Mutex
	secret   []byte
	next     time.Time // when to read again
	rereadAt time.Time // the last read Reread made; zero: none yet
}

// NewRefreshingSecret returns a secret that read yields, read again after
// refresh (default [DefaultSecretRefresh]) on the clock now (default
// time.Now); log (nil discards) gets warnings of failed re-reads.
func NewRefreshingSecret(read func(context.Context) ([]byte, error), refresh time.Duration, now func() time.Time, log *slog.Logger) *RefreshingSecret {
	if refresh == 0 {
		refresh = DefaultSecretRefresh
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RefreshingSecret{read: read, refresh: refresh, now: now, log: log}
}

// Secret implements [SecretSource]: the secret held while it is fresh, else
// the secret read again. It returns the read's error, or the length check's,
// only when no secret was read before.
func (s *RefreshingSecret) Secret(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.secret != nil && now.Before(s.next) {
		return s.secret, nil
	}
	b, err := s.load(ctx)
	if err != nil {
		if s.secret != nil {
			s.log.Warn("webhook secret re-read failed; keeping the secret held", "error", err, "retry_in", secretRetryAfter.String())
			s.next = now.Add(secretRetryAfter)
			return s.secret, nil // keep verifying with the last good secret
		}
		return nil, err
	}
	s.secret, s.next = b, now.Add(s.refresh)
	return s.secret, nil
}

// load reads the secret and checks it is long enough.
func (s *RefreshingSecret) load(ctx context.Context) ([]byte, error) {
	b, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	return b, checkSecret(b)
}

// rereader is a SecretSource that can be read again before its refresh is
// due, when a signature does not match the secret held (the secret may just
// have been rotated).
type rereader interface {
	// Reread returns the secret read again now and whether it differs from
	// the one held. It reads at most once per secretRetryAfter, whoever
	// asks: signatures that do not match are what forged webhooks carry, so
	// they must not be able to drive Secrets Manager calls.
	Reread(ctx context.Context) (secret []byte, changed bool)
}

// Reread implements rereader. A read that fails, or is not allowed yet,
// keeps the secret held and reports no change.
func (s *RefreshingSecret) Reread(ctx context.Context) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.secret == nil || (!s.rereadAt.IsZero() && now.Sub(s.rereadAt) < secretRetryAfter) {
		return s.secret, false
	}
	s.rereadAt = now
	b, err := s.load(ctx)
	if err != nil {
		s.log.Warn("webhook secret re-read on a signature mismatch failed; keeping the secret held", "error", err, "retry_in", secretRetryAfter.String())
		return s.secret, false
	}
	s.next = now.Add(s.refresh)
	if bytes.Equal(b, s.secret) {
		return s.secret, false
	}
	s.log.Info("webhook secret changed; read again on a signature mismatch")
	s.secret = b
	return s.secret, true
}
