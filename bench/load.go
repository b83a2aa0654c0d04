package bench

import (
	"encoding/json"
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// Load is the registrations a run sends: brands first, then campaigns spread
// over them, each with its own phone numbers.
type Load struct {
	Brands    []string                // brand ids
	Campaigns []string                // campaign ids
	Envelopes []statemachine.Envelope // their registrations, brands first
}

func makeLoad(s Scenario) Load {
	var l Load
	for i := range s.Brands {
		id := fmt.Sprintf("brand-%04d", i)
		reg := statemachine.BrandRegistration{LegalName: fmt.Sprintf("Acme %d LLC", i), EIN: fmt.Sprintf("12-34%05d", i),
			Email: fmt.Sprintf("ops%d@acme.test", i), EntityType: "PRIVATE_PROFIT"}
		if i%5 == 4 {
			reg.EntityType, reg.EIN = "SOLE_PROPRIETOR", ""
		}
		l.Brands = append(l.Brands, id)
		l.Envelopes = append(l.Envelopes, registration(statemachine.BrandRegister, id, reg))
	}
	number := 0
	for i := range s.Campaigns {
		id := fmt.Sprintf("campaign-%05d", i)
		reg := statemachine.CampaignRegistration{BrandID: l.Brands[i%len(l.Brands)], UseCase: "2FA",
			Description: "one-time passcodes", SampleMessages: []string{"Your Acme code is 123456"}}
		for range s.Numbers {
			reg.Numbers = append(reg.Numbers, fmt.Sprintf("+1202%07d", number))
			number++
		}
		l.Campaigns = append(l.Campaigns, id)
		l.Envelopes = append(l.Envelopes, registration(statemachine.CampaignRegister, id, reg))
	}
	return l
}

func registration(t statemachine.EventType, id string, p any) statemachine.Envelope {
	raw, _ := json.Marshal(p) // registration payloads always encode
	return statemachine.Envelope{Type: t, EntityID: id, CorrelationID: "regbench-" + id, Actor: "regbench", Payload: raw}
}

// part returns the brands from..to-1 of l (by index) with their campaigns
// (campaign i belongs to brand i modulo the brands, as makeLoad assigns
// them): their ids, and their registrations, brands first.
func (l Load) part(from, to int) Load {
	var out Load
	for b := from; b < to; b++ {
		out.Brands = append(out.Brands, l.Brands[b])
		out.Envelopes = append(out.Envelopes, l.Envelopes[b])
	}
	for i, id := range l.Campaigns {
		if b := i % len(l.Brands); b >= from && b < to {
			out.Campaigns = append(out.Campaigns, id)
			out.Envelopes = append(out.Envelopes, l.Envelopes[len(l.Brands)+i])
		}
	}
	return out
}
