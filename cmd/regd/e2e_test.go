package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// fastPolicies keeps the production shape with one-second waits, so tests
// see retries and deferrals within seconds.
var fastPolicies = retry.Policies{Default: retry.Policy{MaxAttempts: 8, Base: time.Second, Cap: time.Second,
	MaxDeferrals: 30, DeferBase: time.Second, DeferCap: time.Second}}

// running is a regd that startRegd started.
type running struct {
	opsURL string // base URL of /healthz, /readyz and /metrics
}

// startRegd runs the real regd wiring on d until the test ends.
func startRegd(tb testing.TB, d deploytest.Deployment, mutate func(*Main)) running {
	tb.Helper()
	m := &Main{Config: Config{Prefix: d.Resources.Prefix, Concurrency: 16, OutboundConcurrency: 2,
		SweepMode: "index", Recovery: sweeper.DefaultPolicy().Uniform(time.Hour), TimeScale: 1, HTTPAddr: "127.0.0.1:0", LogLevel: slog.LevelInfo},
		RetryPolicies: &fastPolicies}
	if testing.Verbose() {
		m.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if mutate != nil {
		mutate(m)
	}
	var r running
	m.Listening = func(addr net.Addr) { r.opsURL = "http://" + addr.String() }
	started := make(chan struct{})
	m.Started = func() { close(started) }
	ctx, cancel := context.WithCancel(context.WithoutCancel(tb.Context()))
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-started:
	case err := <-done:
		tb.Fatalf("regd stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("regd did not start within 30 s")
	}
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("regd: %v", err)
		}
	})
	return r
}

// get returns the status and body of a GET of regd's path.
func (r running) get(tb testing.TB, path string) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, r.opsURL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, body
}

// metric reads regd's /metrics and sums the samples of the counter or gauge
// name whose labels include match.
func (r running) metric(tb testing.TB, name string, match map[string]string) float64 {
	tb.Helper()
	status, body := r.get(tb, "/metrics")
	if status != http.StatusOK {
		tb.Fatalf("GET /metrics: %d %s", status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("parse /metrics: %v", err)
	}
	var sum float64
	for _, m := range families[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		matches := true
		for k, v := range match {
			matches = matches && labels[k] == v
		}
		if matches {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// waitForMetric polls regd's /metrics until the metric reaches at least
// want, and fails tb after within.
func (r running) waitForMetric(tb testing.TB, name string, match map[string]string, want float64, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for got := r.metric(tb, name, match); got < want; got = r.metric(tb, name, match) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s%v = %v after %v, want at least %v", name, match, got, within, want)
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

// player plays the downstreams: it drains the outbound queues, counts each
// command, and sends the answers answer gives.
type player struct {
	mu           sync.Mutex
	commands     map[string]int             // "queue type entity" -> times received
	ids          map[string]map[string]bool // "queue type entity" -> distinct command event ids
	correlations map[string]int             // correlation id -> commands received
}

// distinct returns how many different commands (by event id) each key got.
func (p *player) distinct() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, ids := range p.ids {
		out[k] = len(ids)
	}
	return out
}

func (p *player) count() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.commands {
		out[k] = v
	}
	return out
}

func play(tb testing.TB, d deploytest.Deployment, answer func(statemachine.Envelope) []statemachine.Envelope) *player {
	tb.Helper()
	p := &player{commands: map[string]int{}, ids: map[string]map[string]bool{}, correlations: map[string]int{}}
	prod := d.Producer(tb)
	ctx, cancel := context.WithCancel(context.WithoutCancel(tb.Context()))
	var wg sync.WaitGroup
	for _, q := range tcr.Downstreams {
		c, err := sqsq.NewConsumer(d.SQS, sqsq.ConsumerConfig{QueueURL: d.URLs[string(q)], Queue: string(q), WaitTime: time.Second})
		if err != nil {
			tb.Fatal(err)
		}
		wg.Go(func() {
			_ = c.Run(ctx, func(ctx context.Context, m *message.Message) error {
				cmd, err := handlers.DecodeMessage(m)
				if err != nil {
					tb.Errorf("player: %v", err)
					return nil
				}
				p.mu.Lock()
				key := m.Queue + " " + string(cmd.Type) + " " + cmd.EntityID
				p.commands[key]++
				if p.ids[key] == nil {
					p.ids[key] = map[string]bool{}
				}
				p.ids[key][cmd.EventID] = true
				p.correlations[cmd.CorrelationID]++
				p.mu.Unlock()
				if evs := answer(cmd); len(evs) > 0 {
					return prod.Send(ctx, evs...)
				}
				return nil
			})
		})
	}
	tb.Cleanup(func() { cancel(); wg.Wait() })
	return p
}

// ev builds an event from a downstream.
func ev(t statemachine.EventType, entity string, p any) statemachine.Envelope {
	var raw json.RawMessage
	if p != nil {
		raw, _ = json.Marshal(p)
	}
	return statemachine.Envelope{Type: t, EntityID: entity, Actor: "test-downstream", Payload: raw}
}

// approveAll answers every command the way a cooperative world would.
func approveAll(cmd statemachine.Envelope) []statemachine.Envelope {
	id := cmd.EntityID
	switch cmd.Type {
	case statemachine.CmdSubmitBrand:
		return []statemachine.Envelope{ev(statemachine.BrandSubmitted, id, statemachine.Receipt{ExternalID: "B-" + id}),
			ev(statemachine.BrandVerified, id, statemachine.Identity{Status: "VERIFIED"})}
	case statemachine.CmdSubmitCampaign:
		return []statemachine.Envelope{ev(statemachine.CampaignRegistryAccepted, id, statemachine.Receipt{ExternalID: "C-" + id}),
			ev(statemachine.CampaignReviewApproved, id, nil)}
	case statemachine.CmdCarrierSubmit:
		u, _ := statemachine.DecodePayload[statemachine.CarrierUpdate](cmd.Payload)
		return []statemachine.Envelope{ev(statemachine.CampaignCarrierReview, id, u), ev(statemachine.CampaignCarrierApproved, id, u)}
	case statemachine.CmdRegisterNumber:
		return []statemachine.Envelope{ev(statemachine.NumberSubmitted, id, nil), ev(statemachine.NumberRegistered, id, nil)}
	}
	return nil
}

func registrations(brand, campaign string, numbers []string) []statemachine.Envelope {
	return []statemachine.Envelope{
		ev(statemachine.BrandRegister, brand, statemachine.BrandRegistration{LegalName: "Acme " + brand, EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}),
		ev(statemachine.CampaignRegister, campaign, statemachine.CampaignRegistration{BrandID: brand, UseCase: "2FA",
			Description: "one-time codes", SampleMessages: []string{"Your code is 123456"}, Numbers: numbers}),
	}
}

// waitFor polls the record until cond holds or the deadline passes.
func waitFor(tb testing.TB, d deploytest.Deployment, k statemachine.Kind, id string, within time.Duration, cond func(*statemachine.Record) bool) *statemachine.Record {
	tb.Helper()
	st := d.Store(tb)
	deadline := time.Now().Add(within)
	var last *statemachine.Record
	for time.Now().Before(deadline) {
		r, err := st.Get(tb.Context(), k, id)
		if err != nil && !errors.Is(err, statemachine.ErrNotFound) {
			tb.Fatal(err)
		}
		if r != nil {
			last = r
			if cond(r) {
				return r
			}
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not a wait for time to pass
	}
	tb.Fatalf("%s %s never met the condition within %v; last seen %+v", k, id, within, last)
	return nil
}

func inState(s statemachine.State) func(*statemachine.Record) bool {
	return func(r *statemachine.Record) bool { return r.State == s }
}

func statePath(tb testing.TB, d deploytest.Deployment, k statemachine.Kind, id string) []string {
	tb.Helper()
	hist, err := d.Store(tb).History(tb.Context(), k, id)
	if err != nil {
		tb.Fatal(err)
	}
	var path []string
	for _, a := range hist {
		path = append(path, fmt.Sprintf("%s>%s", a.Event, a.To))
	}
	return path
}

func TestRegistrationReachesActiveWithAuditHistory(t *testing.T) {
	d := deploytest.New(t)
	r := startRegd(t, d, func(m *Main) { m.Config.CensusInterval = time.Second })
	p := play(t, d, approveAll)
	numbers := []string{"+12025550111", "+12025550112", "+12025550113"}
	if err := d.Producer(t).Send(t.Context(), registrations("b1", "c1", numbers)...); err != nil {
		t.Fatal(err)
	}
	c := waitFor(t, d, statemachine.KindCampaign, "c1", 60*time.Second, inState(statemachine.Active))
	for _, n := range numbers {
		if c.Numbers[n] != statemachine.NumberRegisteredStatus {
			t.Errorf("campaign number %s = %s, want REGISTERED", n, c.Numbers[n])
		}
	}
	path := statePath(t, d, statemachine.KindCampaign, "c1")
	var states []string
	for _, step := range path {
		_, to, _ := strings.Cut(step, ">")
		if len(states) == 0 || states[len(states)-1] != to {
			states = append(states, to)
		}
	}
	if got, want := strings.Join(states, " "), "PENDING TCR_PENDING IN_REVIEW CARRIER_REVIEW APPROVED NUMBERS_PENDING ACTIVE"; got != want {
		t.Errorf("campaign states %q, want %q (history %v)", got, want, path)
	}
	// brand 1 + campaign 1 + carriers 3 + numbers 3, each exactly once.
	cmds := p.count()
	if len(cmds) != 8 {
		t.Errorf("commands %v, want 8 distinct", cmds)
	}
	for k, n := range cmds {
		if n != 1 {
			t.Errorf("command %s received %d times, want once", k, n)
		}
	}

	// What the run shows on /metrics.
	if status, body := r.get(t, "/readyz"); status != http.StatusOK {
		t.Errorf("GET /readyz: %d %s, want 200 while running", status, body)
	}
	if got := r.metric(t, "tendlc_transitions_total", nil); got == 0 {
		t.Error("no transitions on /metrics")
	}
	if got, want := r.metric(t, "tendlc_transitions_total", map[string]string{"kind": "campaign", "to": "ACTIVE"}), 1.0; got != want {
		t.Errorf("campaign transitions to ACTIVE = %v, want %v", got, want)
	}
	if got := r.metric(t, "tendlc_messages_handled_total", map[string]string{"queue": "events", "outcome": "ok"}); got == 0 {
		t.Error("no handled events on /metrics")
	}
	if got := r.metric(t, "tendlc_dynamodb_consumed_write_capacity_units_total", map[string]string{"operation": "Transition"}); got == 0 {
		t.Error("no DynamoDB write capacity on /metrics")
	}
	// The census counts the records once they have settled. One census may
	// have scanned before the campaign's last move (its numbers REGISTERED,
	// the campaign still NUMBERS_PENDING), so each count is awaited: a later
	// census shows both.
	r.waitForMetric(t, "tendlc_records", map[string]string{"kind": "campaign", "state": "ACTIVE"}, 1, 10*time.Second)
	r.waitForMetric(t, "tendlc_records", map[string]string{"kind": "number", "state": "REGISTERED"}, 3, 10*time.Second)
	for _, c := range []struct {
		kind, state string
		want        float64
	}{{"campaign", "ACTIVE", 1}, {"number", "REGISTERED", 3}} {
		if got := r.metric(t, "tendlc_records", map[string]string{"kind": c.kind, "state": c.state}); got != c.want {
			t.Errorf("%s records %s per the census = %v, want %v", c.kind, c.state, got, c.want)
		}
	}
}

// TestDuplicatesReorderingLostSendsAndStaleReads runs registrations while
// the fault layer duplicates every send (so every event type arrives at
// least twice), delays sends, duplicates receives, loses sends
// between the database write and the queue, and serves stale reads. Every
// campaign still ends ACTIVE, and no downstream sees a second command for
// anything: duplicates of every event are ignored, and a lost send is
// repaired from the record's outbox.
func TestDuplicatesReorderingLostSendsAndStaleReads(t *testing.T) {
	d := deploytest.New(t)
	faults := fault.Config{Seed: 3, DuplicateSend: 1, DelaySend: 0.2, MaxExtraDelay: 2 * time.Second,
		FailSend: 0.1, DuplicateReceive: 0.2, StaleRead: 0.2}
	startRegd(t, d, func(m *Main) { m.Config.Faults = faults })
	p := play(t, d, approveAll)
	prod := d.Producer(t)
	for i := range 3 {
		nums := []string{fmt.Sprintf("+1202555%04d", 300+2*i), fmt.Sprintf("+1202555%04d", 301+2*i)}
		if err := prod.Send(t.Context(), registrations(fmt.Sprint("fb", i), fmt.Sprint("fc", i), nums)...); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		// A follow-up send and its retry copy may both be lost; the message
		// then comes back after the queue's 15 s visibility timeout.
		waitFor(t, d, statemachine.KindCampaign, fmt.Sprint("fc", i), 3*time.Minute, inState(statemachine.Active))
	}
	// brand, campaign, three carriers and two numbers per registration.
	ids := p.distinct()
	if got, want := len(ids), 3*7; got != want {
		t.Errorf("%d distinct (queue, command, record) keys, want %d: %v", got, want, ids)
	}
	for k, n := range ids {
		if n != 1 {
			t.Errorf("%s: %d different commands, want one (duplicates must not create new commands)", k, n)
		}
	}
	total := 0
	for _, n := range p.count() {
		total += n
	}
	t.Logf("downstream deliveries %d for %d commands (SQS-level duplicates are expected)", total, len(ids))
}

func TestCarrierApprovalBeforeTheReviewIsDeferredThenApplied(t *testing.T) {
	d := deploytest.New(t)
	r := startRegd(t, d, nil)
	// The registry accepts but the reviewer has not decided yet.
	play(t, d, func(cmd statemachine.Envelope) []statemachine.Envelope {
		if cmd.Type == statemachine.CmdSubmitCampaign {
			return []statemachine.Envelope{ev(statemachine.CampaignRegistryAccepted, cmd.EntityID, nil)}
		}
		return approveAll(cmd)
	})
	prod := d.Producer(t)
	if err := prod.Send(t.Context(), registrations("b2", "c2", []string{"+12025550121"})...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, statemachine.KindCampaign, "c2", 60*time.Second, inState(statemachine.InReview))
	early := ev(statemachine.CampaignCarrierApproved, "c2", statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT})
	if err := prod.Send(t.Context(), early); err != nil {
		t.Fatal(err)
	}
	// Wait until the early approval was deferred twice: it must not apply.
	r.waitForMetric(t, "tendlc_deferrals_total", map[string]string{"queue": "events"}, 2, 30*time.Second)
	if r := waitFor(t, d, statemachine.KindCampaign, "c2", time.Second, inState(statemachine.InReview)); r.Carriers[statemachine.CarrierATT] != "" {
		t.Fatalf("AT&T status %q while in review, want none", r.Carriers[statemachine.CarrierATT])
	}
	if err := prod.Send(t.Context(), ev(statemachine.CampaignReviewApproved, "c2", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, statemachine.KindCampaign, "c2", 60*time.Second, inState(statemachine.Active))
	path := statePath(t, d, statemachine.KindCampaign, "c2")
	review := slices.Index(path, "campaign.review_approved>CARRIER_REVIEW")
	if review < 0 {
		t.Fatalf("no review approval in %v", path)
	}
	approvals := 0
	for _, step := range path[review:] {
		if strings.HasPrefix(step, "campaign.carrier_approved") {
			approvals++
		}
	}
	if approvals != 3 {
		t.Errorf("%d carrier approvals applied after the review, want 3 (the deferred AT&T one among them): %v", approvals, path)
	}
}

// TestDeferredSubmitsWakeWhenTheBrandIsVerified keeps a brand waiting for
// its identity until both its campaigns' submits were deferred, under a
// deferral backoff drawn uniformly up to a day. Once the brand is verified,
// both campaigns reach ACTIVE within a minute, each moved out of PENDING by
// the submit the brand's verification emitted for it, not by its own
// deferred one. (Only a deferral drawn under a few seconds, about one in
// 10,000, could bring a deferred copy back first.)
func TestDeferredSubmitsWakeWhenTheBrandIsVerified(t *testing.T) {
	d := deploytest.New(t)
	policies := retry.Policies{Default: fastPolicies.Default, ByEvent: map[statemachine.EventType]retry.Policy{
		statemachine.CampaignSubmit: {MaxAttempts: 8, Base: time.Second, Cap: time.Second,
			MaxDeferrals: 30, DeferBase: retry.MaxBackoff, DeferCap: retry.MaxBackoff}}}
	r := startRegd(t, d, func(m *Main) { m.RetryPolicies = &policies })
	// The registry takes the brand; its identity webhook is held back.
	play(t, d, func(cmd statemachine.Envelope) []statemachine.Envelope {
		if cmd.Type == statemachine.CmdSubmitBrand {
			return []statemachine.Envelope{ev(statemachine.BrandSubmitted, cmd.EntityID, statemachine.Receipt{ExternalID: "B-" + cmd.EntityID})}
		}
		return approveAll(cmd)
	})
	campaigns := []string{"c5", "c6"}
	regs := append(registrations("b5", campaigns[0], []string{"+12025550151"}),
		registrations("b5", campaigns[1], []string{"+12025550161"})[1])
	prod := d.Producer(t)
	if err := prod.Send(t.Context(), regs...); err != nil {
		t.Fatal(err)
	}
	r.waitForMetric(t, "tendlc_dispositions_total", map[string]string{"kind": "campaign", "event": "campaign.submit",
		"disposition": "defer"}, float64(len(campaigns)), 30*time.Second)
	brand := waitFor(t, d, statemachine.KindBrand, "b5", 30*time.Second, inState(statemachine.Submitted))
	for _, c := range campaigns {
		waitFor(t, d, statemachine.KindCampaign, c, time.Second, inState(statemachine.Pending))
	}

	verified := ev(statemachine.BrandVerified, "b5", statemachine.Identity{Status: "VERIFIED"})
	verified.EventID = "brand-b5-verified"
	if err := prod.Send(t.Context(), verified); err != nil {
		t.Fatal(err)
	}
	// The wake-ups the verification emits: their ids derive from its event id.
	verified.SchemaVersion = statemachine.SchemaVersion
	dec, err := statemachine.Decide(brand, verified, statemachine.Facts{PendingCampaigns: campaigns}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wakeups := map[string]string{} // campaign -> event id of its wake-up
	for _, o := range dec.Emit {
		wakeups[o.Envelope.EntityID] = o.Envelope.EventID
	}

	for _, c := range campaigns {
		waitFor(t, d, statemachine.KindCampaign, c, 60*time.Second, inState(statemachine.Active))
		hist, err := d.Store(t).History(t.Context(), statemachine.KindCampaign, c)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(hist, func(a statemachine.AuditEntry) bool { return a.From == statemachine.Pending && a.To != a.From })
		if i < 0 {
			t.Fatalf("campaign %s never left PENDING: %v", c, statePath(t, d, statemachine.KindCampaign, c))
		}
		if got, want := hist[i].Event, statemachine.CampaignSubmit; got != want {
			t.Errorf("campaign %s left PENDING on %s, want %s", c, got, want)
		}
		if got, want := hist[i].MessageID, wakeups[c]; got != want {
			t.Errorf("campaign %s left PENDING on message %s, want the brand's wake-up %s", c, got, want)
		}
	}
}

func TestConcurrentEventsOnOneCampaignLoseNoUpdate(t *testing.T) {
	d := deploytest.New(t)
	startRegd(t, d, nil)
	st := d.Store(t)
	camp := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c3", ParentID: "b3", State: statemachine.NumbersPending,
		Numbers: map[string]statemachine.NumberStatus{}, CreatedAt: time.Now(), StateEnteredAt: time.Now(), WaitSince: time.Now(), UpdatedAt: time.Now()}
	var settled []statemachine.Envelope
	for i := range 20 {
		n := fmt.Sprintf("+1202555%04d", 200+i)
		camp.Numbers[n] = statemachine.NumberPendingStatus
		settled = append(settled, ev(statemachine.CampaignNumberSettled, "c3", statemachine.NumberSettled{Number: n, Status: statemachine.NumberRegisteredStatus}))
	}
	if _, err := st.Transition(t.Context(), nil, camp, statemachine.AuditEntry{Event: "seed", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := d.Producer(t).Send(t.Context(), settled...); err != nil {
		t.Fatal(err)
	}
	r := waitFor(t, d, statemachine.KindCampaign, "c3", 60*time.Second, inState(statemachine.Active))
	for n, s := range r.Numbers {
		if s != statemachine.NumberRegisteredStatus {
			t.Errorf("number %s = %s, want REGISTERED", n, s)
		}
	}
	if got, want := r.Version, int64(2); got != want {
		t.Errorf("version = %d, want %d: nineteen notes, then the last settlement's transition", got, want)
	}
	hist, err := st.History(t.Context(), statemachine.KindCampaign, "c3")
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, a := range hist {
		if a.Note {
			notes++
		}
	}
	if len(hist) != 21 || notes != 19 {
		t.Errorf("%d audit items, %d of them notes; want 21 (the seed and one per settlement), 19 of them notes", len(hist), notes)
	}
}

func TestMissingQueuesGiveOneActionableLine(t *testing.T) {
	d := deploytest.New(t)
	m := &Main{Config: Config{Prefix: d.Resources.Prefix + "absent-"}}
	err := m.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "regctl provision") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Run = %v, want one line pointing at regctl provision", err)
	}
}

// TestCorrelationIDFollowsARegistrationEverywhere sends a registration with
// one correlation id: every command the downstreams receive and every audit
// entry of the brand, the campaign and its numbers carries it. The player
// answers as the outbound handler does, with the command's correlation id.
func TestCorrelationIDFollowsARegistrationEverywhere(t *testing.T) {
	const corr = "corr-registration-x"
	d := deploytest.New(t)
	startRegd(t, d, nil)
	p := play(t, d, func(cmd statemachine.Envelope) []statemachine.Envelope {
		answers := approveAll(cmd)
		for i := range answers {
			answers[i].CorrelationID = cmd.CorrelationID
		}
		return answers
	})
	numbers := []string{"+12025550141", "+12025550142"}
	regs := registrations("b4", "c4", numbers)
	for i := range regs {
		regs[i].CorrelationID = corr
	}
	if err := d.Producer(t).Send(t.Context(), regs...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, statemachine.KindCampaign, "c4", 60*time.Second, inState(statemachine.Active))

	p.mu.Lock()
	correlations := maps.Clone(p.correlations)
	p.mu.Unlock()
	// brand, campaign, three carriers, two numbers.
	if got, want := correlations, map[string]int{corr: 7}; !maps.Equal(got, want) {
		t.Errorf("commands by correlation id %v, want %v", got, want)
	}
	type ref struct {
		kind statemachine.Kind
		id   string
	}
	records := []ref{{statemachine.KindBrand, "b4"}, {statemachine.KindCampaign, "c4"}}
	for _, n := range numbers {
		records = append(records, ref{statemachine.KindNumber, n})
	}
	st := d.Store(t)
	for _, r := range records {
		rec, err := st.Get(t.Context(), r.kind, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.CorrelationID; got != corr {
			t.Errorf("%s %s correlation id %q, want %q", r.kind, r.id, got, corr)
		}
		hist, err := st.History(t.Context(), r.kind, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) == 0 {
			t.Errorf("%s %s has no audit entries", r.kind, r.id)
		}
		for _, a := range hist {
			if a.CorrelationID != corr {
				t.Errorf("%s %s audit %s>%s: correlation id %q, want %q", r.kind, r.id, a.Event, a.To, a.CorrelationID, corr)
			}
		}
	}
}
