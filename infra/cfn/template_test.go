package cfn

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// parsed is the part of a CloudFormation template the tests look into.
type parsed struct {
	Parameters map[string]map[string]any
	Resources  map[string]struct {
		Type           string
		Properties     map[string]any
		DeletionPolicy string
	}
	Conditions map[string]any
	Outputs    map[string]struct{ Value any }
}

func render(tb testing.TB, s resources.Set) ([]byte, parsed) {
	tb.Helper()
	b, err := Template(s)
	if err != nil {
		tb.Fatalf("Template: %v", err)
	}
	var p parsed
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatalf("template is not JSON: %v", err)
	}
	return b, p
}

// find returns the logical id of the only resource of type typ whose property
// prop is value.
func (p parsed) find(tb testing.TB, typ, prop, value string) string {
	tb.Helper()
	var ids []string
	for id, r := range p.Resources {
		if r.Type == typ && r.Properties[prop] == value {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		tb.Fatalf("%s with %s=%q: found %v, want exactly one", typ, prop, value, ids)
	}
	return ids[0]
}

// canon re-encodes a JSON value, so that values compare independently of how
// they were built.
func canon(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestTemplateGolden(t *testing.T) {
	got, _ := render(t, resources.Default("tendlc-"))
	golden := filepath.Join("testdata", "template.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./infra/cfn -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("template differs from %s; if the change is intended, run go test ./infra/cfn -update and review the diff", golden)
	}
	again, _ := render(t, resources.Default("tendlc-"))
	if !bytes.Equal(got, again) {
		t.Error("two renderings of the same resource set differ")
	}
}

func TestTemplateQueuesCarryTheSpecAttributes(t *testing.T) {
	s := resources.Default("tq-")
	_, p := render(t, s)
	var queues int
	for _, r := range p.Resources {
		if r.Type == "AWS::SQS::Queue" {
			queues++
		}
	}
	if got, want := queues, len(s.Queues); got != want {
		t.Errorf("%d queues in the template, want %d", got, want)
	}
	for _, q := range s.Queues {
		t.Run(q.Logical, func(t *testing.T) {
			id := p.find(t, "AWS::SQS::Queue", "QueueName", s.QueueName(q.Logical))
			props := p.Resources[id].Properties
			dlqID := ""
			if !q.IsDLQ() {
				dlqID = p.find(t, "AWS::SQS::Queue", "QueueName", s.QueueName(q.DeadLetter))
			}
			for attr, want := range q.Attributes("DLQ-ARN") {
				got, ok := props[attr]
				if !ok {
					t.Errorf("property %s missing", attr)
					continue
				}
				if attr == "RedrivePolicy" {
					policy := got.(map[string]any)
					if got, want := canon(t, policy["deadLetterTargetArn"]), canon(t, getAtt(dlqID, "Arn")); got != want {
						t.Errorf("deadLetterTargetArn = %s, want %s", got, want)
					}
					policy["deadLetterTargetArn"] = "DLQ-ARN"
					if got, want := canon(t, policy), canon(t, json.RawMessage(want)); got != want {
						t.Errorf("RedrivePolicy = %s, want %s", got, want)
					}
					continue
				}
				if got := canon(t, got); got != want {
					t.Errorf("%s = %s, want %s", attr, got, want)
				}
			}
			if got, want := len(props), len(q.Attributes(""))+1; got != want {
				t.Errorf("%d properties %v, want the %d attributes and QueueName", got, props, want-1)
			}
			if _, ok := p.Outputs[id+"Url"]; !ok {
				t.Errorf("no output %sUrl", id)
			}
		})
	}
}

func TestTemplateTable(t *testing.T) {
	s := resources.Default("tt-")
	_, p := render(t, s)
	id := p.find(t, "AWS::DynamoDB::Table", "TableName", s.TableName())
	table := p.Resources[id]
	props := table.Properties
	if got, want := props["BillingMode"], "PAY_PER_REQUEST"; got != want {
		t.Errorf("BillingMode = %v, want %v", got, want)
	}
	if got, want := canon(t, props["KeySchema"]),
		`[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`; got != want {
		t.Errorf("KeySchema = %s, want %s", got, want)
	}
	if got, want := canon(t, props["AttributeDefinitions"]),
		`[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},`+
			`{"AttributeName":"waiting","AttributeType":"S"},{"AttributeName":"wait_since_ms","AttributeType":"N"},`+
			`{"AttributeName":"parent","AttributeType":"S"}]`; got != want {
		t.Errorf("AttributeDefinitions = %s, want %s", got, want)
	}
	gsis := props["GlobalSecondaryIndexes"].([]any)
	if got, want := len(gsis), len(s.Table.Indexes); got != want {
		t.Fatalf("%d indexes, want %d", got, want)
	}
	// Each index projects only what its reader uses.
	for i, want := range []string{
		`{"IndexName":"waiting_keys","KeySchema":[{"AttributeName":"waiting","KeyType":"HASH"},{"AttributeName":"wait_since_ms","KeyType":"RANGE"}],` +
			`"Projection":{"ProjectionType":"KEYS_ONLY"}}`,
		`{"IndexName":"children","KeySchema":[{"AttributeName":"parent","KeyType":"HASH"},{"AttributeName":"pk","KeyType":"RANGE"}],` +
			`"Projection":{"NonKeyAttributes":["id","kind","state"],"ProjectionType":"INCLUDE"}}`,
	} {
		if got := canon(t, gsis[i]); got != want {
			t.Errorf("index %d = %s, want %s", i, got, want)
		}
	}
	if got, want := canon(t, props["TimeToLiveSpecification"]), `{"AttributeName":"expires_at","Enabled":true}`; got != want {
		t.Errorf("TimeToLiveSpecification = %s, want %s", got, want)
	}
	if got, want := table.DeletionPolicy, "Retain"; got != want {
		t.Errorf("DeletionPolicy = %q, want %q", got, want)
	}
}

// statement is one IAM policy statement as the template writes it.
type statement struct {
	Sid      string
	Effect   string
	Action   []string
	Resource []any
}

// statements returns the statements of the identity policies of the template
// (managed and inline), by the logical id of the resource declaring them.
func (p parsed) statements(tb testing.TB) map[string][]statement {
	tb.Helper()
	decode := func(doc any) []statement {
		var d struct{ Statement []statement }
		if err := json.Unmarshal([]byte(canon(tb, doc)), &d); err != nil {
			tb.Fatalf("policy document %s: %v", canon(tb, doc), err)
		}
		return d.Statement
	}
	out := map[string][]statement{}
	for id, r := range p.Resources {
		switch r.Type {
		case "AWS::IAM::ManagedPolicy":
			out[id] = append(out[id], decode(r.Properties["PolicyDocument"])...)
		case "AWS::IAM::Role":
			policies, _ := r.Properties["Policies"].([]any)
			for _, pol := range policies {
				out[id] = append(out[id], decode(pol.(map[string]any)["PolicyDocument"])...)
			}
		}
	}
	return out
}

func TestTemplateIAMNamesEveryResource(t *testing.T) {
	// No action this template grants needs Resource "*" (AWS requires it for
	// a few, such as sqs:ListQueues, none of which regd or the webhook use),
	// so no statement may have one, nor a wildcard action.
	_, p := render(t, resources.Default("ti-"))
	all := p.statements(t)
	if len(all) == 0 {
		t.Fatal("no IAM statements found")
	}
	for id, stmts := range all {
		for _, st := range stmts {
			if st.Effect != "Allow" || len(st.Resource) == 0 || len(st.Action) == 0 {
				t.Errorf("%s/%s: %+v, want an Allow with actions and resources", id, st.Sid, st)
			}
			for _, r := range st.Resource {
				if s, ok := r.(string); ok && strings.Contains(s, "*") {
					t.Errorf("%s/%s: resource %q", id, st.Sid, s)
				}
			}
			for _, a := range st.Action {
				if strings.Contains(a, "*") {
					t.Errorf("%s/%s: action %q", id, st.Sid, a)
				}
			}
		}
	}
}

func TestTemplateIAMScopes(t *testing.T) {
	s := resources.Default("ts-")
	_, p := render(t, s)
	all := p.statements(t)
	table := p.find(t, "AWS::DynamoDB::Table", "TableName", s.TableName())
	var queueRefs []any
	for _, q := range s.Queues {
		queueRefs = append(queueRefs, getAtt(p.find(t, "AWS::SQS::Queue", "QueueName", s.QueueName(q.Logical)), "Arn"))
	}
	events := getAtt(p.find(t, "AWS::SQS::Queue", "QueueName", s.QueueName(string(statemachine.ToEvents))), "Arn")
	var indexArns []any
	for _, ix := range s.Table.Indexes {
		indexArns = append(indexArns, sub("${"+table+".Arn}/index/"+ix.Name))
	}

	tests := []struct {
		policy, sid string
		actions     []string
		resources   []any
	}{
		{"RegdPolicy", "Queues", []string{"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
			"sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"}, queueRefs},
		{"RegdPolicy", "TableItems", []string{"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
			"dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"}, []any{getAtt(table, "Arn")}},
		{"RegdPolicy", "TableIndexes", []string{"dynamodb:Query", "dynamodb:Scan"}, indexArns},
		{"WebhookRole", "SendEvents", []string{"sqs:SendMessage"}, []any{events}},
		{"WebhookRole", "Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []any{getAtt("WebhookLogGroup", "Arn")}},
		{"WebhookRole", "ReadSecret", []string{"secretsmanager:GetSecretValue"}, []any{ref("WebhookSecretArn")}},
	}
	for _, tt := range tests {
		t.Run(tt.policy+"/"+tt.sid, func(t *testing.T) {
			i := slices.IndexFunc(all[tt.policy], func(st statement) bool { return st.Sid == tt.sid })
			if i < 0 {
				t.Fatalf("no statement %s in %s", tt.sid, tt.policy)
			}
			st := all[tt.policy][i]
			if got, want := canon(t, st.Action), canon(t, tt.actions); got != want {
				t.Errorf("actions = %s, want %s", got, want)
			}
			if got, want := canon(t, st.Resource), canon(t, tt.resources); got != want {
				t.Errorf("resources = %s, want %s", got, want)
			}
		})
	}
	for policy, want := range map[string]int{"RegdPolicy": 3, "WebhookRole": 3} {
		if got := len(all[policy]); got != want {
			t.Errorf("%s has %d statements, want %d", policy, got, want)
		}
	}
}

func TestTemplateWebhook(t *testing.T) {
	s := resources.Default("tw-")
	_, p := render(t, s)
	fn := p.find(t, "AWS::Lambda::Function", "FunctionName", "tw-webhook")
	props := p.Resources[fn].Properties
	events := p.find(t, "AWS::SQS::Queue", "QueueName", "tw-events")
	for prop, want := range map[string]any{
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []string{"arm64"},
		"MemorySize":    128,
		"Timeout":       10,
		"Code":          object{"S3Bucket": ref("CodeBucket"), "S3Key": ref("CodeKey")},
		"Role":          getAtt("WebhookRole", "Arn"),
		"LoggingConfig": object{"LogGroup": ref("WebhookLogGroup")},
		"Environment": object{"Variables": object{
			"TENDLC_EVENTS_QUEUE_URL":   ref(events),
			"TENDLC_WEBHOOK_SECRET_ARN": ref("WebhookSecretArn"),
		}},
		"ReservedConcurrentExecutions": ref("WebhookReservedConcurrency"),
	} {
		if got, want := canon(t, props[prop]), canon(t, want); got != want {
			t.Errorf("%s = %s, want %s", prop, got, want)
		}
	}
	// The secret itself is never a parameter or a variable: only its ARN.
	if _, ok := p.Parameters["WebhookSecret"]; ok {
		t.Error("the template takes the webhook secret itself as a parameter")
	}
	if got, want := p.Parameters["WebhookSecretArn"]["Type"], "String"; got != want {
		t.Errorf("WebhookSecretArn Type = %v, want %v", got, want)
	}
	// In Lambda, where there is no /metrics to scrape, the ignored webhooks
	// (unknown types among them) are counted from the shim's log lines.
	filter := p.Resources["WebhookIgnoredMetric"]
	if got, want := filter.Type, "AWS::Logs::MetricFilter"; got != want {
		t.Fatalf("WebhookIgnoredMetric is a %q, want %q", got, want)
	}
	if got, want := canon(t, filter.Properties["LogGroupName"]), canon(t, ref("WebhookLogGroup")); got != want {
		t.Errorf("metric filter reads %s, want %s", got, want)
	}
	if got, want := filter.Properties["FilterPattern"], `{ $.msg = "webhook ignored" }`; got != want {
		t.Errorf("FilterPattern = %v, want %v", got, want)
	}
	if got, want := canon(t, filter.Properties["MetricTransformations"]), canon(t, []any{object{
		"MetricNamespace": "tendlc", "MetricName": "WebhooksIgnored", "MetricValue": "1", "Unit": "Count",
		"Dimensions": []any{object{"Key": "Reason", "Value": "$.reason"}},
	}}); got != want {
		t.Errorf("MetricTransformations = %s, want %s", got, want)
	}
	if got, want := p.Resources["WebhookLogGroup"].Properties["LogGroupName"], "/aws/lambda/tw-webhook"; got != want {
		t.Errorf("log group = %v, want %v", got, want)
	}
	if _, ok := p.Resources["WebhookLogGroup"].Properties["RetentionInDays"]; !ok {
		t.Error("log group has no retention")
	}
	url := p.find(t, "AWS::Lambda::Url", "AuthType", "NONE")
	if got, want := canon(t, p.Resources[url].Properties["TargetFunctionArn"]), canon(t, getAtt(fn, "Arn")); got != want {
		t.Errorf("function URL targets %s, want %s", got, want)
	}
	for action, condition := range map[string]string{
		"lambda:InvokeFunctionUrl": "FunctionUrlAuthType",
		"lambda:InvokeFunction":    "InvokedViaFunctionUrl",
	} {
		perm := p.find(t, "AWS::Lambda::Permission", "Action", action)
		pp := p.Resources[perm].Properties
		if got, want := canon(t, pp["FunctionName"]), canon(t, ref(fn)); got != want {
			t.Errorf("%s: FunctionName = %s, want %s", action, got, want)
		}
		if _, ok := pp[condition]; !ok {
			t.Errorf("%s: no %s: the grant would not be limited to the function URL", action, condition)
		}
	}
	for _, out := range []string{"WebhookUrl", "RegdPolicyArn", "RecordsTableName"} {
		if _, ok := p.Outputs[out]; !ok {
			t.Errorf("no output %s", out)
		}
	}
}

// dlqs returns the logical names of the dead-letter queues of s, in
// its order: every queue some queue names as its DeadLetter.
func dlqs(s resources.Set) []string {
	var out []string
	for _, q := range s.Queues {
		if !q.IsDLQ() && !slices.Contains(out, q.DeadLetter) {
			out = append(out, q.DeadLetter)
		}
	}
	return out
}

func TestTemplateDLQAlarms(t *testing.T) {
	tests := []struct {
		name string
		edit func(*resources.Set)
	}{
		{"default", func(*resources.Set) {}},
		{"a queue added", func(s *resources.Set) {
			s.Queues = append(s.Queues,
				resources.Queue{Logical: "extra-dlq"},
				resources.Queue{Logical: "extra", DeadLetter: "extra-dlq", MaxReceiveCount: 3})
		}},
		{"two queues, one DLQ", func(s *resources.Set) {
			s.Queues = append(s.Queues, resources.Queue{Logical: "events-replay", DeadLetter: "events-dlq", MaxReceiveCount: 3})
		}},
		{"empty prefix", func(s *resources.Set) { s.Prefix = "" }},
		{"longest prefix", func(s *resources.Set) { s.Prefix = strings.Repeat("p", 64-len("webhook")) }}, // the function name's limit
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resources.Default("ta-")
			tt.edit(&s)
			_, p := render(t, s)
			want := dlqs(s)
			if len(want) == 0 {
				t.Fatal("the resource set has no dead-letter queues")
			}

			// The queue each alarm watches, by the logical id its dimension names.
			watched := map[string][]string{}
			for id, r := range p.Resources {
				if r.Type != "AWS::CloudWatch::Alarm" {
					continue
				}
				var dims []struct {
					Name  string
					Value struct {
						GetAtt []string `json:"Fn::GetAtt"`
					}
				}
				if err := json.Unmarshal([]byte(canon(t, r.Properties["Dimensions"])), &dims); err != nil {
					t.Fatalf("%s: dimensions %s: %v", id, canon(t, r.Properties["Dimensions"]), err)
				}
				if len(dims) != 1 || dims[0].Name != "QueueName" || len(dims[0].Value.GetAtt) != 2 || dims[0].Value.GetAtt[1] != "QueueName" {
					t.Errorf("%s: dimensions %s, want QueueName from Fn::GetAtt QueueName", id, canon(t, r.Properties["Dimensions"]))
					continue
				}
				watched[dims[0].Value.GetAtt[0]] = append(watched[dims[0].Value.GetAtt[0]], id)
			}
			if got := len(watched); got != len(want) {
				t.Errorf("alarms watch %d queues %v, want the %d dead-letter queues %v", got, watched, len(want), want)
			}

			for _, dlq := range want {
				queue := p.find(t, "AWS::SQS::Queue", "QueueName", s.QueueName(dlq))
				alarms := watched[queue]
				if len(alarms) != 1 {
					t.Errorf("%s: alarms %v, want exactly one", dlq, alarms)
					continue
				}
				props := p.Resources[alarms[0]].Properties
				for prop, want := range map[string]any{
					"Namespace":          "AWS/SQS",
					"MetricName":         "ApproximateNumberOfMessagesVisible",
					"Statistic":          "Maximum",
					"Period":             60,
					"EvaluationPeriods":  1,
					"Threshold":          0,
					"ComparisonOperator": "GreaterThanThreshold",
					"TreatMissingData":   "notBreaching",
					"AlarmActions": object{"Fn::If": []any{
						"HasAlarmTopic", []any{ref("AlarmTopicArn")}, ref("AWS::NoValue"),
					}},
				} {
					if got, want := canon(t, props[prop]), canon(t, want); got != want {
						t.Errorf("%s: %s = %s, want %s", dlq, prop, got, want)
					}
				}
				description, _ := props["AlarmDescription"].(string)
				for _, fragment := range []string{
					s.QueueName(dlq),
					"regctl dlq list --prefix=" + s.Prefix + " --queue " + dlq + "`",
					"regctl dlq redrive --prefix=" + s.Prefix + " --queue " + dlq + " ",
				} {
					if !strings.Contains(description, fragment) {
						t.Errorf("%s: description %q does not mention %q", dlq, description, fragment)
					}
				}
				if got, max := len(description), 1024; got > max {
					t.Errorf("%s: description of %d bytes, CloudWatch takes at most %d", dlq, got, max)
				}
			}
		})
	}
}

func TestTemplateAlarmTopic(t *testing.T) {
	_, p := render(t, resources.Default("tp-"))
	param := p.Parameters["AlarmTopicArn"]
	if got, want := canon(t, param["Default"]), `""`; got != want {
		t.Errorf("AlarmTopicArn Default = %s, want %s: the topic must be optional", got, want)
	}
	if got, want := param["Type"], "String"; got != want {
		t.Errorf("AlarmTopicArn Type = %v, want %v", got, want)
	}
	if got, want := canon(t, p.Conditions["HasAlarmTopic"]),
		`{"Fn::Not":[{"Fn::Equals":[{"Ref":"AlarmTopicArn"},""]}]}`; got != want {
		t.Errorf("condition HasAlarmTopic = %s, want %s", got, want)
	}
}

func TestTemplateRejectsUndeployableSpecs(t *testing.T) {
	tests := []struct {
		name string
		edit func(*resources.Set)
		want string // a fragment of the error
	}{
		{"prefix with a space", func(s *resources.Set) { s.Prefix = "my stack-" }, `prefix "my stack-"`},
		{"prefix too long for a queue", func(s *resources.Set) { s.Prefix = strings.Repeat("p", 75) }, "queue name"},
		{"no events queue", func(s *resources.Set) {
			s.Queues = slices.DeleteFunc(s.Queues, func(q resources.Queue) bool { return q.Logical == "events" })
		}, `no "events" queue`},
		{"missing dead-letter queue", func(s *resources.Set) {
			s.Queues = slices.DeleteFunc(s.Queues, func(q resources.Queue) bool { return q.Logical == "registry-dlq" })
		}, `dead-letter queue "registry-dlq"`},
		{"two names, one logical id", func(s *resources.Set) {
			s.Queues = append(s.Queues, resources.Queue{Logical: "events_dlq"})
		}, "two resources with logical id EventsDlqQueue"},
		{"index attribute of two types", func(s *resources.Set) {
			s.Table.Indexes = append(s.Table.Indexes, resources.Index{Name: "x", Hash: "waiting", Range: "pk", RangeType: "N"})
		}, "attribute pk is both S and N"},
		{"index without a projection", func(s *resources.Set) { s.Table.Indexes[0].Projection = "" }, `projection ""`},
		{"INCLUDE projection of nothing", func(s *resources.Set) { s.Table.Indexes[1].NonKey = nil }, "names no attribute"},
		{"KEYS_ONLY projection with attributes", func(s *resources.Set) {
			s.Table.Indexes[0].NonKey = []string{"state"}
		}, "a KEYS_ONLY projection includes no attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := resources.Default("tr-")
			tt.edit(&s)
			_, err := Template(s)
			if err == nil {
				t.Fatal("Template succeeded, want an error")
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not mention %q", got, tt.want)
			}
		})
	}
}

func TestLogicalID(t *testing.T) {
	tests := []struct{ name, suffix, want string }{
		{"events", "Queue", "EventsQueue"},
		{"events-dlq", "Queue", "EventsDlqQueue"},
		{"tmobile", "Queue", "TmobileQueue"},
		{"records", "Table", "RecordsTable"},
		{"a.b_c", "", "ABC"},
	}
	for _, tt := range tests {
		if got := logicalID(tt.name, tt.suffix); got != tt.want {
			t.Errorf("logicalID(%q, %q) = %q, want %q", tt.name, tt.suffix, got, tt.want)
		}
	}
}
