package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
	"github.com/tendlc/tendlc/temporal/devserver"
	"github.com/tendlc/tendlc/temporal/flow"
	"github.com/tendlc/tendlc/temporal/webhook"
)

var updateHistories = flag.Bool("update-histories", false, "rewrite ../../flow/testdata/*.json, the histories the replay test replays, from this test's run")

// The flow end to end on the embedded Temporal server regtemporal server runs
// (devserver, on a SQLite file of the test's): the simulated registry
// and carriers (tcrsim, a fifth of its webhooks dropped), the webhook shim's
// handler with the signalling sink, and the workers as regtemporal worker
// wires them, replaced by a second set mid-flight. Every campaign must end
// ACTIVE: the dropped webhooks recovered by the workflows' look-ups.
//
// The first workers run flow v1 and the second flow v2: the campaigns seeded
// first end on flow v1 whichever worker finished them, and those seeded
// after the swap pass the registry's review of their opt-in evidence.
func TestFlowOnEmbeddedServer(t *testing.T) {
	ctx := t.Context()
	srv := startServer(t)
	c := dialServer(t, srv, client.Options{})
	secret := []byte("0123456789abcdef0123456789abcdef")
	hook, err := tcrhook.NewHandler(tcrhook.HandlerConfig{Secret: tcrhook.StaticSecret(secret), Sink: webhook.NewSink(c, nil)})
	if err != nil {
		t.Fatal(err)
	}
	hooks := httptest.NewServer(hook)
	defer hooks.Close()
	ms := func(a, b int) tcrsim.Latency {
		return tcrsim.Latency{Min: time.Duration(a) * time.Millisecond, Max: time.Duration(b) * time.Millisecond}
	}
	sim, downstream := simulate(t, tcrsim.Config{WebhookURL: hooks.URL, Secret: secret, Seed: 7, Drop: 0.2,
		RateLimits: map[tcrsim.Group]int{tcrsim.GroupRegistry: 0, tcrsim.GroupATT: 0, tcrsim.GroupTMobile: 0, tcrsim.GroupVerizon: 0, tcrsim.GroupNumbers: 0},
		Latencies: map[tcrsim.Step]tcrsim.Latency{tcrsim.StepRegistry: ms(10, 50), tcrsim.StepReviewer: ms(50, 200), tcrsim.StepEvidence: ms(50, 200),
			tcrsim.StepATT: ms(50, 300), tcrsim.StepTMobile: ms(10, 100), tcrsim.StepVerizon: ms(50, 300), tcrsim.StepNumbers: ms(10, 100)}})
	// A second's threshold, 5 re-drives, retries at a hundredth.
	settings := flow.NewSettings(sweeper.DefaultPolicy().Uniform(time.Second), 0.01, time.Second)
	settings.MaxRedrives = 5
	acts := &flow.Activities{Downstream: downstream, Temporal: c, Settings: settings}
	// The registry's task queue at 2 activities per second, shared by both
	// sets of workers. Matching's limiter is a token bucket whose burst is
	// the rate, so one second may see up to twice the rate, never more.
	const registryRate = 2
	rates := map[string]float64{"registry": registryRate, "att": 100, "tmobile": 100, "verizon": 100, "numbers": 100}
	first := startWorkers(t, c, statemachine.FlowV1, acts, rates)

	var envs []statemachine.Envelope
	const brands, campaigns, campaignsV2 = 3, 6, 3
	for i := range brands {
		raw, _ := json.Marshal(statemachine.BrandRegistration{LegalName: fmt.Sprintf("Acme %d", i), EIN: fmt.Sprintf("12-34%05d", i), EntityType: "PRIVATE_PROFIT"})
		envs = append(envs, statemachine.Envelope{Type: statemachine.BrandRegister, EventID: fmt.Sprintf("reg-b-%d", i), EntityID: fmt.Sprintf("b-%d", i), Payload: raw})
	}
	for i := range campaigns {
		envs = append(envs, campaignRegistration(fmt.Sprintf("c-%d", i), fmt.Sprintf("b-%d", i%brands), 2))
	}
	if started, existing, err := seed(ctx, c, envs); err != nil || started != brands+campaigns || existing != 0 {
		t.Fatalf("seed: %d started, %d existing, %v", started, existing, err)
	}
	if started, existing, err := seed(ctx, c, envs); err != nil || started != 0 || existing != brands+campaigns {
		t.Fatalf("seed again: %d started, %d existing, %v; want nothing new", started, existing, err)
	}
	// The first workers go mid-flight; a second set takes over.
	waitFor(t, 30*time.Second, "a campaign past the registry", func() bool {
		infos, err := listRecords(ctx, c, statemachine.KindCampaign)
		for _, info := range infos {
			if s := stateOf(info); s == statemachine.CarrierReview || s == statemachine.NumbersPending {
				return true
			}
		}
		return err == nil && false
	})
	for _, w := range first {
		w.Stop()
	}
	startWorkers(t, c, statemachine.FlowV2, acts, rates)
	envs = nil
	for i := campaigns; i < campaigns+campaignsV2; i++ {
		envs = append(envs, campaignRegistration(fmt.Sprintf("c-%d", i), fmt.Sprintf("b-%d", i%brands), 2))
	}
	if started, _, err := seed(ctx, c, envs); err != nil || started != campaignsV2 {
		t.Fatalf("seed on v2: %d started, %v", started, err)
	}

	var (
		recs  []statemachine.Record
		infos map[string]*workflowpb.WorkflowExecutionInfo
	)
	waitFor(t, 90*time.Second, "every campaign ended", func() bool {
		var err error
		infos, err = listRecords(ctx, c, statemachine.KindCampaign)
		if err != nil || len(infos) != campaigns+campaignsV2 {
			return false
		}
		for _, info := range infos {
			if !closed(info) {
				return false
			}
		}
		all, err := listRecords(ctx, c)
		if err != nil {
			return false
		}
		recs, err = readRecords(ctx, c, all)
		return err == nil
	})
	for _, r := range recs {
		if r.Kind != statemachine.KindCampaign {
			continue
		}
		want := statemachine.FlowV1
		if n, _ := strconv.Atoi(strings.TrimPrefix(r.ID, "c-")); n >= campaigns {
			want = statemachine.FlowV2
		}
		if r.State != statemachine.Active || r.Flow != want {
			t.Errorf("campaign %s ended %s %v on flow %v, want ACTIVE on %v", r.ID, r.State, r.Reason, r.Flow, want)
		}
		if got := flowOf(infos[flow.WorkflowID(r.Kind, r.ID)]); got != want {
			t.Errorf("campaign %s: its search attributes say flow %v, want %v", r.ID, got, want)
		}
	}
	counters := sim.Counters()
	if counters.Webhooks.Dropped == 0 {
		t.Fatalf("the simulator dropped no webhook: the test shows no recovery")
	}
	if got := counters.Endpoints[endpointEvidence].Requests; got < campaignsV2 {
		t.Errorf("%d evidence submissions, want one per campaign on v2 (%d) at least", got, campaignsV2)
	}
	lookups := int64(0)
	for pattern, st := range counters.Endpoints {
		if pattern[:4] == "GET " {
			lookups += st.Requests
		}
	}
	if lookups == 0 {
		t.Errorf("%d webhooks dropped and no look-up made", counters.Webhooks.Dropped)
	}
	if got := counters.Groups[tcrsim.GroupRegistry].MaxReceivedPerSecond; got > 2*registryRate {
		t.Errorf("the registry received %d requests in one second, over twice the task queue's %d per second", got, registryRate)
	}
	for g, st := range counters.Groups {
		if st.Resubmitted > st.Lost {
			t.Errorf("%s: %d resubmitted, %d lost: a re-send without a loss", g, st.Resubmitted, st.Lost)
		}
	}
	t.Logf("%d records; webhooks dropped %d, look-ups %d", len(recs), counters.Webhooks.Dropped, lookups)
	if *updateHistories {
		// The histories of flow v1 were recorded before flow v2 and stay.
		writeHistory(t, c, fmt.Sprintf("campaign/c-%d", campaigns), "v2-campaign.json")
	}
}

// endpointEvidence is the simulator's route of the evidence submissions.
const endpointEvidence = "POST /registry/campaigns/{id}/evidence"

// campaignRegistration returns the registration of campaign id of brand
// with n numbers, numbered after the campaign.
func campaignRegistration(id, brand string, n int) statemachine.Envelope {
	seq, _ := strconv.Atoi(strings.TrimPrefix(id, "c-"))
	var numbers []string
	for i := range n {
		numbers = append(numbers, fmt.Sprintf("+1202555%04d", n*seq+i))
	}
	raw, _ := json.Marshal(statemachine.CampaignRegistration{BrandID: brand, UseCase: "2FA",
		Description: "codes", SampleMessages: []string{"code 123456"}, Numbers: numbers})
	return statemachine.Envelope{Type: statemachine.CampaignRegister, EventID: "reg-" + id, EntityID: id, Payload: raw}
}

// simulate serves the simulated downstreams of cfg (logging nothing) until
// the test's end, and returns them and a client of them.
func simulate(t *testing.T, cfg tcrsim.Config) (*tcrsim.Simulator, *tcr.Client) {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	sim, err := tcrsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sims := httptest.NewServer(sim.Handler())
	t.Cleanup(sims.Close)
	downstream, err := tcr.NewClient(tcr.ClientConfig{BaseURL: sims.URL})
	if err != nil {
		t.Fatal(err)
	}
	return sim, downstream
}

// startServer starts the embedded server regtemporal server runs, on a
// SQLite file of the test's, and stops it at the test's end.
func startServer(t *testing.T) *devserver.Server {
	t.Helper()
	srv, err := devserver.New(devserver.Config{DBPath: filepath.Join(t.TempDir(), "flow.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// dialServer returns a client of srv's namespace with options o, closed at the
// test's end.
func dialServer(t *testing.T, srv *devserver.Server, o client.Options) client.Client {
	t.Helper()
	o.HostPort, o.Namespace = srv.HostPort(), srv.Namespace()
	o.Logger = log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startWorkers starts the workers regtemporal worker --flow f runs and stops
// them at the test's end.
func startWorkers(t *testing.T, c client.Client, f statemachine.Flow, acts *flow.Activities, rates map[string]float64) []worker.Worker {
	t.Helper()
	ws := newWorkers(c, flow.Workflows{Flow: f}, acts, rates)
	for _, w := range ws {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	return ws
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeHistory writes workflow id's history to file name of the replay
// test's histories.
func writeHistory(t *testing.T, c client.Client, id, name string) {
	t.Helper()
	var h historypb.History
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	name = filepath.Join("..", "..", "flow", "testdata", name)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
