package tcr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tendlc/tendlc/statemachine"
)

// Request headers the downstreams read.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	CorrelationIDHeader  = "X-Correlation-Id"
)

// DefaultTimeout bounds one call when ClientConfig.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxAnswerBytes caps how much of an answer body the client reads.
const maxAnswerBytes = 1 << 20

// ErrInvalidRequest: the call cannot be made as given (an empty record id, an
// unknown carrier). It is permanent and no request was sent.
var ErrInvalidRequest = errors.New("invalid request")

// ClientConfig configures a [Client]. Zero values mean the documented defaults.
type ClientConfig struct {
	// BaseURL is where the downstream API lives, such as
	// http://127.0.0.1:9400. Required; a path prefix is kept.
	BaseURL string
	// HTTPClient sends the requests. Nil means a client of its own with
	// http.DefaultTransport's settings.
	HTTPClient *http.Client
	// Timeout bounds one call, reading the answer included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Client calls the registry, the carriers and number registration. It is safe
// for concurrent use. It does not retry: the caller decides, from the error,
// whether and when to try again.
//
// Every call returns, on failure, an error wrapping one of: a *[HTTPError] for
// a non-2xx answer; ErrInvalidRequest; the transport's error (a *url.Error; a
// net.Error whose Timeout() is true when Timeout or ctx's deadline passed;
// context.Canceled when ctx was canceled); or a decoding error for a 2xx answer
// whose body is not the expected JSON.
type Client struct {
	base    *url.URL
	http    *http.Client
	timeout time.Duration
}

// NewClient validates cfg and returns a client. Its error lists every problem
// with cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	var errs []error
	base, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		errs = append(errs, errors.New("base URL is empty"))
	case err != nil:
		errs = append(errs, fmt.Errorf("base URL: %w", err))
	case base.Scheme != "http" && base.Scheme != "https" || base.Host == "":
		errs = append(errs, fmt.Errorf("base URL %q is not an absolute http(s) URL", cfg.BaseURL))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", cfg.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("tcr client: %w", err)
	}
	c := &Client{base: base, http: cfg.HTTPClient, timeout: cfg.Timeout}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// Meta is what every call carries besides its payload.
type Meta struct {
	// IdempotencyKey is sent as Idempotency-Key when set. A downstream answers
	// a repeated key with its first answer instead of acting twice.
	IdempotencyKey string
	// CorrelationID is sent as X-Correlation-Id when set.
	CorrelationID string
}

// Result is a downstream's 2xx answer.
type Result struct {
	Status     int    // 201, 202 or 204
	ExternalID string // the downstream's id for the record, when it sent one
}

// SubmitBrand registers a brand: POST /registry/brands/{brandID}.
func (c *Client) SubmitBrand(ctx context.Context, brandID string, m Meta, p statemachine.BrandRegistration) (Result, error) {
	return c.call(ctx, "submit brand", http.MethodPost, brandID, m, p, "registry", "brands", brandID)
}

// RevetBrand asks for secondary vetting: POST /registry/brands/{brandID}/revet.
func (c *Client) RevetBrand(ctx context.Context, brandID string, m Meta) (Result, error) {
	return c.call(ctx, "revet brand", http.MethodPost, brandID, m, nil, "registry", "brands", brandID, "revet")
}

// DeleteBrand deletes a brand: DELETE /registry/brands/{brandID}.
func (c *Client) DeleteBrand(ctx context.Context, brandID string, m Meta) (Result, error) {
	return c.call(ctx, "delete brand", http.MethodDelete, brandID, m, nil, "registry", "brands", brandID)
}

// SubmitCampaign registers a campaign, or resubmits it after a rejection:
// POST /registry/campaigns/{campaignID}.
func (c *Client) SubmitCampaign(ctx context.Context, campaignID string, m Meta, p statemachine.CampaignRegistration) (Result, error) {
	return c.call(ctx, "submit campaign", http.MethodPost, campaignID, m, p, "registry", "campaigns", campaignID)
}

// SubmitEvidence submits a campaign's opt-in evidence for the registry's
// review (flow v2): POST /registry/campaigns/{campaignID}/evidence.
func (c *Client) SubmitEvidence(ctx context.Context, campaignID string, m Meta, p statemachine.Evidence) (Result, error) {
	return c.call(ctx, "submit evidence", http.MethodPost, campaignID, m, p, "registry", "campaigns", campaignID, "evidence")
}

// DeleteCampaign deletes a campaign: DELETE /registry/campaigns/{campaignID}.
func (c *Client) DeleteCampaign(ctx context.Context, campaignID string, m Meta) (Result, error) {
	return c.call(ctx, "delete campaign", http.MethodDelete, campaignID, m, nil, "registry", "campaigns", campaignID)
}

// SubmitToCarrier submits a campaign to the carrier p.Carrier for review:
// POST /carriers/{carrier}/campaigns/{campaignID}.
func (c *Client) SubmitToCarrier(ctx context.Context, campaignID string, m Meta, p statemachine.CarrierUpdate) (Result, error) {
	if p.Carrier.MNOID() == 0 {
		return Result{}, fmt.Errorf("submit campaign %s to carrier: %w: carrier %q is not one of att, tmobile, verizon", campaignID, ErrInvalidRequest, p.Carrier)
	}
	return c.call(ctx, "submit campaign to "+string(p.Carrier), http.MethodPost, campaignID, m, p, "carriers", string(p.Carrier), "campaigns", campaignID)
}

// RegisterNumber registers a number to its campaign: POST /numbers/{numberID}.
// numberID is this system's id of the number record; webhooks echo it.
func (c *Client) RegisterNumber(ctx context.Context, numberID string, m Meta, p statemachine.NumberRegistration) (Result, error) {
	return c.call(ctx, "register number", http.MethodPost, numberID, m, p, "numbers", numberID)
}

// DeregisterNumber removes a number from its campaign: DELETE /numbers/{numberID}.
func (c *Client) DeregisterNumber(ctx context.Context, numberID string, m Meta, p statemachine.NumberRegistration) (Result, error) {
	return c.call(ctx, "deregister number", http.MethodDelete, numberID, m, p, "numbers", numberID)
}

// call is the one request function behind every command endpoint: it sends
// payload (nil for none) as JSON to the path made of segments and reads the
// receipt.
func (c *Client) call(ctx context.Context, op, method, id string, m Meta, payload any, segments ...string) (Result, error) {
	op = op + " " + id
	if err := checkID(id); err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	status, answer, err := c.do(ctx, method, segments, m, payload)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	res := Result{Status: status}
	if len(bytes.TrimSpace(answer)) > 0 {
		var ok struct {
			ExternalID string `json:"external_id"`
		}
		if err := json.Unmarshal(answer, &ok); err != nil {
			return Result{}, fmt.Errorf("%s: decode %d answer: %w", op, status, err)
		}
		res.ExternalID = ok.ExternalID
	}
	return res, nil
}

// checkID refuses an empty record id: the path would name no record.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: record id is empty", ErrInvalidRequest)
	}
	return nil
}

// do sends one request, with payload (nil for none) as its JSON body, and
// returns a 2xx answer's status and body. Any other answer is an *HTTPError.
func (c *Client) do(ctx context.Context, method string, segments []string, m Meta, payload any) (int, []byte, error) {
	var body io.Reader
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return 0, nil, fmt.Errorf("encode payload: %w", err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.url(segments), body)
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if m.IdempotencyKey != "" {
		req.Header.Set(IdempotencyKeyHeader, m.IdempotencyKey)
	}
	if m.CorrelationID != "" {
		req.Header.Set(CorrelationIDHeader, m.CorrelationID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, nil, newHTTPError(resp, answer)
	}
	return resp.StatusCode, answer, nil
}

// url joins the base URL and the escaped path segments.
func (c *Client) url(segments []string) string {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	return strings.TrimSuffix(c.base.String(), "/") + "/" + strings.Join(escaped, "/")
}

// newHTTPError reads a non-2xx answer. The body is JSON
// {"code":30795,"message":"invalid EIN"} when the downstream says why; any
// other body becomes the message. Either way the message is shortened: it
// ends up in events, records and audit items.
func newHTTPError(resp *http.Response, body []byte) *HTTPError {
	e := &HTTPError{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header, time.Now())}
	var reason struct {
		Code        int    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	}
	if json.Unmarshal(body, &reason) == nil {
		e.Code, e.Message = reason.Code, shorten(cmp.Or(reason.Message, reason.Description))
		return e
	}
	e.Message = shorten(strings.TrimSpace(string(body)))
	return e
}

// shorten keeps the first 200 bytes of a message, on a rune boundary.
func shorten(msg string) string {
	if len(msg) <= 200 {
		return msg
	}
	cut := 200
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "..."
}
