package statemachine

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// rawJSON encodes v as a producer that does not escape HTML would.
func rawJSON(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// A valid 36 KB campaign.register full of <, > and & once became a 215 KB
// registry command, which failed at send time, after the transition was
// written: each of those characters became six bytes.
func TestFollowUpsKeepTheSizeOfTheirCause(t *testing.T) {
	reg := campReg
	reg.Description = strings.Repeat("<&>", 12*1024)
	in := env(t, CampaignRegister, "c1", campReg)
	in.Payload = rawJSON(t, reg)
	body, err := in.Encode()
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := apply(t, nil, decoded, Facts{})
	_, d := apply(t, c, env(t, CampaignSubmit, "c1", nil), Facts{Brand: verifiedBrand(t)})
	mustTransition(t, d, TCRPending)
	cmd, err := d.Emit[0].Envelope.Encode()
	if err != nil {
		t.Fatalf("encode the registry command: %v", err)
	}
	if got, limit := len(cmd), len(body)+512; got > limit {
		t.Errorf("a %d-byte campaign.register made a %d-byte %s; want at most %d", len(body), got, d.Emit[0].Envelope.Type, limit)
	}
}

// An event whose follow-ups SQS would refuse is rejected before anything is
// written: a resubmission whose description, with the samples kept from the
// registration, makes a registry command over the size cap.
func TestEventWithUnsendableFollowUpsIsRejected(t *testing.T) {
	brand := verifiedBrand(t)
	reg := campReg
	reg.SampleMessages = []string{strings.Repeat("s", MaxBodyBytes*2/3)}
	c, _ := apply(t, nil, env(t, CampaignRegister, "c1", reg), Facts{})
	c, _ = apply(t, c, env(t, CampaignSubmit, "c1", nil), Facts{Brand: brand})
	c, d := apply(t, c, env(t, CampaignRegistryRejected, "c1", Reason{Code: CodeSampleMismatch}), Facts{})
	mustTransition(t, d, Rejected)

	resubmit := env(t, CampaignResubmit, "c1", Resubmission{Description: strings.Repeat("d", MaxBodyBytes*2/3)})
	got, err := Decide(c, resubmit, Facts{Brand: brand}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Disposition != Reject || got.Reason != ReasonUnsendable {
		t.Fatalf("decision = %s (%q), want reject (%q)", got.Disposition, got.Reason, ReasonUnsendable)
	}
	if !strings.Contains(got.Detail, string(CmdSubmitCampaign)) || !strings.Contains(got.Detail, "too large") {
		t.Errorf("detail %q does not name the follow-up and its size", got.Detail)
	}
	if got.Next.ID != "" || len(got.Emit) != 0 {
		t.Errorf("rejection carries a record to write (%q) or messages (%d)", got.Next.ID, len(got.Emit))
	}
}
