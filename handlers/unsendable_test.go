package handlers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// A resubmission whose registry command would be over the size cap is
// rejected with the reason and the offending command named, and nothing is
// written or sent: the campaign stays REJECTED with its registration.
func TestEventWithUnsendableFollowUpsLeavesTheRecord(t *testing.T) {
	st, sender := newMemStore(), &memSender{}
	d := newDispatcher(t, st, sender)
	reg, err := json.Marshal(statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", Description: "codes",
		SampleMessages: []string{strings.Repeat("s", statemachine.MaxBodyBytes*2/3)}, Numbers: []string{"+12025550101"}})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, st, statemachine.Record{Kind: statemachine.KindBrand, ID: "b1", State: statemachine.Verified})
	seed(t, st, statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", ParentID: "b1", State: statemachine.Rejected, Data: reg})

	resubmit := event(t, statemachine.CampaignResubmit, "c1",
		statemachine.Resubmission{Description: strings.Repeat("d", statemachine.MaxBodyBytes*2/3)})
	err = d.Handle(t.Context(), newMessage(t, resubmit))
	var r *message.RejectedError
	if !errors.As(err, &r) || r.Reason != statemachine.ReasonUnsendable {
		t.Fatalf("err = %v, want a rejection %q", err, statemachine.ReasonUnsendable)
	}
	if !strings.Contains(err.Error(), string(statemachine.CmdSubmitCampaign)) || !strings.Contains(err.Error(), "too large") {
		t.Errorf("error %q does not say which follow-up is too large", err)
	}
	c, err := st.Get(t.Context(), statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != statemachine.Rejected || c.Version != 1 || string(c.Data) != string(reg) {
		t.Errorf("campaign = %s v%d, want REJECTED v1 with its registration untouched", c.State, c.Version)
	}
	if sent := sender.take(); len(sent) != 0 {
		t.Errorf("sent %d messages, want none", len(sent))
	}
}
