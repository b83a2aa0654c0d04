package statemachine

// Failure reason codes, as CPaaS error codes name them.
const (
	CodeInvalidEIN        = 30795 // invalid EIN
	CodeSampleMismatch    = 30893 // sample message does not match the use case
	CodeHighRisk          = 30885 // high risk; not resubmittable
	CodeCarrierRejection  = 30899 // a carrier rejected the campaign
	CodeUseCaseIneligible = 30900 // use case ineligible
	CodeTimeout           = 30901 // third parties did not respond within the SLA
	CodePartnerRejection  = 30902 // secondary partner rejected
	CodeBrandStillPending = 30994 // brand not verified yet
	CodeOptInUnverified   = 30909 // the opt-in (call to action) evidence could not be verified
	// CodeNumberTaken is this system's own code, not a CPaaS one: the number
	// is registered to another campaign, so this campaign settles it as
	// FAILED instead of waiting for it.
	CodeNumberTaken = 39001
)
