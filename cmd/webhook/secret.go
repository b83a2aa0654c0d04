package main

import (
	"bytes"
	"context"
	"errors"
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

// secretSource yields the current HMAC secret.
type secretSource interface {
	Secret(ctx context.Context) ([]byte, error)
}

// staticSecret is a secret that never changes: tests.
type staticSecret []byte

func (s staticSecret) Secret(context.Context) ([]byte, error) { return s, nil }

// getSecretValue is the Secrets Manager call the shim makes.
type getSecretValue interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// readSecretsManager returns a reader of the SecretString of secret id (an
// ARN or name) in Secrets Manager.
func readSecretsManager(api getSecretValue, id string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("read secret %s: %w", id, err)
		}
		return []byte(aws.ToString(out.SecretString)), nil
	}
}

// readSecretFile returns a reader of a local secret file (make run,
// regbench), which must not be readable by group or others. Surrounding
// white space is trimmed.
func readSecretFile(path string) func(context.Context) ([]byte, error) {
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

// refreshingSecret caches what read returns and reads again once refresh has
// passed. A failed re-read keeps the cached secret (and returns it) and is
// tried again after secretRetryAfter, so a Secrets Manager outage neither
// stops webhooks nor makes each one wait on a failing read; a first read that fails, or
// a secret shorter than MinSecretBytes, is an error. Reread reads it again
// before the refresh is due when a signature does not match, so a rotation
// takes effect at once rather than up to refresh later.
type refreshingSecret struct {
	read    func(context.Context) ([]byte, error)
	refresh time.Duration
	now     func() time.Time
	log     *slog.Logger // warns of a failed re-read, never shows the secret

	mu       sync.Mutex
	secret   []byte
	next     time.Time // when to read again
	rereadAt time.Time // the last read Reread made; zero: none yet
}

func newRefreshingSecret(read func(context.Context) ([]byte, error), refresh time.Duration, now func() time.Time, log *slog.Logger) *refreshingSecret {
	return &refreshingSecret{read: read, refresh: refresh, now: now, log: log}
}

func (s *refreshingSecret) Secret(ctx context.Context) ([]byte, error) {
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
func (s *refreshingSecret) load(ctx context.Context) ([]byte, error) {
	b, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	return b, checkSecret(b)
}

// rereader is a secretSource that can be read again before its refresh is
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
func (s *refreshingSecret) Reread(ctx context.Context) ([]byte, bool) {
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

// errNoSecretSource: the environment names no secret source.
var errNoSecretSource = errors.New("no webhook secret source: set " + envSecretARN + " (Secrets Manager) or, for local runs, " + envSecretFile)
