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
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
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
func TestFlowOnEmbeddedServer(t *testing.T) {
	ctx := t.Context()
	srv, err := devserver.New(devserver.Config{DBPath: filepath.Join(t.TempDir(), "flow.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace(),
		Logger: log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
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
	sim, err := tcrsim.New(tcrsim.Config{WebhookURL: hooks.URL, Secret: secret, Seed: 7, Drop: 0.2,
		RateLimits: map[tcrsim.Group]int{tcrsim.GroupRegistry: 0, tcrsim.GroupATT: 0, tcrsim.GroupTMobile: 0, tcrsim.GroupVerizon: 0, tcrsim.GroupNumbers: 0},
		Latencies: map[tcrsim.Step]tcrsim.Latency{tcrsim.StepRegistry: ms(10, 50), tcrsim.StepReviewer: ms(50, 200),
			tcrsim.StepATT: ms(50, 300), tcrsim.StepTMobile: ms(10, 100), tcrsim.StepVerizon: ms(50, 300), tcrsim.StepNumbers: ms(10, 100)},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sims := httptest.NewServer(sim.Handler())
	defer sims.Close()
	downstream, err := tcr.NewClient(tcr.ClientConfig{BaseURL: sims.URL})
	if err != nil {
		t.Fatal(err)
	}
	// A second's threshold, 5 re-drives, retries at a hundredth.
	settings := flow.NewSettings(sweeper.DefaultPolicy().Uniform(time.Second), 0.01, time.Second)
	settings.MaxRedrives = 5
	acts := &flow.Activities{Downstream: downstream, Temporal: c, Settings: settings}
	// The registry's task queue at 2 activities per second, shared by both
	// sets of workers. Matching's limiter is a token bucket whose burst is
	// the rate, so one second may see up to twice the rate, never more.
	const registryRate = 2
	rates := map[string]float64{"registry": registryRate, "att": 100, "tmobile": 100, "verizon": 100, "numbers": 100}
	first := startWorkers(t, c, acts, rates)

	var envs []statemachine.Envelope
	const brands, campaigns = 3, 6
	for i := range brands {
		raw, _ := json.Marshal(statemachine.BrandRegistration{LegalName: fmt.Sprintf("Acme %d", i), EIN: fmt.Sprintf("12-34%05d", i), EntityType: "PRIVATE_PROFIT"})
		envs = append(envs, statemachine.Envelope{Type: statemachine.BrandRegister, EventID: fmt.Sprintf("reg-b-%d", i), EntityID: fmt.Sprintf("b-%d", i), Payload: raw})
	}
	for i := range campaigns {
		raw, _ := json.Marshal(statemachine.CampaignRegistration{BrandID: fmt.Sprintf("b-%d", i%brands), UseCase: "2FA",
			Description: "codes", SampleMessages: []string{"code 123456"}, Numbers: []string{fmt.Sprintf("+1202555%04d", 2*i), fmt.Sprintf("+1202555%04d", 2*i+1)}})
		envs = append(envs, statemachine.Envelope{Type: statemachine.CampaignRegister, EventID: fmt.Sprintf("reg-c-%d", i), EntityID: fmt.Sprintf("c-%d", i), Payload: raw})
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
	startWorkers(t, c, acts, rates)

	var recs []statemachine.Record
	waitFor(t, 90*time.Second, "every campaign ended", func() bool {
		infos, err := listRecords(ctx, c, statemachine.KindCampaign)
		if err != nil || len(infos) != campaigns {
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
		if r.Kind == statemachine.KindCampaign && r.State != statemachine.Active {
			t.Errorf("campaign %s ended %s %v, want ACTIVE", r.ID, r.State, r.Reason)
		}
	}
	counters := sim.Counters()
	if counters.Webhooks.Dropped == 0 {
		t.Fatalf("the simulator dropped no webhook: the test shows no recovery")
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
		for _, id := range []string{"brand/b-0", "campaign/c-0", "number/+12025550000"} {
			writeHistory(t, c, id)
		}
	}
}

// startWorkers starts the workers regtemporal worker runs and stops them at
// the test's end.
func startWorkers(t *testing.T, c client.Client, acts *flow.Activities, rates map[string]float64) []worker.Worker {
	t.Helper()
	ws := newWorkers(c, acts, rates)
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

// writeHistory writes workflow id's history as the replay test reads it.
func writeHistory(t *testing.T, c client.Client, id string) {
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
	name := filepath.Join("..", "..", "flow", "testdata", "v1-"+filepath.Dir(id)+".json")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
