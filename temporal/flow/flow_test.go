package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// The production recovery policy, unscaled: the test environment skips time,
// so a 5-day carrier review takes no time to run.
var production = NewSettings(sweeper.DefaultPolicy(), 1, time.Hour)

// world plays the downstreams for one test: it records every call and
// look-up and answers look-ups from found.
type world struct {
	mu      sync.Mutex
	calls   []statemachine.Envelope
	lookups []statemachine.Lookup
	queues  map[string]string // activity type and destination -> task queue it ran on
	// found answers a look-up; nil: the downstream has the request and has
	// not decided.
	found func(l statemachine.Lookup) statemachine.Observation
	// unreachable, when set, fails look-up number n (from 1) when it
	// reports true.
	unreachable func(n int) bool
	// callErr, when set, fails every call.
	callErr error
}

func (w *world) call(_ context.Context, cmd statemachine.Envelope) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, cmd)
	if w.callErr != nil {
		return "", w.callErr
	}
	if cmd.Type == statemachine.CmdSubmitCampaign || cmd.Type == statemachine.CmdSubmitEvidence {
		// The registry reads what the registration the workflow was
		// started with says; DecodePayload validates it.
		if err := cmd.Validate(); err != nil {
			return "", fmt.Errorf("%s without its registration: %w", cmd.Type, err)
		}
	}
	return "ext-" + cmd.EntityID, nil
}

func (w *world) lookup(_ context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lookups = append(w.lookups, l)
	if w.unreachable != nil && w.unreachable(len(w.lookups)) {
		return statemachine.Observation{}, errors.New("503 service unavailable")
	}
	if w.found != nil {
		return w.found(l), nil
	}
	return statemachine.Observation{Lookup: l, Found: true}, nil
}

// keys returns the idempotency keys of the calls of type t.
func (w *world) keys(t statemachine.EventType) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ks []string
	for _, c := range w.calls {
		if c.Type == t {
			ks = append(ks, c.EventID)
		}
	}
	return ks
}

// newEnv returns a test environment with every workflow registered as a
// worker on flow v1 registers them and the downstream activities played by
// a new world.
func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *world) {
	t.Helper()
	return newFlowEnv(t, statemachine.FlowV1)
}

// newFlowEnv is newEnv with the workflows of a worker on flow f.
func newFlowEnv(t *testing.T, f statemachine.Flow) (*testsuite.TestWorkflowEnvironment, *world) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	Workflows{Flow: f}.Register(env)
	a := &Activities{Settings: production}
	env.RegisterActivity(a)
	w := &world{queues: map[string]string{}}
	env.OnActivity(a.Call, mock.Anything, mock.Anything).Return(w.call).Maybe()
	env.OnActivity(a.Lookup, mock.Anything, mock.Anything).Return(w.lookup).Maybe()
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.queues[info.ActivityType.Name] = info.TaskQueue
	})
	return env, w
}

// testWriter writes to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// event returns a webhook's event about entity, as tcr.Translate makes it.
func event(t statemachine.EventType, entity, id string, payload any) statemachine.Envelope {
	raw, _ := json.Marshal(payload)
	return statemachine.Envelope{Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: id,
		EntityID: entity, Actor: "webhook", Payload: raw}
}

// at signals ev to the workflow workflowID after d of test time.
func at(t *testing.T, env *testsuite.TestWorkflowEnvironment, d time.Duration, workflowID string, ev statemachine.Envelope) {
	env.RegisterDelayedCallback(func() {
		if err := env.SignalWorkflowByID(workflowID, SignalEvent, ev); err != nil {
			t.Errorf("signal %s to %s at %v: %v", ev.Type, workflowID, d, err)
		}
	}, d)
}

// startOptions starts the workflow under test with the id its record's
// webhooks are signalled to.
func startOptions(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id, TaskQueue: TaskQueue}
}

func registration(t statemachine.EventType, id string, p any) statemachine.Envelope {
	ev := event(t, id, "register-"+id, p)
	ev.Actor = "test"
	return ev
}

func campaignRegistration(numbers ...string) statemachine.Envelope {
	return registration(statemachine.CampaignRegister, "c-1",
		statemachine.CampaignRegistration{BrandID: "b-1", UseCase: "2FA", Description: "sign-in codes",
			SampleMessages: []string{"Your code is 123456"}, Numbers: numbers})
}

func carrierEvent(t statemachine.EventType, c statemachine.Carrier, id string) statemachine.Envelope {
	return event(t, "c-1", id, statemachine.CarrierUpdate{Carrier: c})
}

// brandVerifiedAt plays a brand that the campaign's signal reached and that
// tells the campaign it is VERIFIED after d.
func brandVerifiedAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, d time.Duration) {
	env.OnSignalExternalWorkflow(mock.Anything, WorkflowID(statemachine.KindBrand, "b-1"), "", SignalWaitForBrand, mock.Anything).Return(nil)
	at(t, env, d, WorkflowID(statemachine.KindCampaign, "c-1"),
		event(statemachine.BrandVerified, "b-1", "brand/b-1/outcome", nil))
}

// result returns the record the workflow ended with.
func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) statemachine.Record {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var rec statemachine.Record
	if err := env.GetWorkflowResult(&rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestBrandVerified(t *testing.T) {
	env, w := newEnv(t)
	bw := WorkflowID(statemachine.KindBrand, "b-1")
	env.SetStartWorkflowOptions(startOptions(bw))
	at(t, env, 10*time.Minute, bw, event(statemachine.BrandVerified, "b-1", "wh-1", statemachine.Identity{Status: "VERIFIED"}))
	env.ExecuteWorkflow(Brand, registration(statemachine.BrandRegister, "b-1", statemachine.BrandRegistration{LegalName: "Acme"}))
	rec := result(t, env)
	if rec.State != statemachine.Verified || rec.ExternalID != "ext-b-1" {
		t.Errorf("brand ended %s external id %q, want VERIFIED ext-b-1", rec.State, rec.ExternalID)
	}
	if got := w.keys(statemachine.CmdSubmitBrand); len(got) != 1 {
		t.Errorf("brand submissions %v, want one", got)
	}
	if len(w.lookups) != 0 {
		t.Errorf("look-ups %v before the 1-hour threshold, want none", w.lookups)
	}
}

// A carrier review of 5 days passes the state's 3-day threshold: the
// workflow asks the carriers that have not decided, finds them still
// deciding, re-sends nothing, and goes on when their answers come.
func TestCampaignFiveDayCarrierReview(t *testing.T) {
	env, w := newEnv(t)
	brandVerifiedAt(t, env, time.Minute)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	day := 24 * time.Hour
	at(t, env, 2*day, cw, event(statemachine.CampaignReviewApproved, "c-1", "wh-review", nil))
	at(t, env, 2*day+time.Hour, cw, carrierEvent(statemachine.CampaignCarrierApproved, statemachine.CarrierTMobile, "wh-tmo"))
	at(t, env, 6*day, cw, carrierEvent(statemachine.CampaignCarrierReview, statemachine.CarrierATT, "wh-att-review"))
	at(t, env, 7*day, cw, carrierEvent(statemachine.CampaignCarrierApproved, statemachine.CarrierATT, "wh-att"))
	at(t, env, 7*day, cw, carrierEvent(statemachine.CampaignCarrierApproved, statemachine.CarrierVerizon, "wh-vz"))
	at(t, env, 7*day+time.Hour, WorkflowID(statemachine.KindNumber, "+12025550100"),
		event(statemachine.NumberRegistered, "+12025550100", "wh-num", nil))
	env.SetStartWorkflowOptions(startOptions(cw))
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Active {
		t.Fatalf("campaign ended %s (%v), want ACTIVE", rec.State, rec.Reason)
	}
	if got := w.keys(statemachine.CmdCarrierSubmit); len(got) != 3 {
		t.Errorf("carrier submissions %v, want one per carrier", got)
	}
	// The threshold passed at day 5 with AT&T and Verizon undecided.
	var carriers []string
	for _, l := range w.lookups {
		carriers = append(carriers, string(l.To))
	}
	if want := []string{"att", "verizon"}; !slices.Equal(carriers, want) {
		t.Errorf("look-ups %v, want %v", carriers, want)
	}
	for c, s := range rec.Carriers {
		if s != statemachine.CarrierApproved {
			t.Errorf("carrier %s: %s, want APPROVED", c, s)
		}
	}
	if got := rec.Numbers["+12025550100"]; got != statemachine.NumberRegisteredStatus {
		t.Errorf("number status %s, want REGISTERED", got)
	}
}

// The registry lost a number's registration (its webhook never comes, its
// look-up finds nothing): after the state's 24-hour threshold the workflow
// registers it again under a new idempotency key.
func TestNumberLostRequestResentAfter24h(t *testing.T) {
	env, w := newEnv(t)
	found := false
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		return statemachine.Observation{Lookup: l, Found: found}
	}
	nw := WorkflowID(statemachine.KindNumber, "+12025550100")
	env.RegisterDelayedCallback(func() {
		if keys := w.keys(statemachine.CmdRegisterNumber); len(keys) != 2 {
			t.Errorf("at 25 h: registrations %v, want the first and one re-send", keys)
		}
		found = true
	}, 25*time.Hour)
	at(t, env, 26*time.Hour, nw, event(statemachine.NumberRegistered, "+12025550100", "wh-num", nil))
	env.SetStartWorkflowOptions(startOptions(nw))
	env.ExecuteWorkflow(Number, registration(statemachine.NumberRegister, "+12025550100",
		statemachine.NumberRegistration{CampaignID: "c-1", Number: "+12025550100"}))
	rec := result(t, env)
	if rec.State != statemachine.Registered {
		t.Fatalf("number ended %s, want REGISTERED", rec.State)
	}
	keys := w.keys(statemachine.CmdRegisterNumber)
	if len(keys) != 2 || keys[0] == keys[1] || !strings.HasSuffix(keys[1], "/resend-1") {
		t.Errorf("registration keys %v, want a first and a re-send under a new key", keys)
	}
	if got := w.queues["Call"]; got != ActivityQueue(statemachine.ToNumbers) {
		t.Errorf("calls ran on task queue %q, want the numbers queue (its rate limit)", got)
	}
}

// A webhook lost but the decision made: the look-up finds it and the
// workflow takes it as if the webhook had come, without re-sending.
func TestBrandLostWebhookRecoveredByLookup(t *testing.T) {
	env, w := newEnv(t)
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		return statemachine.Observation{Lookup: l, Found: true,
			Events: []statemachine.Envelope{event(statemachine.BrandVerified, "b-1", "wh-lost", statemachine.Identity{Status: "VERIFIED"})}}
	}
	env.ExecuteWorkflow(Brand, registration(statemachine.BrandRegister, "b-1", statemachine.BrandRegistration{LegalName: "Acme"}))
	rec := result(t, env)
	if rec.State != statemachine.Verified || rec.LastMessageID != "wh-lost" {
		t.Errorf("brand ended %s after %q, want VERIFIED after the looked-up event", rec.State, rec.LastMessageID)
	}
	if got := w.keys(statemachine.CmdSubmitBrand); len(got) != 1 {
		t.Errorf("submissions %v, want one: a found decision is not re-sent", got)
	}
	if got := w.queues["Lookup"]; got != ActivityQueue(statemachine.ToRegistry) {
		t.Errorf("look-up ran on %q, want the registry's queue", got)
	}
}

// A carrier that never decides: as the baseline's sweeper counts, the
// look-up that finds it still deciding for the MaxChecks+1st time gives up
// with 30901.
func TestCampaignGivesUpAfterMaxChecks(t *testing.T) {
	env, w := newEnv(t)
	brandVerifiedAt(t, env, time.Minute)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	at(t, env, time.Hour, cw, event(statemachine.CampaignReviewApproved, "c-1", "wh-review", nil))
	for i, c := range []statemachine.Carrier{statemachine.CarrierATT, statemachine.CarrierTMobile} {
		at(t, env, 2*time.Hour, cw, carrierEvent(statemachine.CampaignCarrierApproved, c, fmt.Sprint("wh-", i)))
	}
	env.SetStartWorkflowOptions(startOptions(cw))
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Failed || rec.Reason == nil || rec.Reason.Code != statemachine.CodeTimeout {
		t.Fatalf("campaign ended %s %v, want FAILED 30901", rec.State, rec.Reason)
	}
	if got, want := len(w.lookups), production.MaxChecks+1; got != want {
		t.Errorf("look-ups %d, want %d (one per threshold, Verizon only)", got, want)
	}
	if want := 3 * 24 * time.Hour * time.Duration(production.MaxChecks+1); rec.StateEnteredAt.Sub(rec.CreatedAt) < want {
		t.Errorf("gave up after %v, want at least %v", rec.StateEnteredAt.Sub(rec.CreatedAt), want)
	}
}

// Carriers' answers that overtake the reviewer's verdict, and duplicates of
// every webhook, are each taken once, in the step that expects them.
func TestCampaignEarlyAndDuplicateSignals(t *testing.T) {
	env, w := newEnv(t)
	brandVerifiedAt(t, env, time.Minute)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	for _, d := range []time.Duration{2 * time.Hour, 3 * time.Hour} { // every webhook twice
		for i, c := range statemachine.Carriers {
			at(t, env, d, cw, carrierEvent(statemachine.CampaignCarrierApproved, c, fmt.Sprint("wh-carrier-", i)))
		}
		at(t, env, d+time.Hour, cw, event(statemachine.CampaignReviewApproved, "c-1", "wh-review", nil))
	}
	env.SetStartWorkflowOptions(startOptions(cw))
	env.RegisterDelayedCallback(func() {
		if err := env.SignalWorkflowByID(WorkflowID(statemachine.KindNumber, "+12025550100"), SignalEvent,
			event(statemachine.NumberRegistered, "+12025550100", "wh-num", nil)); err != nil {
			t.Errorf("signal number: %v", err)
		}
	}, 5*time.Hour)
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Active {
		t.Fatalf("campaign ended %s %v, want ACTIVE", rec.State, rec.Reason)
	}
	want := []string{"register-c-1", "wh-review", "wh-carrier-0", "wh-carrier-1", "wh-carrier-2"}
	if !slices.Equal(rec.Applied, want) {
		t.Errorf("applied %v, want %v", rec.Applied, want)
	}
	if len(w.lookups) != 0 {
		t.Errorf("look-ups %v, want none", w.lookups)
	}
}

// A carrier's rejection ends the campaign REJECTED with its reason.
func TestCampaignCarrierRejection(t *testing.T) {
	env, _ := newEnv(t)
	brandVerifiedAt(t, env, time.Minute)
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	at(t, env, time.Hour, cw, event(statemachine.CampaignReviewApproved, "c-1", "wh-review", nil))
	at(t, env, 2*time.Hour, cw, event(statemachine.CampaignCarrierRejected, "c-1", "wh-att",
		statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT, Code: 30899, Description: "content"}))
	env.SetStartWorkflowOptions(startOptions(cw))
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Rejected || rec.Reason == nil || rec.Reason.Code != 30899 {
		t.Errorf("campaign ended %s %v, want REJECTED 30899", rec.State, rec.Reason)
	}
	if rec.Carriers[statemachine.CarrierATT] != statemachine.CarrierRejected {
		t.Errorf("AT&T status %s, want REJECTED", rec.Carriers[statemachine.CarrierATT])
	}
}

// A campaign whose wait-for-brand signal comes while the brand is telling
// the campaigns that signalled before it is told too: no campaign waits on a
// brand that ended.
func TestBrandTellsCampaignsThatSignalWhileItTells(t *testing.T) {
	env, _ := newEnv(t)
	bw := WorkflowID(statemachine.KindBrand, "b-1")
	env.SetStartWorkflowOptions(startOptions(bw))
	signal := func(d time.Duration, campaign string) {
		env.RegisterDelayedCallback(func() {
			if err := env.SignalWorkflowByID(bw, SignalWaitForBrand, campaign); err != nil {
				t.Errorf("signal from %s: %v", campaign, err)
			}
		}, d)
	}
	signal(time.Minute, "campaign/c-1")
	at(t, env, 10*time.Minute, bw, event(statemachine.BrandVerified, "b-1", "wh-1", statemachine.Identity{Status: "VERIFIED"}))
	// Telling c-1 takes a minute; c-2 signals half-way.
	env.OnSignalExternalWorkflow(mock.Anything, "campaign/c-1", "", SignalEvent, mock.Anything).After(time.Minute).Return(nil).Once()
	env.OnSignalExternalWorkflow(mock.Anything, "campaign/c-2", "", SignalEvent, mock.Anything).Return(nil).Once()
	signal(10*time.Minute+30*time.Second, "campaign/c-2")
	env.ExecuteWorkflow(Brand, registration(statemachine.BrandRegister, "b-1", statemachine.BrandRegistration{LegalName: "Acme"}))
	if rec := result(t, env); rec.State != statemachine.Verified {
		t.Fatalf("brand ended %s, want VERIFIED", rec.State)
	}
	env.AssertExpectations(t)
}

// The re-drives and checks count as the baseline's sweeper counts them: a
// downstream that cannot be asked counts nothing and is asked again an hour
// later, not a threshold later; a re-send restarts the checks; the look-up
// that finds the re-sent request still undecided for the MaxChecks+1st time
// gives up with 30901, without sending anything more.
func TestNumberRedrivesCountAsTheBaseline(t *testing.T) {
	env, w := newEnv(t)
	var times []time.Time
	w.unreachable = func(n int) bool { times = append(times, env.Now()); return n <= 3 }
	w.found = func(l statemachine.Lookup) statemachine.Observation {
		// The 4th look-up finds nothing: the request was lost.
		return statemachine.Observation{Lookup: l, Found: len(w.lookups) != 4}
	}
	nw := WorkflowID(statemachine.KindNumber, "+12025550100")
	env.SetStartWorkflowOptions(startOptions(nw))
	env.ExecuteWorkflow(Number, registration(statemachine.NumberRegister, "+12025550100",
		statemachine.NumberRegistration{CampaignID: "c-1", Number: "+12025550100"}))
	rec := result(t, env)
	if rec.State != statemachine.Failed || rec.Reason == nil || rec.Reason.Code != statemachine.CodeTimeout {
		t.Fatalf("number ended %s %v, want FAILED 30901", rec.State, rec.Reason)
	}
	// One reconciliation that reached nobody (3 attempts of its look-up),
	// 1 lost (re-sent), then MaxChecks+1 still deciding.
	if got, want := len(w.lookups), 3+1+production.MaxChecks+1; got != want {
		t.Errorf("look-ups %d, want %d", got, want)
	}
	if keys := w.keys(statemachine.CmdRegisterNumber); len(keys) != 2 {
		t.Errorf("registrations %v, want the first and one re-send", keys)
	}
	if gap := times[3].Sub(times[2]); gap != time.Hour {
		t.Errorf("an unreachable downstream was asked again after %v, want an hour", gap)
	}
	if gap := times[4].Sub(times[3]); gap != 24*time.Hour {
		t.Errorf("after the re-send, asked again after %v, want the 24 h threshold", gap)
	}
}

// A brand that took the campaign's signal but ended without telling it
// (terminated by an operator) leaves the campaign waiting a PENDING
// threshold, then the campaign reads the brand's outcome.
func TestCampaignReadsABrandThatNeverTold(t *testing.T) {
	env, _ := newEnv(t)
	env.OnSignalExternalWorkflow(mock.Anything, WorkflowID(statemachine.KindBrand, "b-1"), "", SignalWaitForBrand, mock.Anything).Return(nil)
	var a *Activities
	var asked time.Time
	env.OnActivity(a.BrandOutcome, mock.Anything, "b-1").Return(func(context.Context, string) (statemachine.State, error) {
		asked = env.Now()
		return statemachine.Failed, nil
	})
	cw := WorkflowID(statemachine.KindCampaign, "c-1")
	env.SetStartWorkflowOptions(startOptions(cw))
	start := env.Now()
	env.ExecuteWorkflow(CampaignWorkflow, campaignRegistration("+12025550100"))
	rec := result(t, env)
	if rec.State != statemachine.Rejected || rec.Reason == nil || rec.Reason.Code != statemachine.CodeInvalidEIN {
		t.Fatalf("campaign ended %s %v, want REJECTED 30795 (brand FAILED)", rec.State, rec.Reason)
	}
	if got, want := asked.Sub(start), production.Threshold(statemachine.KindCampaign, statemachine.Pending); got < want {
		t.Errorf("read the brand after %v, want after the PENDING threshold %v", got, want)
	}
}

// A downstream that answers 503 for the whole of a call's window fails the
// record with 30901, as the baseline gives up on a command it never got
// through.
func TestNumberFailsWith30901WhenItsCallNeverGetsThrough(t *testing.T) {
	env, w := newEnv(t)
	w.callErr = errors.New("http 503: service unavailable")
	nw := WorkflowID(statemachine.KindNumber, "+12025550100")
	env.SetStartWorkflowOptions(startOptions(nw))
	start := env.Now()
	env.ExecuteWorkflow(Number, registration(statemachine.NumberRegister, "+12025550100",
		statemachine.NumberRegistration{CampaignID: "c-1", Number: "+12025550100"}))
	rec := result(t, env)
	if rec.State != statemachine.Failed || rec.Reason == nil || rec.Reason.Code != statemachine.CodeTimeout {
		t.Fatalf("number ended %s %v, want FAILED 30901", rec.State, rec.Reason)
	}
	window := production.Threshold(statemachine.KindNumber, statemachine.Pending) * time.Duration(production.MaxRedrives+production.MaxChecks+1)
	if got := rec.StateEnteredAt.Sub(start); got > window {
		t.Errorf("gave up after %v, past the call's window %v", got, window)
	}
}
