package tcr

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestDoRoutesEveryCommand(t *testing.T) {
	type seen struct{ method, path, key, corr string }
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{r.Method, r.URL.Path, r.Header.Get(IdempotencyKeyHeader), r.Header.Get(CorrelationIDHeader)}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"external_id":"EXT"}`))
	}))
	defer srv.Close()
	c, err := NewClient(ClientConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	cmd := func(tp statemachine.EventType, id string, p any) statemachine.Envelope {
		b, _ := json.Marshal(p)
		return statemachine.Envelope{Type: tp, SchemaVersion: 1, EventID: "evt-1", EntityID: id,
			OccurredAt: time.Now(), CorrelationID: "corr-1", Payload: b}
	}
	brand := statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}
	camp := statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", SampleMessages: []string{"x"}, Numbers: []string{"+12025550101"}}
	num := statemachine.NumberRegistration{CampaignID: "c1", Number: "+12025550101"}
	tests := []struct {
		cmd          statemachine.Envelope
		method, path string
	}{
		{cmd(statemachine.CmdSubmitBrand, "b1", brand), "POST", "/registry/brands/b1"},
		{cmd(statemachine.CmdRevetBrand, "b1", nil), "POST", "/registry/brands/b1/revet"},
		{cmd(statemachine.CmdDeleteBrand, "b1", nil), "DELETE", "/registry/brands/b1"},
		{cmd(statemachine.CmdSubmitCampaign, "c1", camp), "POST", "/registry/campaigns/c1"},
		{cmd(statemachine.CmdDeleteCampaign, "c1", nil), "DELETE", "/registry/campaigns/c1"},
		{cmd(statemachine.CmdCarrierSubmit, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierVerizon}), "POST", "/carriers/verizon/campaigns/c1"},
		{cmd(statemachine.CmdRegisterNumber, "+12025550101", num), "POST", "/numbers/+12025550101"},
		{cmd(statemachine.CmdDeregisterNumber, "+12025550101", num), "DELETE", "/numbers/+12025550101"},
	}
	for _, tt := range tests {
		t.Run(string(tt.cmd.Type), func(t *testing.T) {
			ext, err := c.Do(t.Context(), tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if want := (seen{tt.method, tt.path, "evt-1", "corr-1"}); got != want {
				t.Errorf("request = %+v, want %+v", got, want)
			}
			if ext != "EXT" {
				t.Errorf("external id = %q, want EXT", ext)
			}
		})
	}
	if _, err := c.Do(t.Context(), cmd(statemachine.BrandRegister, "b1", brand)); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("an event as a command: err = %v, want ErrInvalidRequest", err)
	}
	if _, err := c.Do(t.Context(), statemachine.Envelope{Type: statemachine.CmdSubmitBrand, EntityID: "b1", Payload: []byte(`{"nope":1}`)}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("a bad payload: err = %v, want ErrInvalidRequest", err)
	}
}
