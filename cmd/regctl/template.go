package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tendlc/tendlc/infra/cfn"
	"github.com/tendlc/tendlc/infra/resources"
)

var _ = register(&Command{
	Path:     "infra template",
	Summary:  "write the CloudFormation template of a deployment",
	Synopsis: "[--prefix P] [-o FILE]",
	Help: `
Write the CloudFormation template of the deployment whose resource names start
with the prefix: every queue and dead-letter queue, the DynamoDB table, the IAM
policy of regd, the webhook Lambda function with its function URL, and a
CloudWatch alarm per dead-letter queue that fires when a message waits in it
(it notifies the SNS topic of the optional parameter AlarmTopicArn). The
template is generated from infra/resources, the same definition provisioning uses.
Deploying it needs CAPABILITY_IAM.

Examples:
  regctl infra template > tendlc.json
  regctl --prefix staging- infra template -o staging.json
  TENDLC_PREFIX=prod- regctl infra template -o prod.json
  aws cloudformation deploy --template-file prod.json --stack-name tendlc-prod \
    --capabilities CAPABILITY_IAM --parameter-overrides CodeBucket=B CodeKey=K WebhookSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:tendlc-webhook-AbCdEf \
    AlarmTopicArn=arn:aws:sns:eu-west-1:123456789012:tendlc-alarms
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		out := fs.String("o", "", "write the template to `FILE` instead of standard output")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			b, err := cfn.Template(resources.Default(*prefix))
			if err != nil {
				return err
			}
			if *out == "" {
				_, err = env.Stdout.Write(b)
				return err
			}
			if err := os.WriteFile(*out, b, 0o644); err != nil {
				return fmt.Errorf("write template: %w", err)
			}
			return nil
		}
	},
})
