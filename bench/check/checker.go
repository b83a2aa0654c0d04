package check

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// Input is what the checker reads. It is plain data, so that the rules
// are tested on fixtures without AWS or processes.
type Input struct {
	Records []statemachine.Record
	Audit   []statemachine.AuditEntry
	// Journal is carriersim's GET /journal: every request a downstream
	// endpoint received and every webhook delivery attempt or drop, in the
	// order they happened; the simulated world's side of what the checker
	// compares the records with. Its Rates, carriersim's own limits, are
	// informational: the rate rule holds the system to its own (Rates).
	Journal tcrsim.Journal
	// Rates is the system's limit per downstream group, per second (for
	// tendlc, regd's --rate: legacy.Rates).
	Rates map[string]float64
	// NoAudit says the system keeps no audit items: its history is the
	// event history of its workflow engine (the Temporal side), which the
	// checker does not read. The history rule then does not apply, and the
	// webhooks rule takes the events a record applied from its Applied
	// list instead of its audit; the other rules read records and the
	// journal only, and run as they do for any system.
	NoAudit bool
}

// The rules, in the order they run and report.
const (
	ruleHistory  = "history"
	ruleWorld    = "world"
	ruleRequests = "requests"
	ruleWebhooks = "webhooks"
	ruleRate     = "rate"
)

var rules = []string{ruleHistory, ruleWorld, ruleRequests, ruleWebhooks, ruleRate}

// ruleClaims says, per rule, what a pass proves.
var ruleClaims = map[string]string{
	ruleHistory:  "every record's audit is a legal path through its kind's fsm table from NONE to the record's state; no event applied twice",
	ruleWorld:    "every settled record ended where the simulated world's latest decisions lead; a REJECTED campaign carries one of its rejection codes; FAILED 30901 only without an answer",
	ruleRequests: "every decided downstream request belongs to an existing record; a request sent again under a new key follows a lost one",
	ruleWebhooks: "every webhook delivered or dropped was applied, or is stale in the record's final state; every applied webhook event came from one; every APPROVED campaign applied each carrier's approval",
	ruleRate:     "no downstream group received more requests in any ten-second window than ten times regd's rate for it",
}

// noAuditClaims replace ruleClaims for a system without audit items
// (Input.NoAudit): what the webhooks rule proves from the records' applied
// events alone.
var noAuditClaims = map[string]string{
	ruleWebhooks: "every webhook delivered or dropped was applied (its event is among the record's applied events), or is stale in the record's final state",
}

// noAudit is why the history rule does not apply to a system without audit
// items (Input.NoAudit).
const noAudit = "not applicable: the system keeps no audit items; its event history is its workflow engine's (Temporal's)"

// ruleUnits names what each rule counts as checked.
var ruleUnits = map[string]string{
	ruleHistory:  "records",
	ruleWorld:    "settled records",
	ruleRequests: "decided requests",
	ruleWebhooks: "webhook events",
	ruleRate:     "downstream groups",
}

// Result is the checker's verdict: report.json's "check".
type Result struct {
	Passed bool `json:"passed"`
	// Error says why the checker could not read its inputs; the check then
	// fails, since nothing was proved.
	Error      string         `json:"error,omitempty"`
	Inputs     checkInputs    `json:"inputs"`
	Rules      []ruleResult   `json:"rules"`
	World      worldFigures   `json:"world"`
	Requests   requestFigures `json:"requests"`
	Webhooks   webhookFigures `json:"webhooks"`
	Rates      []rateFigure   `json:"rates"`
	Violations []violation    `json:"violations"`
}

// checkInputs counts what the checker read.
type checkInputs struct {
	Records    int `json:"records"`
	AuditItems int `json:"audit_items"`
	// NoAudit: the system keeps no audit items (Input.NoAudit).
	NoAudit           bool `json:"no_audit,omitempty"`
	Requests          int  `json:"journal_requests"`
	WebhookDeliveries int  `json:"journal_webhooks"`
}

// ruleResult is one rule's tally.
type ruleResult struct {
	Rule       string `json:"rule"`
	Proves     string `json:"proves"`
	Checked    int    `json:"checked"`
	Unit       string `json:"unit"`
	Violations int    `json:"violations"`
	// NotApplicable says why the rule did not run on this system; empty
	// when it ran.
	NotApplicable string `json:"not_applicable,omitempty"`
}

// violation is one thing a rule found wrong, with what an engineer needs to
// debug it from the report alone: the record, its audit items around the
// fault, and the simulator's journal lines about the record.
type violation struct {
	Rule     string            `json:"rule"`
	Kind     statemachine.Kind `json:"kind,omitempty"`
	RecordID string            `json:"record_id,omitempty"`
	Problem  string            `json:"problem"`
	Record   *recordView       `json:"record,omitempty"`
	// Audit are the record's audit items around the fault, oldest first, one
	// line each; the faulty one is marked "=>".
	Audit []string `json:"audit,omitempty"`
	// Simulator are carriersim's journal lines about the record (requests and
	// webhooks, by time), or the requests of a rate window.
	Simulator []string `json:"simulator,omitempty"`
}

// recordView is the part of a record a violation shows.
type recordView struct {
	State         statemachine.State                                  `json:"state"`
	Version       int64                                               `json:"version"`
	ParentID      string                                              `json:"parent_id,omitempty"`
	Reason        *statemachine.Reason                                `json:"reason,omitempty"`
	LastMessageID string                                              `json:"last_message_id,omitempty"`
	Carriers      map[statemachine.Carrier]statemachine.CarrierStatus `json:"carriers,omitempty"`
	Numbers       map[string]statemachine.NumberStatus                `json:"numbers,omitempty"`
}

// recordKey names a record.
type recordKey struct {
	kind statemachine.Kind
	id   string
}

func (k recordKey) String() string { return string(k.kind) + " " + k.id }

// checker holds the indexes the rules share while they run.
type checker struct {
	in      Input
	records map[recordKey]*statemachine.Record
	audits  map[recordKey][]statemachine.AuditEntry // by version
	applied map[recordKey]map[string]bool           // message ids in the audit
	// requests and webhooks are the journal's lines about each record.
	requests map[recordKey][]tcrsim.JournalRequest
	webhooks map[recordKey][]tcrsim.JournalWebhook

	res     Result
	checked map[string]int
}

// Audit lines a violation shows: this many either side of the faulty entry,
// or the last ones when the fault is the record's as a whole.
const (
	auditAround = 3
	auditLast   = 12
	// simulatorLines caps the journal lines of one violation.
	simulatorLines = 40
)

// check runs every rule on in and returns the verdict.
func check(in Input) Result {
	c := newChecker(in)
	switch {
	case !in.NoAudit:
		c.checkHistory()
	case len(in.Audit) > 0:
		// A system that says it keeps no audit would skip the rule on
		// audit items it has: its history is checked after all.
		c.violate(ruleHistory, recordKey{}, -1, "the history says the system keeps no audit items, and it holds %d", len(in.Audit))
	}
	c.checkWorld()
	c.checkRequests()
	c.checkWebhooks()
	c.checkRate()
	for _, r := range rules {
		n := 0
		for _, v := range c.res.Violations {
			if v.Rule == r {
				n++
			}
		}
		rr := ruleResult{Rule: r, Proves: ruleClaims[r], Checked: c.checked[r], Unit: ruleUnits[r], Violations: n}
		if in.NoAudit {
			rr.Proves = cmp.Or(noAuditClaims[r], rr.Proves)
			if r == ruleHistory {
				rr.NotApplicable = noAudit
			}
		}
		c.res.Rules = append(c.res.Rules, rr)
	}
	slices.SortStableFunc(c.res.Violations, func(a, b violation) int {
		return cmp.Compare(slices.Index(rules, a.Rule), slices.Index(rules, b.Rule))
	})
	if c.res.Violations == nil {
		c.res.Violations = []violation{} // [] in report.json
	}
	c.res.Passed = len(c.res.Violations) == 0
	return c.res
}

// Failure is the error of a check that did not pass, nil for one that did.
func (r Result) Failure() error {
	switch {
	case r.Error != "":
		return fmt.Errorf("the checker could not check the run: %s", r.Error)
	case r.Passed:
		return nil
	}
	var broken []string
	for _, rr := range r.Rules {
		if rr.Violations > 0 {
			broken = append(broken, fmt.Sprintf("%s %d", rr.Rule, rr.Violations))
		}
	}
	return fmt.Errorf("the checker found %s: %s", plural(len(r.Violations), "violation"), strings.Join(broken, ", "))
}

// Failed is the verdict when the checker could not read its inputs.
func Failed(err error) Result {
	return Result{Error: err.Error(), Violations: []violation{}}
}

func newChecker(in Input) *checker {
	c := &checker{in: in, records: map[recordKey]*statemachine.Record{}, audits: map[recordKey][]statemachine.AuditEntry{},
		applied: map[recordKey]map[string]bool{}, requests: map[recordKey][]tcrsim.JournalRequest{},
		webhooks: map[recordKey][]tcrsim.JournalWebhook{}, checked: map[string]int{}}
	c.res.Inputs = checkInputs{Records: len(in.Records), AuditItems: len(in.Audit), NoAudit: in.NoAudit,
		Requests: len(in.Journal.Requests), WebhookDeliveries: len(in.Journal.Webhooks)}
	for i := range in.Records {
		r := &in.Records[i]
		c.records[recordKey{r.Kind, r.ID}] = r
	}
	for _, a := range in.Audit {
		k := recordKey{a.Kind, a.RecordID}
		c.audits[k] = append(c.audits[k], a)
		if c.applied[k] == nil {
			c.applied[k] = map[string]bool{}
		}
		c.applied[k][a.MessageID] = true
	}
	if in.NoAudit {
		for _, r := range in.Records {
			k := recordKey{r.Kind, r.ID}
			for _, id := range r.Applied {
				if c.applied[k] == nil {
					c.applied[k] = map[string]bool{}
				}
				c.applied[k][id] = true
			}
		}
	}
	for _, as := range c.audits {
		slices.SortStableFunc(as, statemachine.CompareAudit)
	}
	for _, r := range in.Journal.Requests {
		if k := requestKind(r); k != "" {
			c.requests[recordKey{k, r.RecordID}] = append(c.requests[recordKey{k, r.RecordID}], r)
		}
	}
	for _, w := range in.Journal.Webhooks {
		kind, id := about(w.Event)
		c.webhooks[recordKey{kind, id}] = append(c.webhooks[recordKey{kind, id}], w)
	}
	return c
}

// violate records a violation of rule by record k. focus is the index of the
// faulty audit entry, or -1 when the fault is the record's as a whole.
func (c *checker) violate(rule string, k recordKey, focus int, format string, args ...any) {
	v := violation{Rule: rule, Kind: k.kind, RecordID: k.id, Problem: fmt.Sprintf(format, args...),
		Audit: auditLines(c.audits[k], focus), Simulator: c.simulatorView(k)}
	if r := c.records[k]; r != nil {
		v.Record = &recordView{State: r.State, Version: r.Version, ParentID: r.ParentID, Reason: r.Reason,
			LastMessageID: r.LastMessageID, Carriers: r.Carriers, Numbers: r.Numbers}
	}
	c.res.Violations = append(c.res.Violations, v)
}

// auditLines renders the entries around focus, or the last ones when focus
// is negative.
func auditLines(as []statemachine.AuditEntry, focus int) []string {
	from, to := max(0, len(as)-auditLast), len(as)
	if focus >= 0 {
		from, to = max(0, focus-auditAround), min(len(as), focus+auditAround+1)
	}
	var out []string
	if from > 0 {
		out = append(out, fmt.Sprintf("   (%d earlier entries)", from))
	}
	for i := from; i < to; i++ {
		mark := "   "
		if i == focus {
			mark = "=> "
		}
		out = append(out, mark+auditLine(as[i]))
	}
	if to < len(as) {
		out = append(out, fmt.Sprintf("   (%d later entries)", len(as)-to))
	}
	return out
}

// auditLine is one audit entry on one line.
func auditLine(a statemachine.AuditEntry) string {
	s := fmt.Sprintf("v%d %s -> %s %s msg=%s at %s", a.Version, a.From, a.To, a.Event, short(a.MessageID), a.At.UTC().Format(timeOfDay))
	if a.Actor != "" {
		s += " by " + a.Actor
	}
	if a.Reason != nil {
		s += " reason " + reasonText(*a.Reason)
	}
	return s
}

// reasonText writes a reason's code, and its description when it has one.
func reasonText(r statemachine.Reason) string {
	if r.Description == "" {
		return fmt.Sprint(r.Code)
	}
	return fmt.Sprintf("%d %q", r.Code, r.Description)
}

// simulatorView is the journal's requests and webhooks about record k, in
// time order, capped.
func (c *checker) simulatorView(k recordKey) []string {
	type line struct {
		at   int64
		text string
	}
	var lines []line
	for _, r := range c.requests[k] {
		lines = append(lines, line{r.At.UnixNano(), requestLine(r)})
	}
	for _, w := range c.webhooks[k] {
		lines = append(lines, line{w.At.UnixNano(), webhookLine(w)})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })
	var out []string
	for i, l := range lines {
		if i == simulatorLines {
			out = append(out, fmt.Sprintf("(%d more lines)", len(lines)-i))
			break
		}
		out = append(out, l.text)
	}
	return out
}

// keys returns every record key the records or the audit name, in kind and
// id order.
func (c *checker) keys() []recordKey {
	seen := map[recordKey]bool{}
	for k := range c.records {
		seen[k] = true
	}
	for k := range c.audits {
		seen[k] = true
	}
	ks := make([]recordKey, 0, len(seen))
	for k := range seen {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b recordKey) int {
		return cmp.Or(cmp.Compare(slices.Index(statemachine.Kinds, a.kind), slices.Index(statemachine.Kinds, b.kind)), cmp.Compare(a.id, b.id))
	})
	return ks
}
