package retry_test

import (
	"testing"
	"time"

	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

func TestScaledCompressesDelaysOnly(t *testing.T) {
	p := retry.DefaultPolicies()
	s := p.Scaled(0.1)
	for _, tp := range []statemachine.EventType{statemachine.CampaignSubmit, statemachine.BrandRegister, statemachine.CmdSubmitBrand} {
		orig, scaled := p.For(tp), s.For(tp)
		if scaled.MaxAttempts != orig.MaxAttempts || scaled.MaxDeferrals != orig.MaxDeferrals {
			t.Errorf("%s: counts changed: %+v -> %+v", tp, orig, scaled)
		}
		if got, want := scaled.DeferCap, time.Duration(float64(orig.DeferCap)*0.1); got != want {
			t.Errorf("%s: DeferCap = %v, want %v", tp, got, want)
		}
		if got, want := scaled.Base, time.Duration(float64(orig.Base)*0.1); got != want {
			t.Errorf("%s: Base = %v, want %v", tp, got, want)
		}
	}
	if p.For(statemachine.CampaignSubmit).DeferCap == s.For(statemachine.CampaignSubmit).DeferCap {
		t.Error("Scaled changed its receiver's table or nothing at all")
	}
}
