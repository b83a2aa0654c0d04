package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// SweeperActor is the actor the sweeper writes on the messages it sends.
const SweeperActor = "sweeper"

// TimeoutReason is why a record the sweeper gave up on fails: no downstream
// answered within the SLA (30901).
var TimeoutReason = Reason{Code: CodeTimeout, Description: "timeout: no answer within the SLA"}

// ErrNotWaiting is returned by [Redrive] for a record that is not in a
// watched state: there is nothing to re-drive.
var ErrNotWaiting = errors.New("record is not in a waiting state")

// failedEvents is the give-up event of each kind. Its table accepts it in
// every watched state of the kind (TestRedriveGivesUpPastTheMaximum).
var failedEvents = map[Kind]EventType{
	KindBrand:    BrandFailed,
	KindCampaign: CampaignFailed,
	KindNumber:   NumberFailed,
}

// RedriveOutcome is what one re-drive of a stuck record found and did. It
// decides which of the record's counters the re-drive adds to.
type RedriveOutcome string

// The outcomes, from the one that counts most.
const (
	// OutcomeGaveUp: the record had its maximum of re-drives or checks; the
	// plan is its <kind>.failed event with [TimeoutReason].
	OutcomeGaveUp RedriveOutcome = "gave_up"
	// OutcomeResent: a downstream has no record of a command the record
	// waits on that left its queue (it lost an accepted command: sent again
	// under a new idempotency key; a command whose calls failed and that
	// may have been dead-lettered: sent again as it was), or a follow-up
	// went missing. Counts as a re-drive.
	OutcomeResent RedriveOutcome = "resent"
	// OutcomeRecovered: a look-up found decisions the record missed (lost
	// webhooks), or the record's outbox held messages never sent: they are
	// sent with their own event ids. Counts as a check.
	OutcomeRecovered RedriveOutcome = "recovered"
	// OutcomeChecked: the downstream has the request and has not decided
	// yet. Nothing is sent. Counts as a check.
	OutcomeChecked RedriveOutcome = "checked"
	// OutcomeWaiting: the record waits on records that are swept themselves
	// (a campaign on its numbers or its brand). Counts nothing; the wait
	// starts again.
	OutcomeWaiting RedriveOutcome = "waiting"
	// OutcomeBacklog: a command the record waits on is still in its
	// outbound queue (sent, and no call was made with it yet), or the
	// downstream could not be asked. Nothing is written or sent: the queue
	// is behind, the record is not stuck.
	OutcomeBacklog RedriveOutcome = "backlog"
	// OutcomeIdle: nothing to look up and nothing to send. Counts as a
	// re-drive, so that no record waits forever.
	OutcomeIdle RedriveOutcome = "idle"
)

// outcomeRank orders outcomes: the outcome of a re-drive is the highest
// ranked of its parts.
var outcomeRank = map[RedriveOutcome]int{
	OutcomeIdle: 0, OutcomeBacklog: 1, OutcomeWaiting: 2, OutcomeChecked: 3,
	OutcomeRecovered: 4, OutcomeResent: 5, OutcomeGaveUp: 6,
}

// Limits bound how long the sweeper keeps a record waiting in one state.
type Limits struct {
	// MaxRedrives is how many re-drives that re-sent something, or had
	// nothing to do, a record gets before it fails with 30901.
	MaxRedrives int
	// MaxChecks is how many re-drives that found the downstream still
	// deciding (or recovered missed answers) a record gets before it fails
	// with 30901: the SLA, in units of the state's threshold.
	MaxChecks int
	// MaxBacklog is how long a command may wait in its queue as a backlog;
	// older, it is sent again as it was (same idempotency key: a repeat at
	// worst), so that a message held back for good cannot strand a record.
	// Zero: no bound.
	MaxBacklog time.Duration
}

// Recovery is what a re-drive knows beyond the record.
type Recovery struct {
	// Observations are the downstreams' answers to [Lookups] of the record.
	// A look-up without an observation is treated as not answered: its part
	// of the re-drive waits (backlog) rather than re-sending blind.
	Observations []Observation
	// Numbers holds the records of the numbers [RedriveNumbers] names (nil
	// or absent: the record does not exist).
	Numbers map[string]*Record
	// Busy names the outbound queues that hold messages (visible, in flight
	// or delayed). A command [Queued] on the record whose queue is empty was
	// lost on the way (its mark did not reach the record): sent again.
	Busy map[Destination]bool
}

// RedrivePlan is what the sweeper does for one stuck record.
type RedrivePlan struct {
	Outcome RedriveOutcome
	// Emit are the messages to send.
	Emit []Outgoing
	// Replayed are the ids of the outbox entries Emit re-sends: once sent,
	// the sweeper clears them.
	Replayed []string
	// Redrives and Checks are the record's counters once this re-drive is
	// counted.
	Redrives, Checks int
	// Commands are the commands Emit sends again, to be written on the
	// record with the count.
	Commands map[Destination]CommandRef
}

// Counts reports whether the plan writes the record: every outcome but a
// backlog counts the re-drive and restarts the wait.
func (p RedrivePlan) Counts() bool { return p.Outcome != OutcomeBacklog }

// Lookups returns the status look-ups a re-drive of rec asks before it
// re-sends anything: the registry for a brand or a campaign it has not
// finished with (its submission or its review; its opt-in evidence in
// EVIDENCE_REVIEW, or the bridge when that step was [Delegated]), each
// carrier that has not decided on a campaign in CARRIER_REVIEW, number
// registration for a number. It returns nil for
// states that wait on records rather than downstreams, and for a record with
// an outbox to replay.
func Lookups(rec Record) []Lookup {
	if len(rec.Outbox) > 0 {
		return nil
	}
	switch {
	case rec.Kind == KindBrand && IsWaiting(rec.Kind, rec.State):
		return []Lookup{{To: ToRegistry, Kind: KindBrand, ID: rec.ID}}
	case rec.Kind == KindCampaign && (rec.State == TCRPending || rec.State == InReview):
		return []Lookup{{To: ToRegistry, Kind: KindCampaign, ID: rec.ID}}
	case rec.Kind == KindCampaign && rec.State == EvidenceReview:
		l := Lookup{To: evidenceReviewer(rec), Kind: KindCampaign, ID: rec.ID, Of: LookupEvidence}
		if l.To == ToTemporal {
			l.Ref = rec.Commands[ToTemporal].EventID
		}
		return []Lookup{l}
	case rec.Kind == KindCampaign && rec.State == CarrierReview:
		var ls []Lookup
		for _, c := range undecidedCarriers(rec) {
			ls = append(ls, Lookup{To: c.Destination(), Kind: KindCampaign, ID: rec.ID})
		}
		return ls
	case rec.Kind == KindNumber && IsWaiting(rec.Kind, rec.State):
		return []Lookup{{To: ToNumbers, Kind: KindNumber, ID: rec.ID}}
	}
	return nil
}

// awaitsAcceptance lists the states in which the command to a downstream may
// still be in its queue: its acceptance moves the record on (brand PENDING,
// campaign TCR_PENDING, number PENDING), or is recorded on the command
// (CommandRef.AcceptedAt) in a state it does not move.
var awaitsAcceptance = map[Kind][]State{
	KindBrand:    {Pending, Vetting},
	KindCampaign: {TCRPending, EvidenceReview, CarrierReview},
	KindNumber:   {Pending, Deregistering},
}

// Queued reports whether the command rec waits on from downstream to is
// still in its outbound queue: sent, and neither accepted nor tried since.
// A record that knows no such command is not waiting on a queue.
func Queued(rec Record, to Destination) bool {
	ref, ok := rec.Commands[to]
	return ok && slices.Contains(awaitsAcceptance[rec.Kind], rec.State) &&
		ref.AcceptedAt.IsZero() && ref.AttemptedAt.IsZero() && !ref.SentAt.Before(rec.StateEnteredAt)
}

// undecidedCarriers are the carriers that have not decided on a campaign.
func undecidedCarriers(rec Record) []Carrier {
	var cs []Carrier
	for _, c := range Carriers {
		if s := rec.Carriers[c]; s == "" || slices.Contains(carrierUndecided, s) {
			cs = append(cs, c)
		}
	}
	return cs
}

// RedriveNumbers returns the numbers whose records [Redrive] needs to decide
// for rec, in order: the numbers still pending on a campaign in
// NUMBERS_PENDING. It returns nil for every other record.
func RedriveNumbers(rec Record) []string {
	if rec.Kind != KindCampaign || rec.State != NumbersPending || len(rec.Outbox) > 0 {
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

// Redrive decides what the sweeper does for rec, a record found waiting in a
// watched state past its threshold, given what the sweeper learned besides
// (in). It reconciles before it re-sends: a downstream that has the request,
// or a command still in its queue, is left alone, and only what was lost is
// sent. The plan's outcome says which counter the re-drive adds to; past
// lim.MaxRedrives or lim.MaxChecks the plan is the record's <kind>.failed
// event with [TimeoutReason] instead. Redrive is pure: the messages it makes
// carry rec's correlation id, Actor [SweeperActor] and event ids derived from
// the re-drive, so the same re-drive sent twice is the same message and each
// re-drive is a new one.
//
// It returns an error wrapping ErrNotWaiting when rec is not in a watched
// state, and ErrMalformed when the stored registration does not decode or a
// message would not be valid.
func Redrive(rec Record, in Recovery, lim Limits, now time.Time) (RedrivePlan, error) {
	if !IsWatched(rec.Kind, rec.State) {
		return RedrivePlan{}, fmt.Errorf("redrive %s %s in %s: %w", rec.Kind, rec.ID, rec.State, ErrNotWaiting)
	}
	r := &redriver{rec: rec, now: now, outcome: OutcomeIdle, maxBacklog: lim.MaxBacklog}
	r.reconcile(in)
	plan := RedrivePlan{Outcome: r.outcome, Emit: r.emit, Replayed: r.replayed, Redrives: rec.Redrives, Checks: rec.Checks,
		Commands: r.commands}
	switch plan.Outcome {
	case OutcomeResent:
		// The downstream starts over on what was sent again: so does the
		// SLA its checks measure. Re-sends are bounded by MaxRedrives.
		plan.Redrives++
		plan.Checks = 0
	case OutcomeIdle:
		plan.Redrives++
	case OutcomeRecovered, OutcomeChecked:
		plan.Checks++
	}
	if plan.Redrives > lim.MaxRedrives || plan.Checks > lim.MaxChecks {
		r.emit, r.replayed = nil, nil
		r.send(ToEvents, failedEvents[rec.Kind], rec.ID, TimeoutReason)
		plan.Outcome, plan.Emit, plan.Replayed, plan.Commands = OutcomeGaveUp, r.emit, nil, nil
	}
	if r.err != nil {
		return RedrivePlan{}, fmt.Errorf("%w: redrive %s %s in %s: %v", ErrMalformed, rec.Kind, rec.ID, rec.State, r.err)
	}
	return plan, nil
}

// redriver builds the messages of one re-drive.
type redriver struct {
	rec      Record
	now      time.Time
	outcome  RedriveOutcome
	emit     []Outgoing
	replayed []string
	commands map[Destination]CommandRef // commands sent again
	err      error                      // first encoding or validation error

	maxBacklog time.Duration
}

// found raises the re-drive's outcome to o if o ranks higher.
func (r *redriver) found(o RedriveOutcome) {
	if outcomeRank[o] > outcomeRank[r.outcome] {
		r.outcome = o
	}
}

// reconcile plans the re-drive of a record that has no outbox to replay, or
// replays its outbox.
func (r *redriver) reconcile(in Recovery) {
	rec := r.rec
	if len(rec.Outbox) > 0 {
		// Written and never sent (a follow-up whose causing event was
		// dead-lettered after the write): sent with their own ids.
		for _, id := range sortedKeys(rec.Outbox) {
			r.emit = append(r.emit, rec.Outbox[id]...)
			r.replayed = append(r.replayed, id)
		}
		r.found(OutcomeRecovered)
		return
	}
	switch {
	case rec.Kind == KindCampaign && rec.State == Pending:
		// The brand decides; an exhausted deferral no longer strands it.
		r.send(ToEvents, CampaignSubmit, rec.ID, Empty{})
		r.found(OutcomeWaiting)
	case rec.Kind == KindCampaign && rec.State == Approved:
		r.send(ToEvents, CampaignNumbersRequested, rec.ID, Empty{})
		r.found(OutcomeResent)
	case rec.Kind == KindCampaign && rec.State == NumbersPending:
		for _, n := range RedriveNumbers(rec) {
			r.settle(n, in.Numbers[n])
		}
	default:
		for _, l := range Lookups(rec) {
			r.observe(l, in)
		}
	}
}

// observe acts on the downstream's answer to one look-up.
func (r *redriver) observe(l Lookup, in Recovery) {
	i := slices.IndexFunc(in.Observations, func(o Observation) bool { return o.Lookup == l })
	found := i >= 0 && in.Observations[i].Found
	switch {
	case i < 0:
		r.found(OutcomeBacklog) // not asked or not answered: try again on the next sweep
	case !found && Queued(r.rec, l.To) && in.Busy[l.To] &&
		(r.maxBacklog == 0 || r.now.Sub(r.rec.Commands[l.To].SentAt) < r.maxBacklog):
		r.found(OutcomeBacklog)
	case !found:
		r.resend(l.To)
		r.found(OutcomeResent)
	default:
		// The decisions the record missed, with the downstream's event ids:
		// a late webhook of the same decision is then a duplicate.
		missed := false
		for _, e := range in.Observations[i].Events {
			if r.takes(e) {
				r.emit = append(r.emit, Outgoing{To: ToEvents, Envelope: e})
				missed = true
			}
		}
		switch {
		case missed:
			r.found(OutcomeRecovered)
		case l.To == ToTemporal:
			// The delegated step's workflow is deciding: it keeps the
			// step's SLA and reports its own give-up (campaign.failed),
			// so the record waits for it rather than count checks towards
			// a 30901 of its own that the workflow's answer would come after.
			r.found(OutcomeWaiting)
		default:
			r.found(OutcomeChecked)
		}
	}
}

// takes reports whether the record would still act on event e: not applied
// already, and not ignored in its state.
func (r *redriver) takes(e Envelope) bool {
	if e.EntityID != r.rec.ID || e.Type.Kind() != r.rec.Kind || slices.Contains(r.rec.Applied, e.EventID) {
		return false
	}
	cell, err := CellFor(r.rec.Flow, r.rec.Kind, r.rec.State, e.Type)
	return err == nil && cell.Disposition != Ignore
}

// resend emits the command for downstream to that the record waits on: as
// it was (same event id, so the same idempotency key) when the downstream
// never accepted it (calls with it failed, or it sat in its queue past the
// backlog bound), under a new id otherwise.
func (r *redriver) resend(to Destination) {
	rec := r.rec
	n := len(r.emit)
	defer func() {
		if r.err != nil || len(r.emit) == n {
			return
		}
		out := &r.emit[n]
		if ref, ok := rec.Commands[to]; ok && ref.AcceptedAt.IsZero() &&
			!ref.SentAt.Before(rec.StateEnteredAt) && slices.Contains(awaitsAcceptance[rec.Kind], rec.State) {
			out.Envelope.EventID = ref.EventID
		}
		r.commands = setCommand(r.commands, to, CommandRef{EventID: out.Envelope.EventID, SentAt: r.now})
	}()
	switch {
	case rec.Kind == KindBrand && rec.State == Vetting:
		r.send(ToRegistry, CmdRevetBrand, rec.ID, Empty{})
	case rec.Kind == KindBrand: // PENDING, SUBMITTED
		r.send(ToRegistry, CmdSubmitBrand, rec.ID, rec.Data)
	case rec.Kind == KindCampaign && rec.State == CarrierReview:
		r.send(to, CmdCarrierSubmit, rec.ID, CarrierUpdate{Carrier: Carrier(to)})
	case rec.Kind == KindCampaign && rec.State == EvidenceReview:
		reg, err := DecodePayload[CampaignRegistration](rec.Data)
		if err != nil {
			r.err = err
			return
		}
		if ev := evidenceOf(reg); Delegated(rec) {
			r.send(ToTemporal, CmdDelegateEvidence, rec.ID, DelegatedEvidence{CampaignID: rec.ID, Evidence: ev})
		} else {
			r.send(ToRegistry, CmdSubmitEvidence, rec.ID, ev)
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
		r.found(OutcomeResent)
	case num.ParentID != r.rec.ID:
		// Registered to another campaign: this campaign can never have it.
		r.send(ToEvents, CampaignNumberSettled, r.rec.ID, NumberSettled{Number: n, Status: NumberFailedStatus, Code: CodeNumberTaken})
		r.found(OutcomeRecovered)
	case num.State == Registered:
		r.send(ToEvents, CampaignNumberSettled, r.rec.ID, NumberSettled{Number: n, Status: NumberRegisteredStatus})
		r.found(OutcomeRecovered)
	case num.State == Failed:
		s := NumberSettled{Number: n, Status: NumberFailedStatus}
		if num.Reason != nil {
			s.Code = num.Reason.Code
		}
		r.send(ToEvents, CampaignNumberSettled, r.rec.ID, s)
		r.found(OutcomeRecovered)
	default: // still registering: its own record is swept
		r.found(OutcomeWaiting)
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
// wait start, counters) and the message (position, type, entity).
func (r *redriver) eventID(t EventType, entity string) string {
	sum := sha256.Sum256([]byte("redrive|" + string(r.rec.Kind) + "|" + r.rec.ID + "|" +
		strconv.FormatInt(r.rec.StateEnteredAt.UnixNano(), 10) + "|" + strconv.FormatInt(r.rec.WaitSince.UnixNano(), 10) + "|" +
		strconv.Itoa(r.rec.Redrives) + "|" +
		strconv.Itoa(r.rec.Checks) + "|" + strconv.Itoa(len(r.emit)) + "|" + string(t) + "|" + entity))
	return hex.EncodeToString(sum[:16])
}
