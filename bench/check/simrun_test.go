package check

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// simRun is a tiny regd and carriersim in one, to make the checker's
// fixtures: it feeds events through statemachine.Decide as the dispatcher
// does, writes records and audit items as the store does (a version per
// write, and one more without an audit item when it clears an outbox), and
// plays the downstreams as carriersim does, journaling the requests they
// received and the webhooks they sent. A clean fixture is thus a run the real
// state machine made, and a planted fault is one change to it.
type simRun struct {
	tb      testing.TB
	now     time.Time
	records map[recordKey]*statemachine.Record
	audit   []statemachine.AuditEntry
	journal tcrsim.Journal

	world fixtureWorld
	queue []queued       // events and commands, first in first out
	later []func()       // the sweeper's recoveries, after the queue drained
	tries map[string]int // requests per endpoint and record so far
	keys  map[string]int // new keys a re-drive made, per command
	hooks int            // webhook events so far: their ids
}

type queued struct {
	out     statemachine.Outgoing
	attempt int
}

// fixtureWorld is what the simulated downstreams decide and which faults
// strike, by record.
type fixtureWorld struct {
	flow                   statemachine.Flow                     // regd's: the flow the records start on
	evidenceReject         map[string]bool                       // campaigns whose opt-in evidence the registry rejects (flow v2)
	unverified, invalidEIN map[string]bool                       // brands
	highRisk, reviewReject map[string]bool                       // campaigns
	carrierReject          map[string]statemachine.Carrier       // campaign -> the carrier that rejects it
	failNumber             map[string]bool                       // numbers
	lose                   map[string]bool                       // "<group> <record>": the first request is lost
	resend                 map[string]bool                       // ... and the sweeper re-sends it under a new key
	drop                   map[string]bool                       // "<record> <webhook type> [<mno>]": dropped ...
	strand                 map[string]bool                       // ... and never recovered
	duplicate, reorder     map[string]bool                       // "<record> <webhook type> [<mno>]"
	repeat                 map[string]bool                       // "<group> <record>": the command is sent twice, same key
	giveUp                 map[statemachine.Kind]map[string]bool // records the sweeper gives up on once the queue drained
}

// step is the time one processed message takes: at most one request per
// step keeps every group under the fixture's rate of 10 per second.
const step = 150 * time.Millisecond

// fixtureRates are regd's rates in the fixtures.
var fixtureRates = map[string]float64{"registry": 10, "att": 10, "tmobile": 10, "verizon": 10, "numbers": 10}

func newSimRun(tb testing.TB, w fixtureWorld) *simRun {
	return &simRun{tb: tb, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), records: map[recordKey]*statemachine.Record{},
		world: w, tries: map[string]int{}, keys: map[string]int{}}
}

// input is the run's records, audit and journal, ready for check.
func (f *simRun) input() Input {
	in := Input{Journal: f.journal, Rates: fixtureRates}
	for _, r := range f.records {
		in.Records = append(in.Records, *r)
	}
	slices.SortFunc(in.Records, func(a, b statemachine.Record) int {
		return cmp.Or(cmp.Compare(slices.Index(statemachine.Kinds, a.Kind), slices.Index(statemachine.Kinds, b.Kind)), cmp.Compare(a.ID, b.ID))
	})
	// As the store's Dump orders them: by kind, record and version.
	in.Audit = slices.Clone(f.audit)
	slices.SortStableFunc(in.Audit, func(a, b statemachine.AuditEntry) int {
		return cmp.Or(cmp.Compare(slices.Index(statemachine.Kinds, a.Kind), slices.Index(statemachine.Kinds, b.Kind)),
			cmp.Compare(a.RecordID, b.RecordID), statemachine.CompareAudit(a, b))
	})
	return in
}

// produce sends a producer's registration.
func (f *simRun) produce(t statemachine.EventType, id string, p any) {
	raw, err := json.Marshal(p)
	if err != nil {
		f.tb.Fatal(err)
	}
	f.enqueue(statemachine.Outgoing{To: statemachine.ToEvents, Envelope: statemachine.Envelope{Type: t,
		SchemaVersion: statemachine.SchemaVersion, EventID: "producer-" + id, EntityID: id, OccurredAt: f.now,
		CorrelationID: "regbench-" + id, Actor: "regbench", Payload: raw}})
}

func (f *simRun) enqueue(out ...statemachine.Outgoing) {
	for _, o := range out {
		f.queue = append(f.queue, queued{out: o})
	}
}

// run processes the queue until it drains, then the sweeper's recoveries and
// give-ups, until nothing is left.
func (f *simRun) run() {
	for range 100 {
		for len(f.queue) > 0 {
			q := f.queue[0]
			f.queue = f.queue[1:]
			f.now = f.now.Add(step)
			if q.out.To == statemachine.ToEvents {
				f.apply(q)
			} else {
				f.call(q.out.To, q.out.Envelope)
			}
		}
		if len(f.later) == 0 {
			f.sweepGiveUps()
			if len(f.queue) == 0 {
				return
			}
			continue
		}
		later := f.later
		f.later = nil
		for _, l := range later {
			f.now = f.now.Add(step)
			l()
		}
	}
	f.tb.Fatal("the fixture run did not settle")
}

// apply decides an event as the dispatcher does and writes what it decides.
func (f *simRun) apply(q queued) {
	env := q.out.Envelope
	k := recordKey{env.Type.Kind(), env.EntityID}
	rec := f.records[k]
	facts := statemachine.Facts{Flow: f.world.flow}
	if statemachine.NeedsBrand(env.Type) && rec != nil {
		facts.Brand = f.records[recordKey{statemachine.KindBrand, rec.ParentID}]
	}
	if statemachine.NeedsChildren(env.Type) {
		for _, r := range f.records {
			if r.Kind == statemachine.KindCampaign && r.ParentID == env.EntityID && r.State == statemachine.Pending {
				facts.PendingCampaigns = append(facts.PendingCampaigns, r.ID)
			}
		}
	}
	d, err := statemachine.Decide(rec, env, facts, f.now)
	if err != nil {
		f.tb.Fatalf("decide %s for %s: %v", env.Type, k, err)
	}
	switch d.Disposition {
	case statemachine.Defer:
		if q.attempt < 20 {
			f.queue = append(f.queue, queued{out: q.out, attempt: q.attempt + 1})
		}
		return
	case statemachine.Transition:
	default:
		return
	}
	next := d.Next
	next.Version = 1
	switch {
	case d.Note != nil:
		// As the store writes a note: the entry and the applied id, no version.
		next.Version, next.Applied = rec.Version, append(slices.Clone(rec.Applied), d.Note.ID)
	case rec != nil:
		next.Version = rec.Version + 1
	}
	a := d.Audit
	a.Kind, a.RecordID, a.Version, a.Note = next.Kind, next.ID, next.Version, d.Note != nil
	f.audit = append(f.audit, a)
	if len(d.Emit) > 0 {
		// Sent, then cleared: a write without an audit item.
		delete(next.Outbox, env.EventID)
		if len(next.Outbox) == 0 {
			next.Outbox = nil
		}
		next.Version++
	}
	f.records[k] = &next
	f.enqueue(d.Emit...)
}

// call plays the downstream that cmd goes to: the request, its synchronous
// answer (an event for the events queue) and the webhooks it plans.
func (f *simRun) call(to statemachine.Destination, cmd statemachine.Envelope) {
	id := cmd.EntityID
	group := tcrsim.Group(to)
	place := string(group) + " " + id
	try := place + " " + string(cmd.Type) // an endpoint of the group
	f.tries[try]++
	req := tcrsim.JournalRequest{At: f.now, Group: group, RecordID: id, Key: cmd.EventID, Outcome: tcrsim.OutcomeDecided}
	if f.tries[try] > 1 {
		req.Outcome = tcrsim.OutcomeResubmitted
	}
	var hooks []tcr.WebhookEvent
	status, code := 201, 0
	switch cmd.Type {
	case statemachine.CmdSubmitBrand:
		req.Endpoint = endpointSubmitBrand
		e := tcr.WebhookEvent{EventType: tcr.EventBrandIdentityStatusUpdate, BrandID: id, BrandIdentityStatus: tcr.IdentityVerified}
		switch {
		case f.world.invalidEIN[id]:
			status, code = 400, statemachine.CodeInvalidEIN
		case f.world.unverified[id]:
			e.BrandIdentityStatus, e.Code = tcr.IdentityUnverified, statemachine.CodeInvalidEIN
			hooks = append(hooks, e)
		default:
			hooks = append(hooks, e)
		}
	case statemachine.CmdSubmitCampaign:
		req.Endpoint = endpointSubmitCampaign
		if f.world.highRisk[id] {
			status, code = 400, statemachine.CodeHighRisk
			break
		}
		review := tcr.WebhookEvent{EventType: tcr.EventCampaignShareAccept, CampaignID: id}
		if f.world.reviewReject[id] {
			review.EventType, review.Code = tcr.EventCampaignShareDelete, statemachine.CodeSampleMismatch
		}
		hooks = append(hooks, tcr.WebhookEvent{EventType: tcr.EventCampaignAdd, CampaignID: id}, review)
	case statemachine.CmdSubmitEvidence:
		req.Endpoint, status = endpointSubmitEvidence, 202
		e := tcr.WebhookEvent{EventType: tcr.EventCampaignEvidenceApproved, CampaignID: id}
		if f.world.evidenceReject[id] {
			e.EventType, e.Code = tcr.EventCampaignEvidenceRejected, statemachine.CodeOptInUnverified
		}
		hooks = append(hooks, e)
	case statemachine.CmdCarrierSubmit:
		c := statemachine.Carrier(to)
		req.Endpoint, status = endpointCarrier(c), 202
		mno := tcr.WebhookEvent{CampaignID: id, MNOID: c.MNOID(), MNOName: tcr.MNOName(c)}
		review, verdict := mno, mno
		review.EventType, verdict.EventType = tcr.EventMNOReview, tcr.EventMNOApproved
		if f.world.carrierReject[id] == c {
			verdict.EventType, verdict.Code = tcr.EventMNORejected, statemachine.CodeCarrierRejection
		}
		hooks = append(hooks, review, verdict)
	case statemachine.CmdRegisterNumber:
		req.Endpoint, status = endpointRegisterNumber, 202
		e := tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, Number: id, NumberStatus: tcr.NumberRegistered}
		if f.world.failNumber[id] {
			e.NumberStatus = tcr.NumberFailed
		}
		hooks = append(hooks, e)
	default:
		f.tb.Fatalf("the fixture plays no downstream of %s", cmd.Type)
	}
	req.Status, req.Code = status, code
	lost := status < 300 && f.world.lose[place] && f.tries[try] == 1
	if lost {
		req.Outcome = tcrsim.OutcomeLost
		hooks = nil
	}
	f.journal.Requests = append(f.journal.Requests, req)
	if status >= 400 {
		if ans, ok := statemachine.Refused(cmd, code, "refused", statemachine.Actor, f.now); ok {
			f.enqueue(statemachine.Outgoing{To: statemachine.ToEvents, Envelope: ans})
		}
	} else if ans, ok := statemachine.Accepted(cmd, "X"+id, statemachine.Actor, f.now); ok {
		f.enqueue(statemachine.Outgoing{To: statemachine.ToEvents, Envelope: ans})
	}
	if lost && f.world.resend[place] {
		f.later = append(f.later, func() { f.resend(req, cmd) })
	}
	var sent []tcr.WebhookEvent
	for _, e := range hooks {
		f.hooks++
		e.EventID = fmt.Sprintf("wh%04d", f.hooks)
		e.Timestamp = f.now.Add(time.Duration(len(sent)+1) * time.Millisecond)
		sent = append(sent, e)
	}
	f.deliver(sent)
	if f.world.repeat[place] && f.tries[try] == 1 {
		// A duplicate send of the command: the same key, answered from
		// memory, its webhooks replayed under their ids.
		f.now = f.now.Add(step)
		rep := req
		rep.At, rep.Outcome = f.now, tcrsim.OutcomeRepeated
		f.journal.Requests = append(f.journal.Requests, rep)
		f.deliver(sent)
	}
}

// deliver sends webhooks in order (a reordered one after the others), with
// their faults, and queues their events.
func (f *simRun) deliver(hooks []tcr.WebhookEvent) {
	slices.SortStableFunc(hooks, func(a, b tcr.WebhookEvent) int {
		ra, rb := f.world.reorder[hookKey(a)], f.world.reorder[hookKey(b)]
		switch {
		case ra && !rb:
			return 1
		case rb && !ra:
			return -1
		}
		return 0
	})
	for _, e := range hooks {
		k := hookKey(e)
		if f.world.drop[k] {
			f.journal.Webhooks = append(f.journal.Webhooks, tcrsim.JournalWebhook{At: f.now, Event: e, Delivery: tcrsim.DeliveryDropped})
			if !f.world.strand[k] {
				f.later = append(f.later, func() { f.recover(e) })
			}
			continue
		}
		f.journal.Webhooks = append(f.journal.Webhooks, tcrsim.JournalWebhook{At: f.now, Event: e, Delivery: tcrsim.DeliveryDelivered, Status: 202})
		f.translate(e)
		if f.world.duplicate[k] {
			f.journal.Webhooks = append(f.journal.Webhooks, tcrsim.JournalWebhook{At: f.now, Event: e, Delivery: tcrsim.DeliveryDuplicate, Status: 202})
			f.translate(e)
		}
	}
}

// translate queues the events of webhook e, as the webhook shim does.
func (f *simRun) translate(e tcr.WebhookEvent) {
	envs, err := tcr.Translate(e)
	if err != nil {
		f.tb.Fatal(err)
	}
	for _, env := range envs {
		f.enqueue(statemachine.Outgoing{To: statemachine.ToEvents, Envelope: env})
	}
}

// recover is the sweeper finding a dropped webhook's decision by a status
// look-up and sending its event, under the webhook's own id.
func (f *simRun) recover(e tcr.WebhookEvent) {
	kind, id := about(e)
	group, endpoint := tcrsim.GroupRegistry, "GET /registry/campaigns/{id}"
	switch {
	case e.MNOID != 0:
		c, _ := statemachine.CarrierByMNOID(e.MNOID)
		group, endpoint = tcrsim.Group(c), "GET /carriers/"+string(c)+"/campaigns/{id}"
	case kind == statemachine.KindNumber:
		group, endpoint = tcrsim.GroupNumbers, "GET /numbers/{id}"
	case kind == statemachine.KindBrand:
		endpoint = "GET /registry/brands/{id}"
	}
	f.journal.Requests = append(f.journal.Requests, tcrsim.JournalRequest{At: f.now, Endpoint: endpoint, Group: group,
		RecordID: id, Outcome: tcrsim.OutcomeFound, Status: 200})
	f.translate(e)
}

// resend is the sweeper finding that a downstream has no record of a lost
// request (404) and sending the command again under a new key.
func (f *simRun) resend(lost tcrsim.JournalRequest, cmd statemachine.Envelope) {
	f.journal.Requests = append(f.journal.Requests, tcrsim.JournalRequest{At: f.now, Endpoint: "GET" + strings.TrimPrefix(lost.Endpoint, "POST"), Group: lost.Group,
		RecordID: lost.RecordID, Outcome: tcrsim.OutcomeNotFound, Status: 404})
	f.keys[cmd.EventID]++
	again := cmd
	again.EventID = fmt.Sprintf("%s-redrive%d", cmd.EventID, f.keys[cmd.EventID])
	again.Actor = statemachine.SweeperActor
	f.queue = append(f.queue, queued{out: statemachine.Outgoing{To: statemachine.Destination(lost.Group), Envelope: again}})
}

// sweepGiveUps is the sweeper giving up on the records it was told to: their
// <kind>.failed event with the timeout reason.
func (f *simRun) sweepGiveUps() {
	failed := map[statemachine.Kind]statemachine.EventType{statemachine.KindBrand: statemachine.BrandFailed,
		statemachine.KindCampaign: statemachine.CampaignFailed, statemachine.KindNumber: statemachine.NumberFailed}
	for kind, ids := range f.world.giveUp {
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			rec := f.records[recordKey{kind, id}]
			if rec == nil || statemachine.IsTerminal(kind, rec.State) {
				continue
			}
			raw, _ := json.Marshal(statemachine.TimeoutReason)
			f.enqueue(statemachine.Outgoing{To: statemachine.ToEvents, Envelope: statemachine.Envelope{Type: failed[kind],
				SchemaVersion: statemachine.SchemaVersion, EventID: "giveup-" + id, EntityID: id, OccurredAt: f.now,
				Actor: statemachine.SweeperActor, Payload: raw}})
		}
	}
}

// hookKey names a webhook for the fixture's faults: "<record> <type>", and
// " <mno id>" for a carrier's.
func hookKey(e tcr.WebhookEvent) string {
	_, id := about(e)
	k := id + " " + string(e.EventType)
	if e.MNOID != 0 {
		k += fmt.Sprintf(" %d", e.MNOID)
	}
	return k
}
