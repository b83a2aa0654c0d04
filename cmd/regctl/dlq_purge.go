package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ = register(&Command{
	Path:     "dlq purge",
	Summary:  "delete every message of a dead-letter queue",
	Synopsis: "--queue Q [--prefix P] --yes-really-purge",
	Help: `
Delete every message of the dead-letter queue of queue Q, for good. Without
--yes-really-purge it deletes nothing and exits with status 2. SQS allows
one purge per queue every 60 seconds and may take up to 60 seconds to finish
one; "regctl dlq list" first, and "regctl dlq redrive" what should live.

Examples:
  regctl dlq list --queue numbers
  regctl dlq purge --queue numbers --yes-really-purge
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		queue := dlqFlag(fs)
		confirm := fs.Bool("yes-really-purge", false, "confirm that every message of the dead-letter queue is to be deleted")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			logical, err := parseDLQ(*queue)
			if err != nil {
				return err
			}
			if !*confirm {
				return usageErrorf("purging deletes every message of %s for good: add --yes-really-purge", logical)
			}
			d, url, err := openDLQ(ctx, *prefix, logical)
			if err != nil {
				return err
			}
			if err := sqsq.Purge(ctx, d.sqs, url, true); err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Stdout, "purged %s (%s)\n", logical, d.set.QueueName(logical))
			return err
		}
	},
})
