package statemachine

import (
	"testing"
)

func TestAnswersOfCommands(t *testing.T) {
	cmd := func(tp EventType, p any) Envelope { return env(t, tp, "x1", p) }
	tests := []struct {
		cmd      Envelope
		accepted EventType // "" when acceptance records nothing
		refused  EventType // "" when refusal records nothing
	}{
		{cmd(CmdSubmitBrand, brandReg), BrandSubmitted, BrandFailed},
		{cmd(CmdRevetBrand, nil), "", BrandVetFailed},
		{cmd(CmdDeleteBrand, nil), "", ""},
		{cmd(CmdSubmitCampaign, campReg), CampaignRegistryAccepted, CampaignRegistryRejected},
		{cmd(CmdDeleteCampaign, nil), "", ""},
		{cmd(CmdCarrierSubmit, CarrierUpdate{Carrier: CarrierATT}), "", CampaignCarrierRejected},
		{cmd(CmdRegisterNumber, NumberRegistration{CampaignID: "c1", Number: "+12025550101"}), NumberSubmitted, NumberFailed},
		{cmd(CmdDeregisterNumber, NumberRegistration{CampaignID: "c1", Number: "+12025550101"}), "", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.cmd.Type), func(t *testing.T) {
			a, ok := Accepted(tt.cmd, "EXT-1", "dispatcher", t0)
			if got := map[bool]EventType{true: a.Type}[ok]; got != tt.accepted {
				t.Errorf("accepted = %q, want %q", got, tt.accepted)
			}
			r, ok := Refused(tt.cmd, CodeInvalidEIN, "bad", "dispatcher", t0)
			if got := map[bool]EventType{true: r.Type}[ok]; got != tt.refused {
				t.Errorf("refused = %q, want %q", got, tt.refused)
			}
			for _, e := range []Envelope{a, r} {
				if e.Type == "" {
					continue
				}
				if err := e.Validate(); err != nil {
					t.Errorf("%s: %v", e.Type, err)
				}
				if e.EntityID != "x1" || e.CorrelationID != tt.cmd.CorrelationID {
					t.Errorf("%s: entity %q correlation %q, want the command's", e.Type, e.EntityID, e.CorrelationID)
				}
			}
			if again, _ := Accepted(tt.cmd, "EXT-1", "dispatcher", t0); again.EventID != a.EventID {
				t.Error("answering the same command twice gives two event ids")
			}
		})
	}
}
