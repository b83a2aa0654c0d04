package cfn

import (
	"github.com/tendlc/tendlc/statemachine"
)

// The webhook shim's environment, as cmd/webhook reads it.
const (
	envEventsQueueURL = "TENDLC_EVENTS_QUEUE_URL"
	envWebhookSecret  = "TENDLC_WEBHOOK_SECRET_ARN"
)

// defaultWebhookConcurrency is the webhook function's default reserved
// concurrency: the most instances a flood of calls can run at once.
const defaultWebhookConcurrency = "10"

// webhookLogRetentionDays is how long the shim's logs are kept.
const webhookLogRetentionDays = 30

// webhook declares the webhook shim: a Lambda function (custom runtime,
// arm64, code from S3) that checks the registry's HMAC signature and sends
// each event to the events queue, its log group and execution role, and a
// public function URL. The URL needs no IAM auth: the signature is the
// authentication. The secret stays in Secrets Manager: the template takes
// only its ARN, and the role may read that one secret. Reserved concurrency
// caps what a flood of calls can run (and cost): past it, Lambda answers 429
// and the registry retries later.
func (b *builder) webhook(queues queueRefs) {
	events := string(statemachine.ToEvents)
	if _, ok := b.set.Queue(events); !ok {
		b.fail("no %q queue in the resource set: the webhook has nowhere to send", events)
		return
	}
	name := b.set.Prefix + "webhook"
	b.name("function", name, functionNameRE)

	b.parameters["CodeBucket"] = object{
		"Type":        "String",
		"Description": "S3 bucket holding the webhook's deployment package (a zip with the bootstrap binary)",
	}
	b.parameters["CodeKey"] = object{
		"Type":        "String",
		"Description": "S3 key of the webhook's deployment package",
	}
	b.parameters["WebhookSecretArn"] = object{
		"Type":           "String",
		"AllowedPattern": "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
		"Description": "ARN of the Secrets Manager secret whose SecretString is the shared secret of the webhook signature " +
			"(at least 16 bytes), encrypted with the aws/secretsmanager key; the function re-reads it every 5 minutes, " +
			"and at most every 30 s when a signature does not match",
	}
	b.parameters["WebhookReservedConcurrency"] = object{
		"Type":        "Number",
		"Default":     defaultWebhookConcurrency,
		"MinValue":    1,
		"Description": "reserved concurrency of the webhook function: the most webhooks handled at once; above it the URL answers 429 and senders retry",
	}

	b.resource("WebhookLogGroup", resource("AWS::Logs::LogGroup", object{
		"LogGroupName":    "/aws/lambda/" + name,
		"RetentionInDays": webhookLogRetentionDays,
	}))
	// The shim counts ignored webhooks (informational, unknown types) in
	// tendlc_webhooks_ignored_total, which a Lambda function has no way to
	// expose; its log line "webhook ignored" with the reason is counted here
	// instead (infra/tcr/tcrhook's TestIgnoredWebhookLogLine pins the line).
	b.resource("WebhookIgnoredMetric", resource("AWS::Logs::MetricFilter", object{
		"LogGroupName":  ref("WebhookLogGroup"),
		"FilterPattern": `{ $.msg = "webhook ignored" }`,
		"MetricTransformations": []any{object{
			"MetricNamespace": "tendlc",
			"MetricName":      "WebhooksIgnored",
			"MetricValue":     "1",
			"Unit":            "Count",
			"Dimensions":      []any{object{"Key": "Reason", "Value": "$.reason"}},
		}},
	}))
	b.resource("WebhookRole", resource("AWS::IAM::Role", object{
		"Description": "execution role of the webhook function " + name,
		"AssumeRolePolicyDocument": object{
			"Version": "2012-10-17",
			"Statement": []any{object{
				"Effect":    "Allow",
				"Principal": object{"Service": "lambda.amazonaws.com"},
				"Action":    "sts:AssumeRole",
			}},
		},
		"Policies": []any{object{
			"PolicyName": "webhook",
			"PolicyDocument": policyDocument(
				allow("SendEvents", []string{"sqs:SendMessage"}, []any{queues.arn(events)}),
				// The log group's Arn attribute ends in ":*", which covers its
				// log streams: PutLogEvents is authorised on the stream.
				allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
					[]any{getAtt("WebhookLogGroup", "Arn")}),
				// This secret only. No kms:Decrypt: a secret under the
				// aws/secretsmanager key is decrypted by Secrets Manager.
				allow("ReadSecret", []string{"secretsmanager:GetSecretValue"}, []any{ref("WebhookSecretArn")}),
			),
		}},
	}))
	b.resource("WebhookFunction", resource("AWS::Lambda::Function", object{
		"FunctionName":  name,
		"Description":   "tendlc webhook shim: verifies the registry's signature, sends the event to " + b.set.QueueName(events),
		"Runtime":       "provided.al2023",
		"Handler":       "bootstrap",
		"Architectures": []string{"arm64"},
		"Code":          object{"S3Bucket": ref("CodeBucket"), "S3Key": ref("CodeKey")},
		"MemorySize":    128,
		"Timeout":       10,
		"Role":          getAtt("WebhookRole", "Arn"),
		"LoggingConfig": object{"LogGroup": ref("WebhookLogGroup")},
		"Environment": object{"Variables": object{
			envEventsQueueURL: ref(queues.ids[events]),
			envWebhookSecret:  ref("WebhookSecretArn"),
		}},
		"ReservedConcurrentExecutions": ref("WebhookReservedConcurrency"),
	}))
	b.resource("WebhookFunctionUrl", resource("AWS::Lambda::Url", object{
		"TargetFunctionArn": getAtt("WebhookFunction", "Arn"),
		"AuthType":          "NONE",
	}))
	// A public function URL needs both grants (Lambda, since October 2025):
	// invoking the URL, and invoking the function through the URL only.
	b.resource("WebhookUrlPermission", resource("AWS::Lambda::Permission", object{
		"FunctionName":        ref("WebhookFunction"),
		"Action":              "lambda:InvokeFunctionUrl",
		"Principal":           "*",
		"FunctionUrlAuthType": "NONE",
	}))
	b.resource("WebhookInvokePermission", resource("AWS::Lambda::Permission", object{
		"FunctionName":          ref("WebhookFunction"),
		"Action":                "lambda:InvokeFunction",
		"Principal":             "*",
		"InvokedViaFunctionUrl": true,
	}))
	b.output("WebhookUrl", "URL to register with the registry as the webhook endpoint", getAtt("WebhookFunctionUrl", "FunctionUrl"))
}
