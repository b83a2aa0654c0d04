package cfn

// regdSQSActions are what the consumers need: receive, delete and extend the
// visibility of their messages, send follow-ups and retries, move failed
// messages to a DLQ themselves, and resolve and inspect queues.
var regdSQSActions = []string{
	"sqs:ChangeMessageVisibility",
	"sqs:DeleteMessage",
	"sqs:GetQueueAttributes",
	"sqs:GetQueueUrl",
	"sqs:ReceiveMessage",
	"sqs:SendMessage",
}

// regdItemActions are the item-level actions on the table. TransactWriteItems
// has no IAM action of its own: it is authorised by the Put, Update, Delete
// and ConditionCheck actions on the items it touches.
var regdItemActions = []string{
	"dynamodb:BatchGetItem",
	"dynamodb:ConditionCheckItem",
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:Scan",
	"dynamodb:UpdateItem",
}

// regdIndexActions are the only actions an index supports.
var regdIndexActions = []string{"dynamodb:Query", "dynamodb:Scan"}

// regd declares the least-privilege managed policy of regd, attachable to
// whatever runs it (an ECS task role, an EC2 instance role), and an ECS task
// role with it attached.
func (b *builder) regd(queues queueRefs, table string) {
	var indexes []any
	for _, ix := range b.set.Table.Indexes {
		indexes = append(indexes, sub("${"+table+".Arn}/index/"+ix.Name))
	}
	statements := []object{
		allow("Queues", regdSQSActions, queues.arns),
		allow("TableItems", regdItemActions, []any{getAtt(table, "Arn")}),
	}
	if len(indexes) > 0 {
		statements = append(statements, allow("TableIndexes", regdIndexActions, indexes))
	}
	b.resource("RegdPolicy", resource("AWS::IAM::ManagedPolicy", object{
		"Description":    "regd (" + b.set.Prefix + "): consume and send on the tendlc queues, read and write table " + b.set.TableName(),
		"PolicyDocument": policyDocument(statements...),
	}))
	b.resource("RegdTaskRole", resource("AWS::IAM::Role", object{
		"Description": "ECS task role of regd (" + b.set.Prefix + ")",
		"AssumeRolePolicyDocument": object{
			"Version": "2012-10-17",
			"Statement": []any{object{
				"Effect":    "Allow",
				"Principal": object{"Service": "ecs-tasks.amazonaws.com"},
				"Action":    "sts:AssumeRole",
				// Confused-deputy guard: only tasks of this account.
				"Condition": object{"StringEquals": object{"aws:SourceAccount": ref("AWS::AccountId")}},
			}},
		},
		"ManagedPolicyArns": []any{ref("RegdPolicy")},
	}))
	b.output("RegdPolicyArn", "ARN of the managed policy to attach to whatever runs regd", ref("RegdPolicy"))
	b.output("RegdTaskRoleArn", "ARN of the ECS task role of regd", getAtt("RegdTaskRole", "Arn"))
}
