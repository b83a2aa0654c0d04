package tcrhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// LambdaAdapter runs an http.Handler as a Lambda function behind a function
// URL or an API Gateway HTTP API. Both deliver HTTP payload format 2.0, the
// same JSON (a function URL event is an events.LambdaFunctionURLRequest, an
// API Gateway one an events.APIGatewayV2HTTPRequest, which has every field
// of the former), so one adapter serves both: it rebuilds the request the
// sender made, lets the handler answer it into a buffer and returns the
// answer as a format 2.0 response. The handler is the same one the local
// server runs; nothing about a webhook is decided here.
type LambdaAdapter struct{ Handler http.Handler }

var _ lambda.Handler = LambdaAdapter{}

// Invoke serves one HTTP event. It returns an error, which Lambda reports as
// a failed invocation (the sender sees a 502 and retries), only when the
// event is not an HTTP event.
func (a LambdaAdapter) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("decode HTTP event: %w", err)
	}
	r, err := newHTTPRequest(ctx, ev)
	if err != nil {
		return nil, err
	}
	w := &responseBuffer{header: http.Header{}}
	a.Handler.ServeHTTP(w, r)
	out, err := json.Marshal(w.response())
	if err != nil {
		return nil, fmt.Errorf("encode HTTP response: %w", err)
	}
	return out, nil
}

// newHTTPRequest rebuilds the request of a format 2.0 event. Its URL is the
// one the sender posted to, https://{domainName}{rawPath}[?rawQueryString]:
// rawPath keeps an API Gateway stage's prefix and the path's own encoding.
// A base64 body is decoded as the handler reads it, so a malformed one is a
// read error there.
func newHTTPRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	target := "https://" + ev.RequestContext.DomainName + ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	var body io.Reader = strings.NewReader(ev.Body)
	size := int64(len(ev.Body))
	if ev.IsBase64Encoded {
		body = base64.NewDecoder(base64.StdEncoding, body)
		size = -1 // unknown until decoded
	}
	r, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, target, body)
	if err != nil {
		return nil, fmt.Errorf("rebuild request %s %s: %w", ev.RequestContext.HTTP.Method, target, err)
	}
	r.ContentLength = size
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	for name, value := range ev.Headers { // repeated headers arrive joined by commas
		r.Header.Set(name, value)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	return r, nil
}

// responseBuffer is the http.ResponseWriter of one Lambda invocation.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// response returns the buffered answer in payload format 2.0, whose response
// fields are exactly those of events.LambdaFunctionURLResponse (format 2.0
// has no multiValueHeaders): repeated headers joined by commas, cookies
// apart, a body that is not UTF-8 in base64.
func (b *responseBuffer) response() events.LambdaFunctionURLResponse {
	resp := events.LambdaFunctionURLResponse{StatusCode: b.status, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for name, values := range b.header {
		if name == "Set-Cookie" {
			resp.Cookies = values
			continue
		}
		resp.Headers[name] = strings.Join(values, ",")
	}
	if utf8.Valid(b.body.Bytes()) {
		resp.Body = b.body.String()
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(b.body.Bytes())
		resp.IsBase64Encoded = true
	}
	return resp
}
