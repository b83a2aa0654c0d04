package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ = register(&Command{
	Path:     "dlq redrive",
	Summary:  "send dead letters back to the queues they failed on, or to a queue you name",
	Synopsis: "--queue Q [--to T] [--prefix P] [-o table|json] (--all | <message-id>...)",
	Help: `
Send messages of the dead-letter queue of queue Q back to the queue each
failed on (or, with --to, to queue T), then delete them from the dead-letter
queue (a failure in between leaves a duplicate, never a loss). The copy keeps
the body and the envelope attributes and starts a fresh retry history
(attempt 1) that counts the redrive. Give the message ids ("regctl dlq list"
shows them), or --all.

Messages SQS's RedrivePolicy moved (they crashed their consumers, or were
received too often) name no source queue: without --to they are left where
they are; --to sends them to queue T. Ids not in the queue, and messages
left, make the exit status 1; the others are sent back all the same.

T is a queue's logical name: events, registry, att, tmobile, verizon or
numbers, with the deployment's prefix as for Q.

JSON output (-o json):
  queue     the dead-letter queue's logical name
  to        T, or "" (each message's source queue)
  redriven  the number of messages sent back

Examples:
  regctl dlq redrive --queue events 1b0e6c0e-5c1d-4d43-9b0a-2f9a7c1f4e11
  regctl dlq redrive --queue verizon --all
  regctl dlq redrive --queue events --to events --all
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		queue := dlqFlag(fs)
		to := fs.String("to", "", "send the messages to queue `T` (events, registry, ...), not to the queue each failed on")
		all := fs.Bool("all", false, "send back every message of the dead-letter queue")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			ids, err := positional(fs, args)
			if err != nil {
				return err
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			logical, err := parseDLQ(*queue)
			if err != nil {
				return err
			}
			if *to != "" {
				if err := checkQueue("--to", *to); err != nil {
					return err
				}
			}
			switch {
			case *all && len(ids) > 0:
				return usageErrorf("give message ids or --all, not both")
			case !*all && len(ids) == 0:
				return usageErrorf("give message ids, or --all")
			}
			d, url, err := openDLQ(ctx, *prefix, logical)
			if err != nil {
				return err
			}
			toURL := ""
			if *to != "" {
				if toURL, err = d.queueURL(ctx, *to); err != nil {
					return err
				}
			}
			n, redriveErr := sqsq.RedriveTo(ctx, d.sqs, url, ids, toURL) // nil ids: all
			if errors.Is(redriveErr, sqsq.ErrNoSource) {
				redriveErr = errors.Join(redriveErr, errors.New("send a dead letter without a source queue to a queue you name with --to"))
			}
			if *output == formatJSON {
				err = printJSON(env.Stdout, struct {
					Queue    string `json:"queue"`
					To       string `json:"to"`
					Redriven int    `json:"redriven"`
				}{logical, *to, n})
			} else if *to != "" {
				_, err = fmt.Fprintf(env.Stdout, "sent %d messages of %s to %s\n", n, logical, *to)
			} else {
				_, err = fmt.Fprintf(env.Stdout, "sent %d messages of %s back to their queues\n", n, logical)
			}
			return errors.Join(redriveErr, err)
		}
	},
})
