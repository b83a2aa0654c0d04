package tcr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// A webhook receiver checks the signature over the URL it is reachable at and
// the raw body, then decodes the event.
func ExampleVerify() {
	secret := []byte("webhook-secret")
	const url = "https://hooks.example.com/webhooks/registry"
	body := []byte(`{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"e1","campaignId":"c1","timestamp":"2026-01-02T03:04:05Z"}`)
	now := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	header := tcr.Sign(secret, url, body, now.Add(-time.Second)) // what the registry sends

	if err := tcr.Verify(secret, url, body, header, now, tcr.DefaultTolerance); err != nil {
		fmt.Println("reject:", err)
		return
	}
	e, err := tcr.DecodeWebhookEvent(body)
	if err != nil {
		fmt.Println("reject:", err)
		return
	}
	fmt.Println(e.EventType, e.CampaignID, e.EventID)

	err = tcr.Verify(secret, url, []byte(`{"forged":true}`), header, now, tcr.DefaultTolerance)
	fmt.Println(errors.Is(err, tcr.ErrBadSignature))
	// Output:
	// CAMPAIGN_SHARE_ACCEPT c1 e1
	// true
}

// The dispatcher submits a brand with an idempotency key derived from the
// command, and classifies a failure by its type.
func ExampleClient_SubmitBrand() {
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(tcr.IdempotencyKeyHeader) == "cmd-2" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"external_id":"BQ2X7LM"}`)
	}))
	defer registry.Close()

	c, err := tcr.NewClient(tcr.ClientConfig{BaseURL: registry.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	brand := statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}
	for _, key := range []string{"cmd-1", "cmd-2"} {
		res, err := c.SubmitBrand(context.Background(), "b1", tcr.Meta{IdempotencyKey: key, CorrelationID: "corr-1"}, brand)
		if herr, ok := errors.AsType[*tcr.HTTPError](err); ok && herr.Retryable() {
			fmt.Println("retry in", herr.RetryAfter)
			continue
		}
		if err != nil {
			fmt.Println("permanent:", err)
			continue
		}
		fmt.Println(res.Status, res.ExternalID)
	}
	// Output:
	// 201 BQ2X7LM
	// retry in 1s
}

// A re-drive reconciles before it resubmits: it applies what the downstream
// already decided, and re-sends the command only when the downstream has no
// record of it.
func ExampleClient_Lookup() {
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/registry/brands/b2" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"no request about b2 reached registry"}`)
			return
		}
		io.WriteString(w, `{"events":[{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"e1","brandId":"b1",`+
			`"brandIdentityStatus":"VERIFIED","timestamp":"2026-01-02T03:04:05Z"}]}`)
	}))
	defer registry.Close()

	c, err := tcr.NewClient(tcr.ClientConfig{BaseURL: registry.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"b1", "b2"} {
		obs, err := c.Lookup(context.Background(), statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: id})
		if err != nil {
			fmt.Println("try later:", err) // a *tcr.HTTPError (429, 5xx) or a transport error
			continue
		}
		if !obs.Found {
			fmt.Println(id, "unknown downstream: re-send the command")
			continue
		}
		for _, env := range obs.Events {
			fmt.Println(id, "apply", env.Type) // enqueue env; its id matches the webhook's
		}
	}
	// Output:
	// b1 apply brand.verified
	// b2 unknown downstream: re-send the command
}
