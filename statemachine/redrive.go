package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// SweeperActor is the actor the sweeper writes on the messages it sends.
const SweeperActor = "sweeper"

// TimeoutReason is why a record the sweeper gave up on fails: no downstream
// answered within the SLA (30901).
var TimeoutReason = Reason{Code: CodeTimeout, Description: "timeout: no answer within the SLA"}

// ErrNotWaiting is returned by [Redrive] for a record that is not in a
// waiting state: there is no missing answer to re-drive.
var ErrNotWaiting = errors.New("record is not in a waiting state")

// failedEvents is the give-up event of each kind. Its table accepts it in
// every waiting state of the kind (TestGiveUpIsAcceptedInEveryWaitingState).
var failedEvents = map[Kind]EventType{
	KindBrand:    BrandFailed,
	KindCampaign: CampaignFailed,
	KindNumber:   NumberFailed,
}

// RedrivePlan is what the sweeper sends for one stuck record.
type RedrivePlan struct {
	// GiveUp says the record had its maximum of re-drives: Emit then holds
	// only its <kind>.failed event with TimeoutReason, for the events queue,
	// so the failure goes through the state machine like every other change.
	GiveUp bool
	// Emit are the messages to send. Empty for a campaign in NUMBERS_PENDING
	// none of whose pending numbers has settled: the number records are
	// re-driven themselves, and there is nothing to re-send for the campaign.
	Emit []Outgoing
}

// RedriveNumbers returns the numbers whose records [Redrive] needs to decide
// for rec, in order: the numbers still pending on a campaign in
// NUMBERS_PENDING. It returns nil for every other record.
func RedriveNumbers(rec Record) []string {
	if rec.Kind != KindCampaign || rec.State != NumbersPending {
		return nil
	}
	var pending []string
	for _, n := range sortedKeys(rec.Numbers) {
		if rec.Numbers[n] == NumberPendingStatus {
			pending = append(pending, n)
		}
	}
	return pending
}

// Redrive decides what the sweeper sends for rec, a record stuck in a waiting
// state, on its re-drive number rec.Redrives (counted: 1 on the first
// re-drive). Up to maxRedrives re-drives it re-sends the command whose answer
// went missing:
//
//   - brand PENDING and SUBMITTED: registry.submit_brand with the stored
//     registration; VETTING: registry.revet_brand;
//   - campaign TCR_PENDING and IN_REVIEW: registry.submit_campaign with the
//     stored registration (the registry recognises the repeat and sends its
//     webhook again); CARRIER_REVIEW: carrier.submit_campaign to each carrier
//     that has not answered or is still reviewing;
//   - campaign NUMBERS_PENDING: for each number still pending on the campaign
//     whose record has settled, campaign.number_settled again; a number whose
//     record does not exist gets its number.register again (that follow-up
//     was lost); a number still registering gets nothing (its own record is
//     re-driven);
//   - number PENDING and REGISTERING: numbers.register; DEREGISTERING:
//     numbers.deregister.
//
// Past maxRedrives it gives up: the plan is the <kind>.failed event with
// [TimeoutReason].
//
// numbers holds the records of the numbers [RedriveNumbers] names (nil or
// absent: the record does not exist). Every message carries rec's correlation
// id and Actor [SweeperActor]; its event id derives from the record, the time
// it entered its state, the re-drive number and the message's position, so
// the same re-drive sent twice is the same message, and each re-drive is a new
// one. Redrive is pure: no I/O.
//
// It returns an error wrapping ErrNotWaiting when rec is not in a waiting
// state, and ErrMalformed when the stored registration does not decode or a
// message would not be valid.
func Redrive(rec Record, numbers map[string]*Record, maxRedrives int, now time.Time) (RedrivePlan, error) {
	if !IsWaiting(rec.Kind, rec.State) {
		return RedrivePlan{}, fmt.Errorf("redrive %s %s in %s: %w", rec.Kind, rec.ID, rec.State, ErrNotWaiting)
	}
	r := &redriver{rec: rec, now: now}
	plan := RedrivePlan{GiveUp: rec.Redrives > maxRedrives}
	if plan.GiveUp {
		r.send(ToEvents, failedEvents[rec.Kind], rec.ID, TimeoutReason)
	} else {
		r.resend(numbers)
	}
	if r.err != nil {
		return RedrivePlan{}, fmt.Errorf("%w: redrive %s %s in %s: %v", ErrMalformed, rec.Kind, rec.ID, rec.State, r.err)
	}
	plan.Emit = r.emit
	return plan, nil
}

// redriver builds the messages of one re-drive.
type redriver struct {
	rec  Record
	now  time.Time
	emit []Outgoing
	err  error // first encoding or validation error
}

// resend emits the commands and follow-ups whose answers are missing.
func (r *redriver) resend(numbers map[string]*Record) {
	rec := r.rec
	switch {
	case rec.Kind == KindBrand && rec.State == Vetting:
		r.send(ToRegistry, CmdRevetBrand, rec.ID, Empty{})
	case rec.Kind == KindBrand: // PENDING, SUBMITTED
		r.send(ToRegistry, CmdSubmitBrand, rec.ID, rec.Data)
	case rec.Kind == KindCampaign && rec.State == CarrierReview:
		for _, c := range Carriers {
			switch rec.Carriers[c] {
			case "", CarrierPending, CarrierInReview:
				r.send(c.Destination(), CmdCarrierSubmit, rec.ID, CarrierUpdate{Carrier: c})
			}
		}
	case rec.Kind == KindCampaign && rec.State == NumbersPending:
		for _, n := range RedriveNumbers(rec) {
			r.settle(n, numbers[n])
		}
	case rec.Kind == KindCampaign: // TCR_PENDING, IN_REVIEW
		r.send(ToRegistry, CmdSubmitCampaign, rec.ID, rec.Data)
	case rec.State == Deregistering:
		r.send(ToNumbers, CmdDeregisterNumber, rec.ID, rec.Data)
	default: // number PENDING, REGISTERING
		r.send(ToNumbers, CmdRegisterNumber, rec.ID, rec.Data)
	}
}

// settle re-emits what the campaign is missing about one of its pending
// numbers, whose record is num (nil: absent).
func (r *redriver) settle(n string, num *Record) {
	switch {
	case num == nil:
		r.send(ToEvents, NumberRegister, n, NumberRegistration{CampaignID: r.rec.ID, Number: n})
	case num.ParentID != r.rec.ID:
		// Registered for another campaign: not this campaign's answer.
	case num.State == Registered:
		r.send(ToEvents, CampaignNumberSettled, r.rec.ID, NumberSettled{Number: n, Status: NumberRegisteredStatus})
	case num.State == Failed:
		s := NumberSettled{Number: n, Status: NumberFailedStatus}
		if num.Reason != nil {
			s.Code = num.Reason.Code
		}
		r.send(ToEvents, CampaignNumberSettled, r.rec.ID, s)
	}
}

// send emits one message with payload p (a json.RawMessage is sent as is) and
// checks it.
func (r *redriver) send(to Destination, t EventType, entity string, p any) {
	if r.err != nil {
		return
	}
	body, ok := p.(json.RawMessage)
	if !ok {
		var err error
		if body, err = json.Marshal(p); err != nil {
			r.err = err
			return
		}
	}
	env := Envelope{
		Type:          t,
		SchemaVersion: SchemaVersion,
		EventID:       r.eventID(t, entity),
		EntityID:      entity,
		OccurredAt:    r.now,
		CorrelationID: r.rec.CorrelationID,
		Actor:         SweeperActor,
		Payload:       body,
	}
	if err := env.Validate(); err != nil {
		r.err = err
		return
	}
	r.emit = append(r.emit, Outgoing{To: to, Envelope: env})
}

// eventID derives a message's id from the re-drive (record, state entry time,
// re-drive number) and the message (position, type, entity).
func (r *redriver) eventID(t EventType, entity string) string {
	sum := sha256.Sum256([]byte("redrive|" + string(r.rec.Kind) + "|" + r.rec.ID + "|" +
		strconv.FormatInt(r.rec.StateEnteredAt.UnixNano(), 10) + "|" + strconv.Itoa(r.rec.Redrives) + "|" +
		strconv.Itoa(len(r.emit)) + "|" + string(t) + "|" + entity))
	return hex.EncodeToString(sum[:16])
}
