package check

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// The state-changing endpoints whose answers the world rule reads.
const (
	endpointSubmitBrand    = "POST /registry/brands/{id}"
	endpointSubmitCampaign = "POST /registry/campaigns/{id}"
	endpointSubmitEvidence = "POST /registry/campaigns/{id}/evidence"
	endpointRegisterNumber = "POST /numbers/{id}"
)

// endpointCarrier is carrier c's submission endpoint.
func endpointCarrier(c statemachine.Carrier) string {
	return "POST /carriers/" + string(c) + "/campaigns/{id}"
}

// worldFigures count the records the world rule looked at.
type worldFigures struct {
	// Settled records are in a terminal state: each was compared with the
	// world's decisions.
	Settled int `json:"settled"`
	// Unsettled records were not terminal at the end; they are not compared
	// (a stuck campaign fails the run on its own).
	Unsettled int `json:"unsettled"`
	// Unanswered are the settled records whose world never gave an answer
	// they wait for: FAILED 30901 is their only right end.
	Unanswered int `json:"unanswered"`
}

// verdict is where the simulated world's decisions lead a record.
type verdict struct {
	// state is the state the record must end in; "" when an answer it waits
	// for never came, so that it may only give up (FAILED 30901).
	state statemachine.State
	// codes are the reason codes a REJECTED or FAILED end may carry.
	codes []int
	why   []string  // the decisions, in words
	last  time.Time // when the latest decision it rests on was made
}

// saw notes a decision made at at.
func (v *verdict) saw(at time.Time, format string, args ...any) {
	v.why = append(v.why, fmt.Sprintf(format, args...))
	if at.After(v.last) {
		v.last = at
	}
}

// end sets the state the decisions lead to.
func (v verdict) end(s statemachine.State, codes ...int) verdict {
	v.state, v.codes = s, codes
	return v
}

// admits reports whether rec's end agrees with v. A record that gave up
// (FAILED 30901) agrees with a world that never answered, and with one that
// answered only after the record had given up.
func (v verdict) admits(rec *statemachine.Record) bool {
	code := reasonCode(rec.Reason)
	if rec.State == statemachine.Failed && code == statemachine.CodeTimeout &&
		(v.state == "" || v.last.After(rec.StateEnteredAt)) {
		return true
	}
	return v.state != "" && rec.State == v.state && (len(v.codes) == 0 || slices.Contains(v.codes, code))
}

func (v verdict) String() string {
	want := "no end: an answer never came, so only FAILED 30901"
	if v.state != "" {
		want = string(v.state)
		if len(v.codes) > 0 {
			want += fmt.Sprintf(" with code %s", joinInts(v.codes, " or "))
		}
	}
	return want + " (" + strings.Join(v.why, "; ") + ")"
}

// checkWorld compares every settled brand, campaign and number with where
// the simulated world's latest decisions lead it (see brandVerdict,
// campaignVerdict, numberVerdict).
func (c *checker) checkWorld() {
	for _, k := range c.keys() {
		rec := c.records[k]
		if rec == nil {
			continue
		}
		if !statemachine.IsTerminal(k.kind, rec.State) {
			c.res.World.Unsettled++
			continue
		}
		c.res.World.Settled++
		c.checked[ruleWorld]++
		var v verdict
		switch k.kind {
		case statemachine.KindBrand:
			v = c.brandVerdict(k.id)
		case statemachine.KindCampaign:
			v = c.campaignVerdict(rec)
		case statemachine.KindNumber:
			v = c.numberVerdict(k.id)
		}
		if v.state == "" {
			c.res.World.Unanswered++
		}
		if !v.admits(rec) {
			reason := ""
			if rec.Reason != nil {
				reason = fmt.Sprintf(" with code %d", rec.Reason.Code)
			}
			c.violate(ruleWorld, k, -1, "the record ended %s%s, but the simulator's decisions lead to %s", rec.State, reason, v)
		}
	}
}

// brandVerdict: the registry's latest answer to the brand's submission (400
// code 30795: FAILED), then its latest BRAND_IDENTITY_STATUS_UPDATE
// (UNVERIFIED, or VERIFIED for VERIFIED and SELF_DECLARED).
func (c *checker) brandVerdict(id string) verdict {
	k := recordKey{statemachine.KindBrand, id}
	var v verdict
	req, ok := c.latestDecided(k, endpointSubmitBrand)
	if !ok {
		v.why = append(v.why, "the registry decided no submission of brand "+id)
		return v
	}
	if req.Status >= 400 {
		v.saw(req.At, "the registry refused brand %s: %d code %d", id, req.Status, req.Code)
		return v.end(statemachine.Failed, req.Code)
	}
	v.saw(req.At, "the registry took brand %s (%d)", id, req.Status)
	e, ok := c.latestWebhook(k, func(e tcr.WebhookEvent) bool { return e.EventType == tcr.EventBrandIdentityStatusUpdate })
	if !ok {
		v.why = append(v.why, "no identity decision")
		return v
	}
	v.saw(e.Timestamp, "identity %s", e.BrandIdentityStatus)
	if e.BrandIdentityStatus == tcr.IdentityUnverified {
		return v.end(statemachine.Unverified)
	}
	return v.end(statemachine.Verified)
}

// campaignVerdict walks a campaign's gates in order, the first refusal
// deciding: its brand (refused or UNVERIFIED, or its record gave up: REJECTED
// 30795), the registry (400 code 30885: REJECTED with it), the reviewer
// (CAMPAIGN_SHARE_DELETE: REJECTED with its code), on flow v2 the opt-in
// evidence review (a refusal or CAMPAIGN_EVIDENCE_REJECTED: REJECTED with its
// code), then the carriers (any
// MNO_CAMPAIGN_OPERATION_REJECTED: REJECTED with its code; every carrier
// approved: ACTIVE). A gate without an answer leaves no end but giving up.
func (c *checker) campaignVerdict(rec *statemachine.Record) verdict {
	k := recordKey{statemachine.KindCampaign, rec.ID}
	var v verdict
	b := c.brandVerdict(rec.ParentID)
	brand := c.records[recordKey{statemachine.KindBrand, rec.ParentID}]
	switch {
	case b.state == statemachine.Failed || b.state == statemachine.Unverified:
		v.saw(b.last, "%s", strings.Join(b.why, ", "))
		return v.end(statemachine.Rejected, statemachine.CodeInvalidEIN)
	case brand != nil && brand.State == statemachine.Failed:
		v.saw(brand.StateEnteredAt, "brand %s gave up (FAILED %d)", rec.ParentID, reasonCode(brand.Reason))
		return v.end(statemachine.Rejected, statemachine.CodeInvalidEIN)
	case b.state == "":
		v.why = append(v.why, strings.Join(b.why, ", "))
		return v
	}
	v.saw(b.last, "brand %s %s", rec.ParentID, b.state)

	req, ok := c.latestDecided(k, endpointSubmitCampaign)
	if !ok {
		v.why = append(v.why, "the registry decided no submission of the campaign")
		return v
	}
	if req.Status >= 400 {
		v.saw(req.At, "the registry refused it: %d code %d", req.Status, req.Code)
		return v.end(statemachine.Rejected, req.Code)
	}
	v.saw(req.At, "the registry took it (%d)", req.Status)
	e, ok := c.latestWebhook(k, func(e tcr.WebhookEvent) bool {
		return e.EventType == tcr.EventCampaignShareAccept || e.EventType == tcr.EventCampaignShareDelete
	})
	if !ok {
		v.why = append(v.why, "no reviewer decision")
		return v
	}
	if e.EventType == tcr.EventCampaignShareDelete {
		v.saw(e.Timestamp, "the reviewer rejected it: code %d", e.Code)
		return v.end(statemachine.Rejected, e.Code)
	}
	v.saw(e.Timestamp, "the reviewer approved it")
	if rec.Flow.OrV1() >= statemachine.FlowV2 && !c.evidenceGate(k, &v) {
		return v
	}

	var codes []int
	var silent []string
	for _, car := range statemachine.Carriers {
		if req, ok := c.latestDecided(k, endpointCarrier(car)); ok && req.Status >= 400 {
			v.saw(req.At, "%s refused it: %d code %d", car, req.Status, req.Code)
			codes = append(codes, req.Code)
			continue
		}
		e, ok := c.latestWebhook(k, func(e tcr.WebhookEvent) bool {
			return e.MNOID == car.MNOID() && (e.EventType == tcr.EventMNOApproved || e.EventType == tcr.EventMNORejected)
		})
		switch {
		case !ok:
			silent = append(silent, string(car))
		case e.EventType == tcr.EventMNORejected:
			code := e.Code
			if code == 0 {
				code = statemachine.CodeCarrierRejection
			}
			v.saw(e.Timestamp, "%s rejected it: code %d", car, code)
			codes = append(codes, code)
		default:
			v.saw(e.Timestamp, "%s approved it", car)
		}
	}
	switch {
	case len(codes) > 0:
		return v.end(statemachine.Rejected, codes...)
	case len(silent) > 0:
		v.why = append(v.why, "no decision of "+strings.Join(silent, ", "))
		return v
	}
	return v.end(statemachine.Active)
}

// evidenceGate walks the opt-in evidence review of a flow v2 campaign into
// v: it reports whether the evidence was approved, and otherwise ends v with
// the refusal or leaves it without an end when the review never answered.
func (c *checker) evidenceGate(k recordKey, v *verdict) bool {
	if req, ok := c.latestDecided(k, endpointSubmitEvidence); ok && req.Status >= 400 {
		v.saw(req.At, "the registry refused the evidence: %d code %d", req.Status, req.Code)
		*v = v.end(statemachine.Rejected, req.Code)
		return false
	}
	e, ok := c.latestWebhook(k, func(e tcr.WebhookEvent) bool {
		return e.EventType == tcr.EventCampaignEvidenceApproved || e.EventType == tcr.EventCampaignEvidenceRejected
	})
	switch {
	case !ok:
		v.why = append(v.why, "no evidence decision")
		return false
	case e.EventType == tcr.EventCampaignEvidenceRejected:
		v.saw(e.Timestamp, "the registry rejected the evidence: code %d", e.Code)
		*v = v.end(statemachine.Rejected, e.Code)
		return false
	}
	v.saw(e.Timestamp, "the registry approved the evidence")
	return true
}

// numberVerdict: the latest answer to the number's registration (a refusal:
// FAILED with its code), then its latest NUMBER_REGISTRATION_UPDATE
// (REGISTERED, or FAILED with its code).
func (c *checker) numberVerdict(id string) verdict {
	k := recordKey{statemachine.KindNumber, id}
	var v verdict
	req, ok := c.latestDecided(k, endpointRegisterNumber)
	if !ok {
		v.why = append(v.why, "number registration decided no request for "+id)
		return v
	}
	if req.Status >= 400 {
		v.saw(req.At, "number registration refused it: %d code %d", req.Status, req.Code)
		return v.end(statemachine.Failed, req.Code)
	}
	v.saw(req.At, "number registration took it (%d)", req.Status)
	e, ok := c.latestWebhook(k, func(e tcr.WebhookEvent) bool { return e.EventType == tcr.EventNumberRegistrationUpdate })
	if !ok {
		v.why = append(v.why, "no registration decision")
		return v
	}
	v.saw(e.Timestamp, "registration %s", e.NumberStatus)
	if e.NumberStatus == tcr.NumberFailed {
		return v.end(statemachine.Failed, e.Code)
	}
	return v.end(statemachine.Registered)
}

// latestDecided returns the last request to endpoint about k that the
// simulator decided and kept: a lost request decided nothing that lasted.
func (c *checker) latestDecided(k recordKey, endpoint string) (tcrsim.JournalRequest, bool) {
	rs := c.requests[k]
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Endpoint == endpoint && decided(rs[i]) {
			return rs[i], true
		}
	}
	return tcrsim.JournalRequest{}, false
}

// latestWebhook returns the event about k that match accepts and that the
// world decided last (by its timestamp; the journal's order breaks ties),
// whatever became of its delivery: a dropped webhook is a decision too.
func (c *checker) latestWebhook(k recordKey, match func(tcr.WebhookEvent) bool) (tcr.WebhookEvent, bool) {
	var best tcr.WebhookEvent
	found := false
	for _, w := range c.webhooks[k] {
		if match(w.Event) && (!found || !w.Event.Timestamp.Before(best.Timestamp)) {
			best, found = w.Event, true
		}
	}
	return best, found
}

// reasonCode is r's code, 0 for none.
func reasonCode(r *statemachine.Reason) int {
	if r == nil {
		return 0
	}
	return r.Code
}

func joinInts(vs []int, sep string) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, sep)
}
