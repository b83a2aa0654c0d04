package statemachine

import "fmt"

// Carrier is a mobile network operator that reviews campaigns.
type Carrier string

// The three carriers that review every campaign.
const (
	CarrierATT     Carrier = "att"
	CarrierTMobile Carrier = "tmobile"
	CarrierVerizon Carrier = "verizon"
)

// Carriers lists the reviewing carriers in a fixed order.
var Carriers = []Carrier{CarrierATT, CarrierTMobile, CarrierVerizon}

var carrierIndex = map[Carrier]int{CarrierATT: 10017, CarrierTMobile: 10035, CarrierVerizon: 10038}

// MNOID returns the registry's id for the carrier (10017 AT&T, 10035 T-Mobile,
// 10038 Verizon).
func (c Carrier) MNOID() int { return carrierIndex[c] }

// CarrierByMNOID returns the carrier with the registry id, or an error.
func CarrierByMNOID(id int) (Carrier, error) {
	for c, n := range carrierIndex {
		if n == id {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown mno id %d (want 10017, 10035 or 10038)", id)
}

// Destination returns the outbound queue that talks to the carrier.
func (c Carrier) Destination() Destination { return Destination(c) }

// CarrierStatus is one carrier's review status of a campaign.
type CarrierStatus string

// Carrier review statuses as the carriers report them.
const (
	CarrierPending     CarrierStatus = "PENDING" // submitted, nothing heard yet
	CarrierInReview    CarrierStatus = "REVIEW"
	CarrierApproved    CarrierStatus = "APPROVED"
	CarrierRejected    CarrierStatus = "REJECTED"
	CarrierSuspended   CarrierStatus = "SUSPENDED"
	CarrierUnsuspended CarrierStatus = "UNSUSPENDED"
)

// carrierUndecided are the statuses of a carrier that has not decided on a
// campaign it reviews.
var carrierUndecided = []CarrierStatus{CarrierPending, CarrierInReview}
