package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// env returns a Getenv reading vars.
func env(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

func TestSelectMode(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantMode string
		wantRest []string
	}{
		{"serve", []string{"webhook", "serve", "--addr", ":0"}, nil, modeServe, []string{"--addr", ":0"}},
		{"lambda subcommand", []string{"webhook", "lambda"}, nil, modeLambda, []string{}},
		{"unknown subcommand", []string{"webhook", "listen"}, nil, "listen", []string{}},
		{"nothing outside Lambda", []string{"webhook"}, nil, "", nil},
		{"flags only outside Lambda", []string{"webhook", "-h"}, nil, "", []string{"-h"}},
		{"in the Lambda runtime", []string{"webhook"}, map[string]string{envLambdaRuntime: "127.0.0.1:9001"}, modeLambda, []string{}},
		{"named bootstrap", []string{"/var/task/bootstrap"}, nil, modeLambda, []string{}},
		{"named bootstrap, serve asked", []string{"./bootstrap", "serve"}, nil, modeServe, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode, rest := selectMode(tt.args, env(tt.env))
			if got, want := mode, tt.wantMode; got != want {
				t.Errorf("mode = %q, want %q", got, want)
			}
			if got, want := rest, tt.wantRest; len(got)+len(want) > 0 && !slices.Equal(got, want) {
				t.Errorf("rest = %q, want %q", got, want)
			}
		})
	}
}

func TestRunServe(t *testing.T) {
	q := newEventsQueue(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	m := &Main{
		// No queue URL: the shim finds the events queue of the prefix.
		Getenv:   env(map[string]string{envSecretFile: secretFile(t, testSecret), envPrefix: q.prefix}),
		Stderr:   stderr,
		Listener: l,
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"webhook", "serve"}) }()

	// The listener exists already, so a request waits until the server runs.
	url := "http://" + l.Addr().String() + "/webhooks"
	body := []byte(shareAccept)
	status, answer := post(t, url, body, tcr.Sign([]byte(testSecret), url, body, time.Now()))
	if got, want := status, http.StatusAccepted; got != want {
		t.Fatalf("status = %d (%v), want %d; logs:\n%s", got, answer, want, stderr)
	}
	env, attrs := q.takeOne(t)
	if env.Type != statemachine.CampaignReviewApproved {
		t.Errorf("Type = %s, want %s", env.Type, statemachine.CampaignReviewApproved)
	}
	if !strings.Contains(answer, env.EventID) {
		t.Errorf("answer %s lacks the event id on the queue %s", answer, env.EventID)
	}
	if got, want := attrs[statemachine.AttrEventType], string(statemachine.CampaignReviewApproved); got != want {
		t.Errorf("event_type attribute = %q, want %q", got, want)
	}
	if got, want := attrs[statemachine.AttrEventID], env.EventID; got != want {
		t.Errorf("event_id attribute = %q, want %q", got, want)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("Run = %d, want %d; logs:\n%s", code, exitOK, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10s after its context ended")
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"webhook listening"`, `"msg":"webhook enqueued"`, `"msg":"webhook stopped"`, q.url} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	assertNoSecrets(t, logs)
}

// In Lambda, as the template configures it, the secret comes from Secrets
// Manager.
func TestRunLambda(t *testing.T) {
	q := newEventsQueue(t)
	startSecretsManager(t, testSecret)
	var started lambda.Handler
	stderr := &lockedBuffer{}
	m := &Main{
		Getenv: env(map[string]string{envSecretARN: testSecretARN, envEventsQueueURL: q.url, envLambdaRuntime: "127.0.0.1:9001"}),
		Stderr: stderr,
		startLambda: func(_ context.Context, h lambda.Handler) error {
			started = h
			return nil
		},
	}
	if got, want := m.Run(t.Context(), []string{"/var/task/bootstrap"}), exitOK; got != want {
		t.Fatalf("Run = %d, want %d; logs:\n%s", got, want, stderr)
	}
	if started == nil {
		t.Fatal("Run did not start the Lambda runtime")
	}
	invokeRun := func(event []byte) events.LambdaFunctionURLResponse {
		t.Helper()
		out, err := started.Invoke(t.Context(), event)
		if err != nil {
			t.Fatal(err)
		}
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}

	// The function URL fixture with a webhook signed now.
	var ev map[string]any
	if err := json.Unmarshal(readFixture(t, "function-url.json"), &ev); err != nil {
		t.Fatal(err)
	}
	body := shareAccept
	url := "https://" + ev["requestContext"].(map[string]any)["domainName"].(string) + ev["rawPath"].(string)
	ev["body"] = body
	ev["headers"].(map[string]any)["x-registry-signature"] = tcr.Sign([]byte(testSecret), url, []byte(body), time.Now())
	fresh, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp := invokeRun(fresh); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook signed now: response = %d %s, want 202", resp.StatusCode, resp.Body)
	}
	if env, _ := q.takeOne(t); env.Type != statemachine.CampaignReviewApproved {
		t.Errorf("Type = %s, want %s", env.Type, statemachine.CampaignReviewApproved)
	}

	// The fixture as it is was signed at testNow, long before the real clock:
	// a replay.
	resp := invokeRun(readFixture(t, "function-url.json"))
	if got, want := resp.StatusCode, http.StatusUnauthorized; got != want || !strings.Contains(resp.Body, "stale webhook signature") {
		t.Fatalf("replayed fixture: response = %d %s, want %d stale webhook signature", got, resp.Body, want)
	}
	if got := awstest.Depth(t, q.api, q.url); got != 0 {
		t.Errorf("%d messages on the queue, want none", got)
	}
	assertNoSecrets(t, stderr.String())
}

func TestRunRefusesToStart(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     string // on stderr
	}{
		{"no secret", []string{"webhook", "serve"}, map[string]string{envEventsQueueURL: "http://q"},
			exitFailure, "no webhook secret source: set TENDLC_WEBHOOK_SECRET_ARN"},
		{"short secret", []string{"webhook", "serve"}, map[string]string{envSecretFile: secretFile(t, "short"), envEventsQueueURL: "http://q"},
			exitFailure, "webhook secret: secret is 5 bytes, want at least 16"},
		{"no subcommand outside Lambda", []string{"webhook"}, nil, exitUsage, "name a subcommand"},
		{"unknown subcommand", []string{"webhook", "listen"}, nil, exitUsage, `unknown subcommand "listen"`},
		{"stray argument", []string{"webhook", "serve", "now"}, nil, exitUsage, `unexpected arguments ["now"]`},
		{"unknown flag", []string{"webhook", "serve", "--port", "9500"}, nil, exitUsage, "flag provided but not defined: -port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			m := &Main{Getenv: env(tt.env), Stdout: &bytes.Buffer{}, Stderr: &stderr}
			if got, want := m.Run(t.Context(), tt.args), tt.wantCode; got != want {
				t.Errorf("Run = %d, want %d; stderr:\n%s", got, want, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, &stderr)
			}
		})
	}
}

func TestRunWithAnUnreadableSecret(t *testing.T) {
	startSecretsManager(t, testSecret)
	var stderr bytes.Buffer
	m := &Main{
		Getenv: env(map[string]string{envSecretARN: testSecretARN + "-other", envEventsQueueURL: "http://q"}),
		Stderr: &stderr,
	}
	if got, want := m.Run(t.Context(), []string{"webhook", "serve", "--addr", "127.0.0.1:0"}), exitFailure; got != want {
		t.Fatalf("Run = %d, want %d; stderr:\n%s", got, want, &stderr)
	}
	if want := "webhook secret: read secret " + testSecretARN + "-other"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}
}

func TestRunWithoutTheEventsQueue(t *testing.T) {
	q := newEventsQueue(t) // exists, under another prefix
	var stderr bytes.Buffer
	m := &Main{
		Getenv: env(map[string]string{envSecretFile: secretFile(t, testSecret), envPrefix: "no-such-" + q.prefix}),
		Stderr: &stderr,
		SQS:    q.api,
	}
	if got, want := m.Run(t.Context(), []string{"webhook", "serve", "--addr", "127.0.0.1:0"}), exitFailure; got != want {
		t.Fatalf("Run = %d, want %d; stderr:\n%s", got, want, &stderr)
	}
	if want := "find the events queue no-such-" + q.prefix + "events"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, &stderr)
	}
}

func TestRunHelp(t *testing.T) {
	var stdout bytes.Buffer
	m := &Main{Getenv: env(nil), Stdout: &stdout, Stderr: &bytes.Buffer{}}
	if got, want := m.Run(t.Context(), []string{"webhook", "-h"}), exitOK; got != want {
		t.Fatalf("Run = %d, want %d", got, want)
	}
	if !strings.Contains(stdout.String(), "usage: webhook serve") {
		t.Errorf("help lacks the usage:\n%s", &stdout)
	}
}
