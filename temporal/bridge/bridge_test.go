package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
	"github.com/tendlc/tendlc/temporal/devserver"
	"github.com/tendlc/tendlc/temporal/flow"
)

// system is the bridge's world for one test: the embedded Temporal server
// with a worker running the delegated review (the registry played by
// activities that accept every submission and never decide), and the
// legacy events queue on the SQS emulator.
type system struct {
	c         client.Client
	namespace string
	api       *sqs.Client
	eventsURL string
	events    *sqsq.Producer
	db        string       // the server's database file
	submitted atomic.Int32 // the registry's submissions
	stop      func()       // stops the server, its client and workers
}

func newSystem(t *testing.T) *system {
	t.Helper()
	api := awstest.SQS(t)
	out, err := api.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(awstest.Prefix(t) + "events")})
	if err != nil {
		t.Fatal(err)
	}
	s := &system{api: api, eventsURL: aws.ToString(out.QueueUrl), db: filepath.Join(t.TempDir(), "bridge.db")}
	if s.events, err = sqsq.NewProducer(api, s.eventsURL); err != nil {
		t.Fatal(err)
	}
	s.serve(t)
	return s
}

// serve starts the embedded server on s's database file, a client of it
// and the workers; s.stop stops them all, the first half of a restart (the
// next server takes another port: devserver.Server.Stop says why).
func (s *system) serve(t *testing.T) {
	t.Helper()
	srv, err := devserver.New(devserver.Config{DBPath: s.db})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	var workers []worker.Worker
	var c client.Client
	s.stop = sync.OnceFunc(func() {
		for _, w := range workers {
			w.Stop()
		}
		if c != nil {
			c.Close()
		}
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(s.stop)
	s.namespace = srv.Namespace()
	c, err = client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: s.namespace,
		Logger: log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	s.c = c
	// An hour's threshold: no look-up within a test.
	acts := &flow.Activities{Settings: flow.NewSettings(sweeper.DefaultPolicy().Uniform(time.Hour), 0.01, time.Hour), Events: s.events}
	wf := worker.New(c, flow.TaskQueue, worker.Options{})
	flow.Workflows{Flow: statemachine.FlowV2}.Register(wf)
	wf.RegisterActivity(acts.ReadSettings)
	wf.RegisterActivity(acts.ReportResult)
	registry := worker.New(c, flow.ActivityQueue(statemachine.ToRegistry), worker.Options{})
	registry.RegisterActivityWithOptions(func(context.Context, statemachine.Envelope) (string, error) {
		s.submitted.Add(1)
		return "ext", nil
	}, activity.RegisterOptions{Name: "Call"})
	registry.RegisterActivityWithOptions(func(_ context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
		return statemachine.Observation{Lookup: l, Found: true}, nil
	}, activity.RegisterOptions{Name: "Lookup"})
	for _, w := range []worker.Worker{wf, registry} {
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
}

// command is the message a legacy replica sends to the temporal queue for
// campaign, with the command's event id.
func command(t *testing.T, campaign, id string) *message.Message {
	t.Helper()
	raw, _ := json.Marshal(statemachine.DelegatedEvidence{CampaignID: campaign,
		Evidence: statemachine.Evidence{UseCase: "2FA", Description: "sign-in codes", SampleMessages: []string{"Your code is 123456"}}})
	env := statemachine.Envelope{Type: statemachine.CmdDelegateEvidence, SchemaVersion: statemachine.SchemaVersion, EventID: id,
		EntityID: campaign, OccurredAt: time.Now().UTC(), CorrelationID: "corr-" + campaign, Actor: "regd", Payload: raw}
	return messageOf(t, env)
}

// messageOf is env as a message of the temporal queue.
func messageOf(t *testing.T, env statemachine.Envelope) *message.Message {
	t.Helper()
	body, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return &message.Message{ID: "m-" + env.EventID, Queue: string(statemachine.ToTemporal), Body: body, Attributes: env.Attributes()}
}

// decision is the registry's evidence decision about campaign as the
// webhook handler hands it to the sink.
func decision(t *testing.T, campaign string) statemachine.Envelope {
	t.Helper()
	envs, err := tcr.Translate(tcr.WebhookEvent{EventType: tcr.EventCampaignEvidenceApproved, EventID: "wh-" + campaign,
		CampaignID: campaign, Timestamp: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return envs[0]
}

// received returns the next event on the events queue, within a deadline.
func (s *system) received(t *testing.T) statemachine.Envelope {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := s.api.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.eventsURL), MaxNumberOfMessages: 1, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if _, err := s.api.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(s.eventsURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			env, err := statemachine.DecodeEnvelope([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatal(err)
			}
			return env
		}
	}
	t.Fatal("no event on the events queue within 30s")
	return statemachine.Envelope{}
}

// workflows returns the ids of campaign's delegated reviews visibility knows.
func (s *system) workflows(t *testing.T, campaign string) []string {
	t.Helper()
	out, err := s.c.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.namespace,
		Query: fmt.Sprintf("WorkflowId STARTS_WITH '%s'", flow.DelegatedEvidencePrefix(campaign))})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range out.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}

// lookup asks the status endpoint about campaign's command as the legacy
// sweeper does.
func lookup(t *testing.T, status http.Handler, campaign, command string) (statemachine.Observation, error) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(StatusPattern, status)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := tcr.NewClient(tcr.ClientConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c.Lookup(t.Context(), statemachine.Lookup{To: statemachine.ToTemporal, Kind: statemachine.KindCampaign, ID: campaign,
		Of: statemachine.LookupEvidence, Ref: command})
}

// eventually polls cond until it holds or 30 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// The hand-off end to end: a command starts one workflow however often it
// comes; the status look-up answers 404 before it, no decision while the
// registry decides, the decision after; the registry's webhook reaches the
// workflow through the sink; the workflow reports the decision to the events
// queue with the id the look-up's copy has; the same command after the end
// re-sends that result.
func TestHandOff(t *testing.T) {
	s := newSystem(t)
	ctx := t.Context()
	d := NewDrainer(s.c, s.events, nil)
	status := NewStatus(s.c, s.namespace, slog.New(slog.DiscardHandler), nil)
	sink := NewSink(s.c, s.namespace, s.events, nil)

	if obs, err := lookup(t, status, "c-1", "cmd-1"); err != nil || obs.Found {
		t.Fatalf("look-up before any command: %+v %v, want not found", obs, err)
	}
	cmd := command(t, "c-1", "cmd-1")
	for range 2 {
		if err := d.Handle(ctx, cmd); err != nil {
			t.Fatalf("handle the command: %v", err)
		}
	}
	eventually(t, "the workflow in visibility", func() bool { return len(s.workflows(t, "c-1")) > 0 })
	if got := s.workflows(t, "c-1"); len(got) != 1 || got[0] != "evidence/c-1/cmd-1" {
		t.Fatalf("workflows %v after a duplicate command, want one: evidence/c-1/cmd-1", got)
	}
	if obs, err := lookup(t, status, "c-1", "cmd-1"); err != nil || !obs.Found || len(obs.Events) != 0 {
		t.Fatalf("look-up while deciding: %+v %v, want found, no event", obs, err)
	}
	if obs, err := lookup(t, status, "c-1", "cmd-0"); err != nil || obs.Found {
		t.Fatalf("look-up of another command of the campaign: %+v %v, want not found", obs, err)
	}

	if err := sink.Send(ctx, decision(t, "c-1")); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(sink.Routed.WithLabelValues("workflow")); got != 1 {
		t.Fatalf("%v decisions signalled to a workflow, want 1", got)
	}
	result := s.received(t)
	if result.Type != statemachine.CampaignEvidenceApproved || result.EntityID != "c-1" || result.Actor != flow.BridgeActor || result.CorrelationID != "corr-c-1" {
		t.Fatalf("result %+v, want c-1's evidence approved, by the bridge, in the command's correlation", result)
	}
	var res flow.DelegatedResult
	if err := s.c.GetWorkflow(ctx, "evidence/c-1/cmd-1", "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	obs, err := lookup(t, status, "c-1", "cmd-1")
	if err != nil || !obs.Found || len(obs.Events) != 1 || obs.Events[0].EventID != result.EventID {
		t.Fatalf("look-up after the decision: %+v %v, want the decision with the result's id %s", obs, err, result.EventID)
	}

	if err := d.Handle(ctx, cmd); err != nil {
		t.Fatalf("handle the command after the workflow ended: %v", err)
	}
	if again := s.received(t); again.EventID != result.EventID || again.Type != result.Type {
		t.Errorf("re-sent %s %s, want the result %s %s again", again.Type, again.EventID, result.Type, result.EventID)
	}
	if got := testutil.ToFloat64(d.Commands.WithLabelValues("resent")); got != 1 {
		t.Errorf("%v results re-sent, want 1", got)
	}
	if got := s.workflows(t, "c-1"); len(got) != 1 {
		t.Errorf("workflows %v, want still one", got)
	}
}

// The Temporal server restarts while a delegated workflow waits for the
// registry's decision: the workflow survives in the server's file, the
// decision sent after the restart reaches it through the sink, its result
// reaches the events queue once, and the status look-up answers the
// decision.
func TestHandOffAcrossAServerRestart(t *testing.T) {
	s := newSystem(t)
	ctx := t.Context()
	if err := NewDrainer(s.c, s.events, nil).Handle(ctx, command(t, "c-1", "cmd-1")); err != nil {
		t.Fatalf("handle the command: %v", err)
	}
	const id = "evidence/c-1/cmd-1"
	eventually(t, "the workflow waiting for the decision", func() bool {
		d, err := s.c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && s.submitted.Load() == 1 && d.GetPendingWorkflowTask() == nil && len(d.GetPendingActivities()) == 0
	})

	s.stop()
	s.serve(t)

	sink := NewSink(s.c, s.namespace, s.events, nil)
	if err := sink.Send(ctx, decision(t, "c-1")); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(sink.Routed.WithLabelValues("workflow")); got != 1 {
		t.Fatalf("%v decisions signalled to a workflow after the restart, want 1", got)
	}
	var res flow.DelegatedResult
	if err := s.c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	result := s.received(t)
	if result.Type != statemachine.CampaignEvidenceApproved || result.EntityID != "c-1" || result.EventID != res.Event.EventID {
		t.Fatalf("result %s %s %s, want c-1's evidence approved under the workflow's id %s", result.Type, result.EntityID, result.EventID, res.Event.EventID)
	}
	// The workflow has ended, so ReportResult has sent all it will send.
	attrs, err := s.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.eventsURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs.Attributes) != 2 {
		t.Errorf("events queue attributes %v, want the two counts", attrs.Attributes)
	}
	for name, n := range attrs.Attributes {
		if n != "0" {
			t.Errorf("events queue %s = %s after the one result, want 0", name, n)
		}
	}
	if got := s.submitted.Load(); got != 1 {
		t.Errorf("%d submissions to the registry, want 1", got)
	}
	status := NewStatus(s.c, s.namespace, slog.New(slog.DiscardHandler), nil)
	obs, err := lookup(t, status, "c-1", "cmd-1")
	if err != nil || !obs.Found || len(obs.Events) != 1 || obs.Events[0].EventID != result.EventID {
		t.Fatalf("look-up after the decision: %+v %v, want the decision with the result's id %s", obs, err, result.EventID)
	}
}

// The webhooks of every other step go to the legacy events queue as they
// came, and so does a decision no delegated workflow is known to wait for
// (counted unrouted): nothing is dropped.
func TestSinkRoutes(t *testing.T) {
	s := newSystem(t)
	sink := NewSink(s.c, s.namespace, s.events, nil)
	raw, _ := json.Marshal(statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT})
	carrier := statemachine.Envelope{Type: statemachine.CampaignCarrierApproved, SchemaVersion: statemachine.SchemaVersion,
		EventID: "wh-att", EntityID: "c-9", OccurredAt: time.Now().UTC(), Actor: tcr.WebhookActor, Payload: raw}
	if err := sink.Send(t.Context(), carrier, decision(t, "c-9")); err != nil {
		t.Fatal(err)
	}
	if got := s.received(t); got.EventID != "wh-att" || got.Type != statemachine.CampaignCarrierApproved {
		t.Errorf("events queue got %s %s, want the carrier's approval wh-att", got.Type, got.EventID)
	}
	if got := s.received(t); got.Type != statemachine.CampaignEvidenceApproved || got.EntityID != "c-9" {
		t.Errorf("events queue got %s %s, want c-9's evidence decision", got.Type, got.EntityID)
	}
	if got := testutil.ToFloat64(sink.Routed.WithLabelValues("unrouted")); got != 1 {
		t.Errorf("%v unrouted decisions, want 1", got)
	}
	if got := testutil.ToFloat64(sink.Routed.WithLabelValues("events")); got != 1 {
		t.Errorf("%v events to the queue, want 1", got)
	}
}

// A message of the temporal queue that is not a delegated step's command is
// malformed: the retry middleware dead-letters it with that reason.
func TestDrainerMalformed(t *testing.T) {
	d := NewDrainer(nil, nil, nil)
	raw, _ := json.Marshal(statemachine.Evidence{UseCase: "2FA", Description: "sign-in codes", SampleMessages: []string{"Your code is 123456"}})
	m := messageOf(t, statemachine.Envelope{Type: statemachine.CmdSubmitEvidence, SchemaVersion: statemachine.SchemaVersion,
		EventID: "cmd-1", EntityID: "c-1", OccurredAt: time.Now().UTC(), Actor: "regd", Payload: raw})
	if err := d.Handle(t.Context(), m); !errors.Is(err, statemachine.ErrMalformed) {
		t.Errorf("Handle: %v, want ErrMalformed", err)
	}
}
