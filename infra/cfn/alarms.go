package cfn

import "fmt"

// alarmTopicParameter is the template parameter naming the SNS topic the
// alarms notify, and alarmTopicCondition the condition that it is given.
const (
	alarmTopicParameter = "AlarmTopicArn"
	alarmTopicCondition = "HasAlarmTopic"
)

// dlqAlarms declares one CloudWatch alarm per dead-letter queue of the resource set:
// every queue some queue names as its DeadLetter. A message in a DLQ waits
// for an operator, so one visible message for one minute is enough to alarm.
//
// AWS/SQS publishes the metrics of a queue while it holds messages (and for
// six hours after any other activity); a DLQ that is empty and idle
// publishes nothing, which is why missing data counts as not breaching.
func (b *builder) dlqAlarms(queues queueRefs) {
	b.parameters[alarmTopicParameter] = object{
		"Type":    "String",
		"Default": "",
		"Description": "ARN of the SNS topic the dead-letter queue alarms notify; " +
			"empty: the alarms change state in CloudWatch and notify no one",
	}
	b.conditions[alarmTopicCondition] = object{
		"Fn::Not": []any{object{"Fn::Equals": []any{ref(alarmTopicParameter), ""}}},
	}
	alarmed := map[string]bool{}
	for _, sq := range b.set.Queues {
		if sq.IsDLQ() || alarmed[sq.DeadLetter] {
			continue
		}
		dlq, ok := b.set.Queue(sq.DeadLetter)
		if !ok || !dlq.IsDLQ() {
			continue // queues has reported it
		}
		alarmed[dlq.Logical] = true
		name := b.set.QueueName(dlq.Logical)
		b.resource(logicalID(dlq.Logical, "DepthAlarm"), resource("AWS::CloudWatch::Alarm", object{
			"AlarmName":        name + "-depth",
			"AlarmDescription": dlqAlarmDescription(b.set.Prefix, dlq.Logical, name),
			"Namespace":        "AWS/SQS",
			"MetricName":       "ApproximateNumberOfMessagesVisible",
			"Dimensions": []any{object{
				"Name":  "QueueName",
				"Value": getAtt(queues.ids[dlq.Logical], "QueueName"),
			}},
			"Statistic":          "Maximum",
			"Period":             60,
			"EvaluationPeriods":  1,
			"Threshold":          0,
			"ComparisonOperator": "GreaterThanThreshold",
			"TreatMissingData":   "notBreaching",
			"AlarmActions": object{"Fn::If": []any{
				alarmTopicCondition, []any{ref(alarmTopicParameter)}, ref("AWS::NoValue"),
			}},
		}))
	}
}

// dlqAlarmDescription tells the operator what the alarm of the dead-letter
// queue means and which regctl commands deal with it. The prefix is written
// --prefix=P so that an empty one is still a flag with a value.
//
// CloudWatch takes at most 1024 bytes. The fixed text is under 600 and the
// names add at most 240 (a queue name has at most 80), so it always fits.
func dlqAlarmDescription(prefix, logical, name string) string {
	return fmt.Sprintf("Messages are waiting in the dead-letter queue %[1]s: tendlc gave up on them "+
		"(retries exhausted, a permanent failure, or a message that crashed its consumers) and nothing "+
		"processes them until an operator does. List them, and why each died, with "+
		"`regctl dlq list --prefix=%[2]s --queue %[3]s`; fix the cause, then send them back with "+
		"`regctl dlq redrive --prefix=%[2]s --queue %[3]s --all` (or give message ids). "+
		"Messages SQS moved after they crashed their consumers (reason \"-\") name no source queue "+
		"and stay unless given `--to` and a queue to send them to: read one with `regctl dlq show` first. "+
		"The alarm clears when the queue is empty.",
		name, prefix, logical)
}
