package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// nodeExample is the Node.js producer of docs/wire-format.md, which
// `infra/local/stack.sh install` (run by every stack start) npm-installs.
const nodeExample = "../../docs/examples/node-producer"

// runNode runs a script of the Node.js example against d's events queue,
// with stdin, and returns what it printed.
func runNode(tb testing.TB, d deploytest.Deployment, stdin string, args ...string) string {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(nodeExample + "/node_modules/@aws-sdk/client-sqs")
	}
	if err != nil {
		if os.Getenv("TENDLC_REQUIRE_EMULATORS") != "" {
			tb.Fatalf("the Node.js example cannot run (%v); run infra/local/stack.sh install", err)
		}
		tb.Skipf("the Node.js example cannot run: %v", err)
	}
	cmd := exec.CommandContext(tb.Context(), node, args...)
	cmd.Dir = nodeExample
	cmd.Env = append(os.Environ(), "TENDLC_PREFIX="+d.Resources.Prefix, "NODE_NO_WARNINGS=1")
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("node %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// TestNodeProducerRegistersABrandAndACampaign runs the example producer
// written with the AWS SDK for JavaScript, as docs/wire-format.md tells an
// outside team to: the brand and the campaign it sends reach their states.
func TestNodeProducerRegistersABrandAndACampaign(t *testing.T) {
	d := deploytest.New(t)
	startRegd(t, d, nil)
	play(t, d, approveAll)
	numbers := []string{"+12025550611", "+12025550612"}
	out := runNode(t, d, "", append([]string{"register.mjs", "node-brand", "node-campaign"}, numbers...)...)
	t.Logf("register.mjs:\n%s", out)
	waitFor(t, d, statemachine.KindBrand, "node-brand", 60*time.Second, inState(statemachine.Verified))
	c := waitFor(t, d, statemachine.KindCampaign, "node-campaign", 60*time.Second, inState(statemachine.Active))
	for _, n := range numbers {
		if c.Numbers[n] != statemachine.NumberRegisteredStatus {
			t.Errorf("campaign number %s = %s, want REGISTERED", n, c.Numbers[n])
		}
	}
	if c.ParentID != "node-brand" || c.CorrelationID == "" {
		t.Errorf("campaign parent %q correlation %q, want node-brand and the brand's correlation id", c.ParentID, c.CorrelationID)
	}
}

// sdkAttr is a message attribute in the JavaScript SDK's shape; BinaryValue
// travels as base64.
type sdkAttr struct {
	DataType    string
	StringValue string `json:",omitempty"`
	BinaryValue []byte `json:",omitempty"`
}

func text(v string) sdkAttr { return sdkAttr{DataType: "String", StringValue: v} }

// carelessBrand returns a brand.register body for entity as docs/wire-format.md
// shows it, changed by mutate, and the attributes that mirror it.
func carelessBrand(tb testing.TB, entity string, mutate func(env, payload map[string]any)) (string, map[string]sdkAttr) {
	tb.Helper()
	payload := map[string]any{"legal_name": "Careless " + entity, "ein": "12-3456789", "entity_type": "PRIVATE_PROFIT"}
	env := map[string]any{"type": "brand.register", "schema_version": 1, "event_id": "ev-" + entity,
		"entity_id": entity, "occurred_at": time.Now().UTC().Format(time.RFC3339Nano), "payload": payload}
	if mutate != nil {
		mutate(env, payload)
	}
	b, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b), map[string]sdkAttr{"event_type": text("brand.register"), "event_id": text("ev-" + entity),
		"entity_id": text(entity), "schema_version": {DataType: "Number", StringValue: "1"}}
}

// TestCarelessProducer sends, through the JavaScript SDK, what a careless
// producer might: every message is either accepted (its record appears) or
// dead-lettered with the reason of the table; none is dropped silently.
// deferred marks the rows that are retried until their deferral budget is
// spent before they are dead-lettered.
func TestCarelessProducer(t *testing.T) {
	d := deploytest.New(t)
	short := fastPolicies
	short.Default.MaxDeferrals = 2 // spend a deferral budget in seconds
	startRegd(t, d, func(m *Main) { m.RetryPolicies = &short })

	type row struct {
		entity   string
		mutate   func(env, payload map[string]any) // of the body; nil sends it as documented
		attrs    func(map[string]sdkAttr)          // of the attributes
		body     string                            // sent instead of the envelope when set
		reason   string                            // dead-letter reason; "" when accepted
		deferred bool
	}
	rows := []row{
		{entity: "as-documented"},
		{entity: "no-attributes", attrs: func(a map[string]sdkAttr) { clear(a) }, reason: "malformed"},
		{entity: "version-attribute-as-string", attrs: func(a map[string]sdkAttr) { a["schema_version"] = text("1") }},
		{entity: "4242", attrs: func(a map[string]sdkAttr) { a["entity_id"] = sdkAttr{DataType: "Number", StringValue: "4242"} }},
		{entity: "type-attribute-as-binary", attrs: func(a map[string]sdkAttr) {
			a["event_type"] = sdkAttr{DataType: "Binary", BinaryValue: []byte("brand.register")}
		}, reason: "malformed"},
		{entity: "attribute-disagrees", attrs: func(a map[string]sdkAttr) { a["entity_id"] = text("someone-else") }, reason: "malformed"},
		{entity: "extra-attribute", attrs: func(a map[string]sdkAttr) { a["tenant"] = text("acme") }},
		{entity: "unknown-envelope-field", mutate: func(env, _ map[string]any) { env["priority"] = "high" }, reason: "unsupported_version", deferred: true},
		{entity: "unknown-payload-field", mutate: func(_, p map[string]any) { p["website"] = "https://acme.example" }, reason: "unsupported_version", deferred: true},
		{entity: "newer-version", mutate: func(env, _ map[string]any) { env["schema_version"] = 2 }, reason: "unsupported_version", deferred: true},
		{entity: "version-zero", mutate: func(env, _ map[string]any) { env["schema_version"] = 0 }, reason: "malformed"},
		{entity: "version-as-string", mutate: func(env, _ map[string]any) { env["schema_version"] = "1" }, reason: "malformed"},
		{entity: "no-occurred-at", mutate: func(env, _ map[string]any) { delete(env, "occurred_at") }, reason: "malformed"},
		{entity: "bad-ein", mutate: func(_, p map[string]any) { p["ein"] = "123" }, reason: "malformed"},
		{entity: "invalid-json", body: `{"type":"brand.register","entity_id":"invalid-json",`, reason: "malformed"},
		{entity: "oversize", mutate: func(env, _ map[string]any) { env["actor"] = strings.Repeat("x", statemachine.MaxBodyBytes) }, reason: "too_large"},
	}

	type message struct {
		Name       string             `json:"name"`
		Body       string             `json:"body"`
		Attributes map[string]sdkAttr `json:"attributes"`
	}
	var msgs []message
	byBody := map[string]row{}
	for _, r := range rows {
		body, attrs := carelessBrand(t, r.entity, r.mutate)
		if r.body != "" {
			body = r.body
		}
		if r.attrs != nil {
			r.attrs(attrs)
		}
		msgs = append(msgs, message{Name: r.entity, Body: body, Attributes: attrs})
		byBody[body] = r
	}
	in, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	out := runNode(t, d, string(in), "send-raw.mjs")
	if strings.Contains(out, `"error"`) {
		t.Fatalf("SQS refused a message:\n%s", out)
	}

	var rejected int
	for _, r := range rows {
		if r.reason == "" {
			waitFor(t, d, statemachine.KindBrand, r.entity, 60*time.Second, inState(statemachine.Pending))
		} else {
			rejected++
		}
	}
	got := deadLetters(t, d, rejected)
	dls, err := sqsq.ListDeadLetters(t.Context(), d.SQS, d.URLs["events-dlq"], 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != rejected {
		t.Errorf("%d dead letters, want %d: %v", len(dls), rejected, slices.Sorted(maps.Keys(got)))
	}
	seen := map[string]bool{}
	for _, dl := range dls {
		r, ok := byBody[dl.Body]
		if !ok {
			t.Errorf("dead letter %s (%s) is none of the rows", dl.MessageID, dl.Error)
			continue
		}
		seen[r.entity] = true
		if r.reason == "" {
			t.Errorf("%s: dead-lettered (%s: %s), want accepted", r.entity, dl.Reason, dl.Error)
			continue
		}
		if dl.Reason != r.reason || dl.Error == "" {
			t.Errorf("%s: reason %q (%s), want %q with an error text", r.entity, dl.Reason, dl.Error, r.reason)
		}
		if got := dl.Deferrals > 0; got != r.deferred {
			t.Errorf("%s: %d deferrals before the dead letter, want deferred = %v", r.entity, dl.Deferrals, r.deferred)
		}
		t.Logf("%s: %s: %s", r.entity, dl.Reason, dl.Error)
	}
	for _, r := range rows {
		if r.reason != "" && !seen[r.entity] {
			t.Errorf("%s: not in the DLQ, want reason %q", r.entity, r.reason)
		}
	}
}
