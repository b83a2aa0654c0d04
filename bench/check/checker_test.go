package check

import (
	"errors"
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

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// cleanWorld is a run with an end of every kind and the faults the system
// must absorb: a brand UNVERIFIED and one refused (invalid EIN), a campaign
// rejected by the reviewer, one refused as high risk, one rejected by a
// carrier, one given up on because a carrier never answered (its request was
// lost and never re-sent), a number that failed; a dropped approval the
// sweeper recovers, a lost number registration it sends again under a new
// key, duplicated and reordered webhooks, and a command sent twice.
func cleanWorld() fixtureWorld {
	return fixtureWorld{
		unverified: set("brand-1"), invalidEIN: set("brand-2"),
		reviewReject: set("campaign-3"), highRisk: set("campaign-4"),
		carrierReject: map[string]statemachine.Carrier{"campaign-5": statemachine.CarrierATT},
		failNumber:    set("+12020000002"),
		lose:          set("numbers +12020000001", "verizon campaign-6"),
		resend:        set("numbers +12020000001"),
		drop:          set("campaign-0 MNO_CAMPAIGN_OPERATION_APPROVED 10017"),
		duplicate:     set("campaign-0 MNO_CAMPAIGN_OPERATION_REVIEW 10035", "brand-0 BRAND_IDENTITY_STATUS_UPDATE"),
		reorder:       set("campaign-0 MNO_CAMPAIGN_OPERATION_REVIEW 10038"),
		repeat:        set("registry campaign-0"),
		giveUp:        map[statemachine.Kind]map[string]bool{statemachine.KindCampaign: set("campaign-6")},
	}
}

// runWorld registers 4 brands and 7 campaigns in w and runs them to the end.
func runWorld(tb testing.TB, w fixtureWorld) *simRun {
	tb.Helper()
	f := newSimRun(tb, w)
	for i := range 4 {
		f.produce(statemachine.BrandRegister, fmt.Sprintf("brand-%d", i), statemachine.BrandRegistration{
			LegalName: fmt.Sprintf("Acme %d LLC", i), EIN: fmt.Sprintf("12-345678%d", i), Email: "ops@acme.test", EntityType: "PRIVATE_PROFIT"})
	}
	brands := []string{"brand-0", "brand-1", "brand-2", "brand-0", "brand-0", "brand-3", "brand-3"}
	number := 1
	for i, b := range brands {
		reg := statemachine.CampaignRegistration{BrandID: b, UseCase: "2FA", Description: "codes", SampleMessages: []string{"Your code is 1"}}
		for range 1 + boolInt(i == 0) {
			reg.Numbers = append(reg.Numbers, fmt.Sprintf("+1202%07d", number))
			number++
		}
		f.produce(statemachine.CampaignRegister, fmt.Sprintf("campaign-%d", i), reg)
	}
	f.run()
	return f
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rulesOf returns the rules res found violated, sorted.
func rulesOf(res Result) []string {
	seen := map[string]bool{}
	for _, v := range res.Violations {
		seen[v.Rule] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

func describe(res Result) string {
	var b strings.Builder
	res.WriteMarkdown(&b, -1)
	return b.String()
}

// checkEnds checks that each record want names ended in the state (and
// reason code) it gives: "REJECTED 30893".
func checkEnds(tb testing.TB, in Input, want map[string]string) {
	tb.Helper()
	for _, r := range in.Records {
		got := string(r.State)
		if r.Reason != nil && r.Reason.Code != 0 {
			got += fmt.Sprint(" ", r.Reason.Code)
		}
		if w, ok := want[r.ID]; ok && got != w {
			tb.Errorf("%s %s ended %s, want %s", r.Kind, r.ID, got, w)
		}
	}
}

func TestCheckPassesACleanRun(t *testing.T) {
	f := runWorld(t, cleanWorld())
	in := f.input()
	res := check(in)
	if !res.Passed || res.Error != "" {
		t.Fatalf("the clean run did not pass:\n%s", describe(res))
	}
	// The fixture is the run it claims to be: every end, and every fault
	// the rules must tell from a violation.
	want := map[string]string{
		"campaign-0": "ACTIVE", "campaign-1": "REJECTED 30795", "campaign-2": "REJECTED 30795", "campaign-3": "REJECTED 30893",
		"campaign-4": "REJECTED 30885", "campaign-5": "REJECTED 30899", "campaign-6": "FAILED 30901",
		"brand-0": "VERIFIED", "brand-1": "UNVERIFIED 30795", "brand-2": "FAILED 30795", "brand-3": "VERIFIED",
		"+12020000001": "REGISTERED", "+12020000002": "FAILED",
	}
	checkEnds(t, in, want)
	if got, want := len(in.Records), 4+7+2; got != want {
		t.Errorf("%d records, want %d", got, want)
	}
	gaps := 0
	for i := 1; i < len(in.Audit); i++ {
		if a, b := in.Audit[i-1], in.Audit[i]; a.RecordID == b.RecordID && b.Version > a.Version+1 {
			gaps++
		}
	}
	figures := []struct {
		name string
		got  int
		ok   bool
	}{
		{"version gaps (cleared outboxes)", gaps, gaps > 0},
		{"webhook events applied", res.Webhooks.Applied, res.Webhooks.Applied > 0},
		{"webhook events stale in the final state", res.Webhooks.Ignorable, res.Webhooks.Ignorable > 0},
		{"webhooks dropped", res.Webhooks.Deliveries[tcrsim.DeliveryDropped], res.Webhooks.Deliveries[tcrsim.DeliveryDropped] == 1},
		{"webhooks duplicated", res.Webhooks.Deliveries[tcrsim.DeliveryDuplicate], res.Webhooks.Deliveries[tcrsim.DeliveryDuplicate] == 2},
		{"requests resubmitted after a loss", res.Requests.ResubmittedAfterLoss, res.Requests.ResubmittedAfterLoss == 1},
		{"requests repeated", res.Requests.Repeated, res.Requests.Repeated == 1},
		{"records never answered", res.World.Unanswered, res.World.Unanswered == 1},
		{"settled records", res.World.Settled, res.World.Settled == len(in.Records)},
	}
	for _, fg := range figures {
		if !fg.ok {
			t.Errorf("%s: %d", fg.name, fg.got)
		}
	}
	for _, r := range res.Rules {
		if r.Checked == 0 {
			t.Errorf("rule %s checked nothing", r.Rule)
		}
	}
}

// auditIndex returns the index in in.Audit of the first entry of record id
// that match accepts, failing tb when there is none.
func auditIndex(tb testing.TB, in Input, id string, match func(statemachine.AuditEntry) bool) int {
	tb.Helper()
	for i, a := range in.Audit {
		if a.RecordID == id && match(a) {
			return i
		}
	}
	tb.Fatalf("no audit entry of %s to plant the fault in", id)
	return -1
}

// record returns in's record id.
func recordIn(tb testing.TB, in Input, id string) *statemachine.Record {
	tb.Helper()
	for i := range in.Records {
		if in.Records[i].ID == id {
			return &in.Records[i]
		}
	}
	tb.Fatalf("no record %s", id)
	return nil
}

// webhookID returns the message id the event of the journal's webhook that
// match accepts translates to.
func webhookID(tb testing.TB, in Input, match func(tcr.WebhookEvent) bool) string {
	tb.Helper()
	for _, w := range in.Journal.Webhooks {
		if match(w.Event) {
			envs, err := tcr.Translate(w.Event)
			if err != nil || len(envs) != 1 {
				tb.Fatalf("translate %+v: %v %v", w.Event, envs, err)
			}
			return envs[0].EventID
		}
	}
	tb.Fatal("no such webhook in the journal")
	return ""
}

func event(t statemachine.EventType) func(statemachine.AuditEntry) bool {
	return func(a statemachine.AuditEntry) bool { return a.Event == t }
}

// lastRequestAt is the time of the journal's last request.
func lastRequestAt(in Input) time.Time {
	return in.Journal.Requests[len(in.Journal.Requests)-1].At
}

// TestCheckToleratesArrivalJitter: regd's limiter spaced AT&T's look-ups
// by its slots (1.2/rate apart, rate 5) for twenty seconds, and scheduling
// let one of them go 300 ms late, into its successor's second: 6 arrivals
// within one second at a rate of 5. regd kept its schedule, and the check
// passes, reporting the bunching as a figure.
// On flow v2 every campaign the reviewer approved goes through the
// registry's review of its opt-in evidence: a rejected one ends REJECTED
// 30909 and the world rule agrees; the others end as on v1.
func TestCheckPassesAFlowV2Run(t *testing.T) {
	w := cleanWorld()
	w.flow = statemachine.FlowV2
	w.evidenceReject = set("campaign-5")
	f := runWorld(t, w)
	in := f.input()
	res := check(in)
	if !res.Passed || res.Error != "" {
		t.Fatalf("the flow v2 run did not pass:\n%s", describe(res))
	}
	want := map[string]string{
		"campaign-0": "ACTIVE", "campaign-3": "REJECTED 30893", "campaign-4": "REJECTED 30885",
		"campaign-5": "REJECTED 30909", "campaign-6": "FAILED 30901",
	}
	checkEnds(t, in, want)
	for _, r := range in.Records {
		if r.Kind == statemachine.KindCampaign && r.Flow != statemachine.FlowV2 {
			t.Errorf("campaign %s on flow %v, want v2", r.ID, r.Flow)
		}
	}
	if i := auditIndex(t, in, "campaign-0", event(statemachine.CampaignEvidenceApproved)); in.Audit[i].From != statemachine.EvidenceReview ||
		in.Audit[i].To != statemachine.CarrierReview {
		t.Errorf("campaign-0's evidence approval moved %s to %s, want EVIDENCE_REVIEW to CARRIER_REVIEW", in.Audit[i].From, in.Audit[i].To)
	}
}

func TestCheckToleratesArrivalJitter(t *testing.T) {
	in := runWorld(t, cleanWorld()).input()
	in.Rates = maps.Clone(in.Rates)
	in.Rates["att"] = 5
	at := lastRequestAt(in).Add(time.Minute)
	const slot = 240 * time.Millisecond
	for i := range 84 {
		arrived := at.Add(time.Duration(i) * slot)
		if i == 40 {
			arrived = arrived.Add(300 * time.Millisecond)
		}
		in.Journal.Requests = append(in.Journal.Requests, tcrsim.JournalRequest{At: arrived,
			Endpoint: "GET /carriers/att/campaigns/{id}", Group: "att", RecordID: "campaign-0", Outcome: tcrsim.OutcomeFound, Status: 200})
	}
	res := check(in)
	if !res.Passed {
		t.Fatalf("jitter of one request failed the check:\n%s", describe(res))
	}
	for _, f := range res.Rates {
		if f.Group == "att" && (f.MaxPerSecond != 6 || f.MaxPerWindow > 50) {
			t.Errorf("att's busiest second %d (want 6), busiest ten seconds %d (want at most 50)", f.MaxPerSecond, f.MaxPerWindow)
		}
	}
}

// TestCheckCatchesPlantedFaults plants one fault each in the clean run, and
// wants it caught by its rule, on its record, and by no other rule.
func TestCheckCatchesPlantedFaults(t *testing.T) {
	tests := []struct {
		name   string
		world  func(*fixtureWorld) // changes the simulated run
		plant  func(testing.TB, *Input)
		rule   string
		record string // "" for a fault of no record
		says   string // in the violation's problem
		also   func(testing.TB, Result)
	}{
		{
			name: "a skipped write that breaks the chain",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignReviewApproved))
				in.Audit = slices.Delete(in.Audit, i, i+1)
			},
			rule: ruleHistory, record: "campaign-0", says: "broken chain",
		},
		{
			name: "an event applied twice",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignCarrierReview))
				again := in.Audit[i]
				for j := i + 1; j < len(in.Audit) && in.Audit[j].RecordID == "campaign-0"; j++ {
					in.Audit[j].Version++
				}
				again.Version++
				in.Audit = slices.Insert(in.Audit, i+1, again)
				recordIn(tb, *in, "campaign-0").Version++
			},
			rule: ruleHistory, record: "campaign-0", says: "applied twice",
		},
		{
			name: "a versioned write on a note's version",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignCarrierReview))
				if !in.Audit[i].Note || in.Audit[i-1].Version != in.Audit[i].Version && in.Audit[i+1].Version != in.Audit[i].Version {
					tb.Fatalf("the fixture's carrier review is not a note beside another entry of its version: %+v", in.Audit[i-1:i+2])
				}
				for j := range in.Audit {
					if in.Audit[j].RecordID == "campaign-0" {
						in.Audit[j].Note = false
					}
				}
			},
			rule: ruleHistory, record: "campaign-0", says: "does not increase",
		},
		{
			name: "an event written as a note that must make a version",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignCarrierReview))
				in.Audit[i].Event = statemachine.CampaignCarrierUnsuspended
			},
			rule: ruleHistory, record: "campaign-0", says: "written as a note",
		},
		{
			name: "a note that creates its record",
			plant: func(tb testing.TB, in *Input) {
				in.Audit[auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignRegister))].Note = true
			},
			rule: ruleHistory, record: "campaign-0", says: "a note creates the record",
		},
		{
			name: "an event that is no transition in its source state",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-3", event(statemachine.CampaignReviewRejected))
				in.Audit[i].Event = statemachine.CampaignCarrierRejected // IN_REVIEW defers it
			},
			rule: ruleHistory, record: "campaign-3", says: "is not a transition in IN_REVIEW",
		},
		{
			name: "a move to a destination the table does not have",
			plant: func(tb testing.TB, in *Input) {
				i := auditIndex(tb, *in, "campaign-0", event(statemachine.CampaignCarrierReview))
				in.Audit[i].To = statemachine.Approved
				in.Audit[i+1].From = statemachine.Approved
			},
			rule: ruleHistory, record: "campaign-0", says: "has no move",
		},
		{
			name: "an orphan registration",
			plant: func(tb testing.TB, in *Input) {
				in.Journal.Requests = append(in.Journal.Requests, tcrsim.JournalRequest{At: lastRequestAt(*in).Add(time.Second),
					Endpoint: endpointSubmitCampaign, Group: "registry", RecordID: "campaign-99", Key: "k-orphan",
					Outcome: tcrsim.OutcomeDecided, Status: 201})
			},
			rule: ruleRequests, record: "campaign-99", says: "orphan registration",
		},
		{
			name: "a resubmission without a loss",
			plant: func(tb testing.TB, in *Input) {
				in.Journal.Requests = append(in.Journal.Requests, tcrsim.JournalRequest{At: lastRequestAt(*in).Add(time.Second),
					Endpoint: endpointSubmitCampaign, Group: "registry", RecordID: "campaign-3", Key: "k-again",
					Outcome: tcrsim.OutcomeResubmitted, Status: 201})
			},
			rule: ruleRequests, record: "campaign-3", says: "resubmitted without a loss",
		},
		{
			name: "a dropped approval never applied, the campaign still in CARRIER_REVIEW",
			world: func(w *fixtureWorld) {
				w.strand = set("campaign-0 MNO_CAMPAIGN_OPERATION_APPROVED 10017")
			},
			rule: ruleWebhooks, record: "campaign-0", says: "vanished",
			also: func(tb testing.TB, res Result) {
				// Verizon's review came after its approval: its guard
				// ignores it in CARRIER_REVIEW, where the campaign stayed.
				if got := res.Webhooks.Superseded; got != 1 {
					tb.Errorf("%d webhook events superseded, want verizon's late review", got)
				}
				if got := res.World.Unsettled; got != 1 {
					tb.Errorf("%d records unsettled, want the stranded campaign", got)
				}
			},
		},
		{
			name: "ACTIVE without a carrier's approval applied",
			plant: func(tb testing.TB, in *Input) {
				id := webhookID(tb, *in, func(e tcr.WebhookEvent) bool {
					return e.CampaignID == "campaign-0" && e.EventType == tcr.EventMNOApproved && e.MNOID == statemachine.CarrierTMobile.MNOID()
				})
				i := auditIndex(tb, *in, "campaign-0", func(a statemachine.AuditEntry) bool { return a.MessageID == id })
				in.Audit = slices.Delete(in.Audit, i, i+1)
				rec := recordIn(tb, *in, "campaign-0")
				rec.Applied = slices.DeleteFunc(slices.Clone(rec.Applied), func(s string) bool { return s == id })
			},
			rule: ruleWebhooks, record: "campaign-0", says: "without applying an approval of tmobile",
		},
		{
			name: "the simulator refused the campaign, the record is ACTIVE",
			plant: func(tb testing.TB, in *Input) {
				for i, r := range in.Journal.Requests {
					if r.RecordID == "campaign-0" && r.Endpoint == endpointSubmitCampaign && decided(r) {
						in.Journal.Requests[i].Status, in.Journal.Requests[i].Code = 400, statemachine.CodeHighRisk
					}
				}
			},
			rule: ruleWorld, record: "campaign-0", says: "REJECTED with code 30885",
		},
		{
			name:  "flow v2: the registry refused the evidence, the record is ACTIVE",
			world: func(w *fixtureWorld) { w.flow = statemachine.FlowV2 },
			plant: func(tb testing.TB, in *Input) {
				for i, r := range in.Journal.Requests {
					if r.RecordID == "campaign-0" && r.Endpoint == endpointSubmitEvidence && decided(r) {
						in.Journal.Requests[i].Status, in.Journal.Requests[i].Code = 400, statemachine.CodeOptInUnverified
					}
				}
			},
			rule: ruleWorld, record: "campaign-0", says: "REJECTED with code 30909",
		},
		{
			name: "a rate window exceeded",
			plant: func(tb testing.TB, in *Input) {
				at := lastRequestAt(*in).Add(time.Second)
				for i := range 101 {
					in.Journal.Requests = append(in.Journal.Requests, tcrsim.JournalRequest{At: at.Add(time.Duration(i) * 90 * time.Millisecond),
						Endpoint: "GET /carriers/att/campaigns/{id}", Group: "att", RecordID: "campaign-0", Outcome: tcrsim.OutcomeFound, Status: 200})
				}
			},
			rule: ruleRate, says: "att received 101 requests within 10s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cleanWorld()
			if tt.world != nil {
				tt.world(&w)
			}
			in := runWorld(t, w).input()
			if tt.plant != nil {
				tt.plant(t, &in)
			}
			res := check(in)
			if res.Passed {
				t.Fatalf("the planted fault passed the check:\n%s", describe(res))
			}
			if got, want := rulesOf(res), []string{tt.rule}; !slices.Equal(got, want) {
				t.Errorf("rules violated %v, want %v:\n%s", got, want, describe(res))
			}
			found := false
			for _, v := range res.Violations {
				if v.Rule == tt.rule && v.RecordID == tt.record && strings.Contains(v.Problem, tt.says) {
					found = true
					if len(v.Simulator) == 0 {
						t.Errorf("the violation lacks the simulator's view: %+v", v)
					}
					if exists := slices.ContainsFunc(in.Records, func(r statemachine.Record) bool { return r.ID == tt.record }); exists &&
						(v.Record == nil || len(v.Audit) == 0) {
						t.Errorf("the violation lacks its record or its audit items: %+v", v)
					}
				}
			}
			if !found {
				t.Errorf("no %s violation on %q saying %q:\n%s", tt.rule, tt.record, tt.says, describe(res))
			}
			for _, r := range res.Rules {
				if got := r.Violations > 0; got != (r.Rule == tt.rule) {
					t.Errorf("rule %s counts %d violations", r.Rule, r.Violations)
				}
			}
			if tt.also != nil {
				tt.also(t, res)
			}
			if err := res.Failure(); err == nil || !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("Failure() = %v, want an error naming %s", err, tt.rule)
			}
		})
	}
}

func TestCheckThatCouldNotReadFails(t *testing.T) {
	res := Failed(errors.New("read carriersim's journal: connection refused"))
	if res.Passed {
		t.Error("a check that read nothing passed")
	}
	if err := res.Failure(); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Failure() = %v, want the reason", err)
	}
	if !strings.Contains(describe(res), "Could not check") {
		t.Errorf("summary does not say the check could not run:\n%s", describe(res))
	}
}

func TestCheckOfNothingPasses(t *testing.T) {
	res := check(Input{})
	if !res.Passed || res.Failure() != nil {
		t.Errorf("an empty run failed the check:\n%s", describe(res))
	}
	if res.Violations == nil || len(res.Rates) != len(tcrsim.Groups()) {
		t.Errorf("violations %v (want [] for report.json), rates %+v (want every group)", res.Violations, res.Rates)
	}
}

// TestCheckWithoutAuditItems: a system that keeps no audit items (the
// Temporal side) is checked on its records and the journal: the history rule
// says it does not apply, the others run, the webhooks rule takes the events
// a record applied from its Applied list, and a webhook that vanished is
// still caught there.
func TestCheckWithoutAuditItems(t *testing.T) {
	tests := []struct {
		name   string
		world  func(*fixtureWorld)
		passed bool
		rule   string // violated, when the check fails
	}{
		{name: "the clean run passes", passed: true},
		{name: "a dropped approval never applied is caught",
			world: func(w *fixtureWorld) { w.strand = set("campaign-0 MNO_CAMPAIGN_OPERATION_APPROVED 10017") },
			rule:  ruleWebhooks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := cleanWorld()
			if tt.world != nil {
				tt.world(&w)
			}
			in := runWorld(t, w).input()
			in.Audit, in.NoAudit = nil, true
			res := check(in)
			if res.Passed != tt.passed {
				t.Fatalf("passed %v, want %v:\n%s", res.Passed, tt.passed, describe(res))
			}
			if !tt.passed {
				if got, want := rulesOf(res), []string{tt.rule}; !slices.Equal(got, want) {
					t.Errorf("rules violated %v, want %v:\n%s", got, want, describe(res))
				}
			}
			for _, r := range res.Rules {
				switch {
				case r.Rule == ruleHistory && (r.NotApplicable == "" || r.Checked != 0):
					t.Errorf("the history rule ran (checked %d, not applicable %q)", r.Checked, r.NotApplicable)
				case r.Rule != ruleHistory && (r.NotApplicable != "" || r.Checked == 0):
					t.Errorf("rule %s did not run (checked %d, not applicable %q)", r.Rule, r.Checked, r.NotApplicable)
				}
			}
			if tt.passed && res.Webhooks.Applied == 0 {
				t.Error("no webhook event counted as applied from the records' applied events")
			}
			if got := describe(res); !strings.Contains(got, "keeps no audit items") {
				t.Errorf("the summary does not say why the history rule did not run:\n%s", got)
			}
		})
	}
}

// A history that says it keeps no audit items while it holds some cannot
// skip the history rule with it: the check fails.
func TestCheckRefusesNoAuditWithAuditItems(t *testing.T) {
	in := runWorld(t, cleanWorld()).input()
	if len(in.Audit) == 0 {
		t.Fatal("the clean world has no audit items")
	}
	in.NoAudit = true
	res := check(in)
	if res.Passed || !slices.Equal(rulesOf(res), []string{ruleHistory}) {
		t.Errorf("passed %v, rules violated %v; want the history rule failed:\n%s", res.Passed, rulesOf(res), describe(res))
	}
}
