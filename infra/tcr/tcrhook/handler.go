package tcrhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// Defaults and limits of [HandlerConfig].
const (
	DefaultMaxBody     = 64 << 10        // bytes; a registry webhook is well under 2 KiB
	DefaultSendTimeout = 5 * time.Second // below the Lambda function's 10 s timeout
	MinSecretBytes     = 16              // as the CloudFormation parameter demands
)

// Sink delivers the internal events a webhook translates into: to the events
// queue (cmd/webhook wraps an *sqsq.Producer), or to whatever else a program
// wants them to reach. Send returns nil only once every event is delivered;
// an error wrapping [ErrUnavailable] means some were not and a retry may
// succeed (the webhook is answered 503); any other error is a bug (500).
type Sink interface {
	Send(ctx context.Context, envs ...statemachine.Envelope) error
}

// ErrUnavailable is what a [Sink] wraps when it could not deliver now: the
// sender is answered 503 and retries.
var ErrUnavailable = errors.New("sink unavailable")

// HandlerConfig configures [NewHandler]. Zero values mean the documented
// defaults.
type HandlerConfig struct {
	Secret SecretSource // the shared HMAC secret, at least MinSecretBytes; required
	Sink   Sink         // where the translated events go; required
	// PublicURL is the URL the senders post to, when it differs from the URL
	// the request arrives at (behind a proxy or load balancer that rewrites
	// the scheme, host or path). Signatures are verified against it. Empty
	// means the request URL: http(s)://Host/path?query as received.
	PublicURL   string
	MaxBody     int64            // largest accepted body in bytes; default DefaultMaxBody
	Tolerance   time.Duration    // how far a signature's time may be from now; default tcr.DefaultTolerance
	SendTimeout time.Duration    // limit of the sink's Send; default DefaultSendTimeout
	Now         func() time.Time // the clock signatures are checked against; default time.Now
	Logger      *slog.Logger     // nil discards the logs
	// Registerer gets the handler's metrics (tendlc_webhooks_ignored_total);
	// nil keeps them unregistered.
	Registerer prometheus.Registerer
}

// Handler is the webhook shim's one http.Handler, served by a local server
// and, through [LambdaAdapter], by the Lambda function. A program may mount
// it on a mux of its own (mux.Handle("POST /webhooks/", h)), but not behind
// http.StripPrefix unless PublicURL is set: the signature covers the path.
// It answers
//
//	POST (any path)  verify the signature, decode, translate, deliver
//	GET  /healthz    200 while the process runs
//
// A webhook is answered 202 once its events are delivered to the sink, 200 when
// its type is informational (nothing to enqueue) or one this shim does not
// know (registries add types; counted in tendlc_webhooks_ignored_total), 400
// for a body that is not a valid webhook event, 401 for a missing, wrong or
// stale signature, 413 for a body over the limit, 405 for another method, 503
// when the secret cannot be read or the sink is unavailable ([ErrUnavailable])
// and 500 for a bug. A 4xx means nothing was delivered and a retry will not
// help; after a 5xx the sender retries, and should the failed send have
// reached the sink after all, the retry's event has the same event id.
type Handler struct {
	cfg     HandlerConfig
	mux     *http.ServeMux
	ignored *prometheus.CounterVec // by reason: informational, unknown_type
}

// NewHandler returns a handler for cfg. It returns an error joining every
// problem of cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = tcr.DefaultTolerance
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if cfg.Secret == nil {
		errs = append(errs, errors.New("secret source is nil"))
	}
	if cfg.Sink == nil {
		errs = append(errs, errors.New("sink is nil"))
	}
	if cfg.PublicURL != "" {
		if err := checkPublicURL(cfg.PublicURL); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.MaxBody < 0 || cfg.Tolerance < 0 || cfg.SendTimeout < 0 {
		errs = append(errs, errors.New("MaxBody, Tolerance and SendTimeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("webhook handler: %w", err)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tendlc_webhooks_ignored_total",
		Help: "Webhooks acknowledged without enqueuing anything, by reason.",
	}, []string{"reason"})}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(h.ignored); err != nil {
			return nil, fmt.Errorf("webhook handler: %w", err)
		}
	}
	h.mux.HandleFunc("GET /healthz", h.health)
	// Any path: the sender is configured with the full URL (a function URL's
	// root, /webhooks, an API Gateway stage's path) and the signature covers it.
	h.mux.HandleFunc("POST /", h.webhook)
	return h, nil
}

// checkSecret checks the length of the webhook secret, never showing it.
func checkSecret(secret []byte) error {
	switch {
	case len(secret) == 0:
		return errors.New("secret is empty")
	case len(secret) < MinSecretBytes:
		return fmt.Errorf("secret is %d bytes, want at least %d", len(secret), MinSecretBytes)
	}
	return nil
}

// checkPublicURL checks that u is an absolute http(s) URL.
func checkPublicURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("public URL %q is not an absolute http(s) URL", u)
	}
	return nil
}

// ServeHTTP routes r: see [Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// webhook verifies, decodes, translates and enqueues one webhook. Its log
// line never carries the secret or the signature header.
func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	log := h.cfg.Logger.With("remote_addr", r.RemoteAddr)
	fail := func(status int, msg string, err error) {
		level := slog.LevelWarn
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "webhook refused", "status", status, "error", err, "duration_ms", msSince(start))
		writeJSON(w, status, map[string]string{"error": msg})
	}

	if r.ContentLength > h.cfg.MaxBody {
		fail(http.StatusRequestEntityTooLarge, h.tooLarge(), fmt.Errorf("content length %d", r.ContentLength))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		fail(http.StatusRequestEntityTooLarge, h.tooLarge(), err)
		return
	}
	if err != nil {
		fail(http.StatusBadRequest, "cannot read the body", fmt.Errorf("read body: %w", err))
		return
	}
	secret, err := h.cfg.Secret.Secret(r.Context())
	if err != nil {
		fail(http.StatusServiceUnavailable, "webhook secret unavailable; retry later", err)
		return
	}
	signedURL, header := h.signedURL(r), r.Header.Get(tcr.SignatureHeader)
	err = tcr.Verify(secret, signedURL, body, header, h.cfg.Now(), h.cfg.Tolerance)
	if rs, ok := h.cfg.Secret.(rereader); ok && errors.Is(err, tcr.ErrBadSignature) {
		// The sender may already sign with a secret rotated since it was
		// read: read it again (rate limited) and verify with it before a 401,
		// which tells the sender not to retry.
		if fresh, changed := rs.Reread(r.Context()); changed {
			err = tcr.Verify(fresh, signedURL, body, header, h.cfg.Now(), h.cfg.Tolerance)
		}
	}
	if err != nil {
		fail(http.StatusUnauthorized, err.Error(), err)
		return
	}
	ev, err := tcr.DecodeWebhookEvent(body)
	if errors.Is(err, tcr.ErrUnknownEventType) {
		h.ignore(w, log, start, "unknown_type", "unknown event type", err)
		return
	}
	if err != nil {
		fail(http.StatusBadRequest, err.Error(), err)
		return
	}
	log = log.With("webhook_type", ev.EventType, "webhook_id", ev.EventID)
	envs, err := tcr.Translate(ev)
	if err != nil { // DecodeWebhookEvent validated ev: a bug
		fail(http.StatusInternalServerError, "cannot translate the event", err)
		return
	}
	if len(envs) == 0 {
		h.ignore(w, log, start, "informational", "informational event type", nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.SendTimeout)
	defer cancel()
	if err := h.cfg.Sink.Send(ctx, envs...); err != nil {
		// The bodies name the events queue whatever the sink: senders and
		// runbooks match on them, and the status is what a sender acts on.
		if errors.Is(err, ErrUnavailable) {
			fail(http.StatusServiceUnavailable, "events queue unavailable; retry later", err)
			return
		}
		fail(http.StatusInternalServerError, "cannot enqueue the event", err)
		return
	}
	ids := make([]string, len(envs))
	for i, env := range envs {
		ids[i] = env.EventID
		log.Info("webhook enqueued", "status", http.StatusAccepted, "event_type", env.Type, "event_id", env.EventID,
			"entity_id", env.EntityID, "duration_ms", msSince(start))
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "enqueued", "event_ids": ids})
}

// ignore acknowledges a verified webhook that puts nothing on the queue, with
// 200 so the sender neither retries nor alerts, and counts it by reason.
func (h *Handler) ignore(w http.ResponseWriter, log *slog.Logger, start time.Time, reason, msg string, err error) {
	h.ignored.WithLabelValues(reason).Inc()
	log.Info("webhook ignored", "reason", reason, "error", err, "status", http.StatusOK, "duration_ms", msSince(start))
	writeJSON(w, http.StatusOK, map[string]string{"status": "ignored", "reason": msg})
}

func (h *Handler) tooLarge() string {
	return fmt.Sprintf("body larger than %d bytes", h.cfg.MaxBody)
}

// signedURL returns the URL the sender signed: PublicURL if set, else the
// request URL. The Lambda adapter gives requests an absolute URL; a server
// request has only the path, so scheme and host come from the connection
// and the Host header.
func (h *Handler) signedURL(r *http.Request) string {
	if h.cfg.PublicURL != "" {
		return h.cfg.PublicURL
	}
	u := *r.URL
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	if u.Host == "" {
		u.Host = r.Host
	}
	return u.String()
}

// msSince returns the milliseconds since start, for logs.
func msSince(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()) / 1000
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the sender is gone; it retries
}
