package tcrsim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// fixedLatencies makes every step's delay exact, so arrival times can be
// asserted: registry 1s, revet 3s, reviewer 2s, carriers 1s, numbers 1s.
func fixedLatencies() map[Step]Latency {
	fixed := func(d time.Duration) Latency { return Latency{d, d} }
	return map[Step]Latency{
		StepRegistry: fixed(time.Second), StepRevet: fixed(3 * time.Second), StepReviewer: fixed(2 * time.Second),
		StepATT: fixed(time.Second), StepTMobile: fixed(time.Second), StepVerizon: fixed(time.Second),
		StepNumbers: fixed(time.Second),
	}
}

var (
	acme     = statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", Email: "ops@acme.test", EntityType: "PRIVATE_PROFIT"}
	soleProp = statemachine.BrandRegistration{LegalName: "Jo Doe", Email: "jo@doe.test", EntityType: "SOLE_PROPRIETOR"}
	twoFA    = statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", Description: "login codes",
		SampleMessages: []string{"Your code is 123456"}, Numbers: []string{"+15551230001"}}
	number1 = statemachine.NumberRegistration{CampaignID: "c1", Number: "+15551230001"}
)

// arrival is what a test checks of a received webhook.
type arrival struct {
	Type                    tcr.EventType
	Brand, Campaign, Number string
	MNO                     int
	MNOName                 string
	Status                  string // brand identity or number status
	Code                    int
	After                   time.Duration // since the request
}

func arrivals(tb testing.TB, rc *receiver, since time.Time) []arrival {
	tb.Helper()
	var out []arrival
	for _, d := range rc.deliveries(tb) {
		e := d.event
		out = append(out, arrival{Type: e.EventType, Brand: e.BrandID, Campaign: e.CampaignID, Number: e.Number,
			MNO: e.MNOID, MNOName: e.MNOName, Status: e.BrandIdentityStatus + e.NumberStatus, Code: e.Code, After: d.at.Sub(since)})
		if got, want := e.Timestamp, d.at.UTC(); !got.Equal(want) {
			tb.Errorf("%s timestamp = %s, want its arrival time %s (no reordering configured)", e.EventType, got, want)
		}
	}
	return out
}

func TestRegistrationFlows(t *testing.T) {
	type call func(ctx context.Context, c *tcr.Client) (tcr.Result, error)
	tests := []struct {
		name       string
		rejections map[Rejection]float64
		call       call
		want       tcr.Result
		wantErr    *tcr.HTTPError
		wantEvents []arrival
	}{
		{
			name: "brand verified",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitBrand(ctx, "b1", tcr.Meta{}, acme)
			},
			want: tcr.Result{Status: 201, ExternalID: externalID("B", "b1")},
			wantEvents: []arrival{
				{Type: tcr.EventBrandIdentityStatusUpdate, Brand: "b1", Status: "VERIFIED", After: time.Second},
			},
		},
		{
			name:       "sole proprietor self-declared, never an invalid EIN",
			rejections: map[Rejection]float64{RejectInvalidEIN: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitBrand(ctx, "b1", tcr.Meta{}, soleProp)
			},
			want: tcr.Result{Status: 201, ExternalID: externalID("B", "b1")},
			wantEvents: []arrival{
				{Type: tcr.EventBrandIdentityStatusUpdate, Brand: "b1", Status: "SELF_DECLARED", After: time.Second},
			},
		},
		{
			name:       "brand unverified",
			rejections: map[Rejection]float64{RejectUnverified: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitBrand(ctx, "b1", tcr.Meta{}, acme)
			},
			want: tcr.Result{Status: 201, ExternalID: externalID("B", "b1")},
			wantEvents: []arrival{
				{Type: tcr.EventBrandIdentityStatusUpdate, Brand: "b1", Status: "UNVERIFIED", Code: 30795, After: time.Second},
			},
		},
		{
			name:       "brand with an invalid EIN",
			rejections: map[Rejection]float64{RejectInvalidEIN: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitBrand(ctx, "b1", tcr.Meta{}, acme)
			},
			wantErr: &tcr.HTTPError{Status: 400, Code: 30795, Message: "invalid EIN"},
		},
		{
			name: "brand vetted",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.RevetBrand(ctx, "b1", tcr.Meta{})
			},
			want: tcr.Result{Status: 202, ExternalID: externalID("B", "b1")},
			wantEvents: []arrival{
				{Type: tcr.EventBrandRevet, Brand: "b1", Status: "VETTED_VERIFIED", After: 3 * time.Second},
			},
		},
		{
			name:       "brand vetting fails",
			rejections: map[Rejection]float64{RejectRevet: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.RevetBrand(ctx, "b1", tcr.Meta{})
			},
			want: tcr.Result{Status: 202, ExternalID: externalID("B", "b1")},
			wantEvents: []arrival{
				{Type: tcr.EventBrandRevet, Brand: "b1", Status: "UNVERIFIED", Code: 30902, After: 3 * time.Second},
			},
		},
		{
			name: "brand deleted",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.DeleteBrand(ctx, "b1", tcr.Meta{})
			},
			want: tcr.Result{Status: 204},
			wantEvents: []arrival{
				{Type: tcr.EventBrandDelete, Brand: "b1", After: time.Second},
			},
		},
		{
			name: "campaign accepted, then approved by the reviewer",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitCampaign(ctx, "c1", tcr.Meta{}, twoFA)
			},
			want: tcr.Result{Status: 201, ExternalID: externalID("C", "c1")},
			wantEvents: []arrival{
				{Type: tcr.EventCampaignAdd, Brand: "b1", Campaign: "c1", After: time.Second},
				{Type: tcr.EventCampaignShareAccept, Brand: "b1", Campaign: "c1", After: 3 * time.Second},
			},
		},
		{
			name:       "campaign rejected by the reviewer",
			rejections: map[Rejection]float64{RejectReviewer: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitCampaign(ctx, "c1", tcr.Meta{}, twoFA)
			},
			want: tcr.Result{Status: 201, ExternalID: externalID("C", "c1")},
			wantEvents: []arrival{
				{Type: tcr.EventCampaignAdd, Brand: "b1", Campaign: "c1", After: time.Second},
				{Type: tcr.EventCampaignShareDelete, Brand: "b1", Campaign: "c1", Code: 30893, After: 3 * time.Second},
			},
		},
		{
			name:       "high-risk campaign refused at submission",
			rejections: map[Rejection]float64{RejectHighRisk: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitCampaign(ctx, "c1", tcr.Meta{}, twoFA)
			},
			wantErr: &tcr.HTTPError{Status: 400, Code: 30885, Message: "high-risk campaign; not resubmittable"},
		},
		{
			name: "campaign deleted",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.DeleteCampaign(ctx, "c1", tcr.Meta{})
			},
			want: tcr.Result{Status: 204},
		},
		{
			name: "AT&T approves",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitToCarrier(ctx, "c1", tcr.Meta{}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT})
			},
			want: tcr.Result{Status: 202},
			wantEvents: []arrival{
				{Type: tcr.EventMNOReview, Campaign: "c1", MNO: 10017, MNOName: "AT&T", After: time.Second},
				{Type: tcr.EventMNOApproved, Campaign: "c1", MNO: 10017, MNOName: "AT&T", After: 2 * time.Second},
			},
		},
		{
			name:       "Verizon rejects, T-Mobile's rate does not apply",
			rejections: map[Rejection]float64{RejectVerizon: 1, RejectTMobile: 0},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.SubmitToCarrier(ctx, "c1", tcr.Meta{}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierVerizon})
			},
			want: tcr.Result{Status: 202},
			wantEvents: []arrival{
				{Type: tcr.EventMNOReview, Campaign: "c1", MNO: 10038, MNOName: "Verizon Wireless", After: time.Second},
				{Type: tcr.EventMNORejected, Campaign: "c1", MNO: 10038, MNOName: "Verizon Wireless", Code: 30899, After: 2 * time.Second},
			},
		},
		{
			name: "number registered",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.RegisterNumber(ctx, "n1", tcr.Meta{}, number1)
			},
			want: tcr.Result{Status: 202, ExternalID: externalID("PN", "n1")},
			wantEvents: []arrival{
				{Type: tcr.EventNumberRegistrationUpdate, Campaign: "c1", Number: "n1", Status: "REGISTERED", After: time.Second},
			},
		},
		{
			name:       "number registration fails",
			rejections: map[Rejection]float64{RejectNumbers: 1},
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.RegisterNumber(ctx, "+15551230001", tcr.Meta{}, number1)
			},
			want: tcr.Result{Status: 202, ExternalID: externalID("PN", "+15551230001")},
			wantEvents: []arrival{
				{Type: tcr.EventNumberRegistrationUpdate, Campaign: "c1", Number: "+15551230001", Status: "FAILED", After: time.Second},
			},
		},
		{
			name: "number deregistered",
			call: func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
				return c.DeregisterNumber(ctx, "n1", tcr.Meta{}, number1)
			},
			want: tcr.Result{Status: 202, ExternalID: externalID("PN", "n1")},
			wantEvents: []arrival{
				{Type: tcr.EventNumberDeregistrationUpdate, Campaign: "c1", Number: "n1", Status: "DEREGISTERED", After: time.Second},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{Latencies: fixedLatencies(), Rejections: tt.rejections})
				begin := time.Now()
				res, err := tt.call(t.Context(), h.tcr)
				if tt.wantErr != nil {
					herr, ok := errors.AsType[*tcr.HTTPError](err)
					if !ok || *herr != *tt.wantErr {
						t.Fatalf("error = %v, want %+v", err, *tt.wantErr)
					}
				} else if err != nil {
					t.Fatalf("call: %v", err)
				}
				if res != tt.want {
					t.Errorf("result = %+v, want %+v", res, tt.want)
				}
				settle(time.Minute)
				if got := arrivals(t, h.receiver, begin); !slices.Equal(got, tt.wantEvents) {
					t.Errorf("webhooks =\n%+v\nwant\n%+v", got, tt.wantEvents)
				}
			})
		})
	}
}

func TestMalformedRequests(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantMessage              string
	}{
		{name: "brand with unknown field", method: "POST", path: "/registry/brands/b1", body: `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT","tax_id":"1"}`, wantMessage: "decode brand"},
		{name: "brand without entity type", method: "POST", path: "/registry/brands/b1", body: `{"legal_name":"Acme"}`, wantMessage: "entity_type"},
		{name: "campaign without brand", method: "POST", path: "/registry/campaigns/c1", body: `{"use_case":"2FA"}`, wantMessage: "brand_id"},
		{name: "carrier body names another carrier", method: "POST", path: "/carriers/att/campaigns/c1", body: `{"carrier":"verizon"}`, wantMessage: `body names \"verizon\"`},
		{name: "number without campaign", method: "POST", path: "/numbers/n1", body: `{"number":"+15551230001"}`, wantMessage: "campaign_id"},
		{name: "number body not JSON", method: "DELETE", path: "/numbers/n1", body: `campaign=c1`, wantMessage: "decode number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{})
				status, _, body := h.do(tt.method, tt.path, "k1", tt.body)
				if status != http.StatusBadRequest || !strings.Contains(body, tt.wantMessage) {
					t.Errorf("answer = %d %s, want 400 mentioning %q", status, body, tt.wantMessage)
				}
				settle(time.Minute)
				if got := len(h.receiver.events(t)); got != 0 {
					t.Errorf("receiver got %d webhooks, want 0", got)
				}
			})
		})
	}
	t.Run("unknown carrier", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := start(t, Config{})
			if status, _, _ := h.do("POST", "/carriers/sprint/campaigns/c1", "", `{}`); status != http.StatusNotFound {
				t.Errorf("status = %d, want 404", status)
			}
		})
	})
}
