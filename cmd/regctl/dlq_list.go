package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ = register(&Command{
	Path:     "dlq list",
	Summary:  "list the messages of a dead-letter queue",
	Synopsis: "--queue Q [--prefix P] [--limit N] [-o table|json]",
	Help: `
List up to N messages of the dead-letter queue of queue Q, oldest death first,
without removing them: they are received with a short visibility timeout and
made visible again at once (a message regctl could not release reappears
within 30 seconds). For each: its message id (the dead letter's own, which
the dlq commands take), its original id (the message that failed, as the
message_id of regd's "dead-lettered" log line names it), how long it has been
dead, why it was dead-lettered (the reason: "exhausted" or a permanent failure
class; "-" for a message SQS's RedrivePolicy moved after it crashed its
consumers), the class of its last failure, the CPaaS error code of a
rejection, its event type and entity, and the attempt it died on. "regctl dlq
show" prints one in full. Ages are computed as of now, or as of the RFC 3339 time in REGCTL_NOW.

Q is a queue's logical name: events, registry, att, tmobile, verizon or
numbers ("events-dlq" is accepted too).

JSON output (-o json):
  as_of                  RFC 3339
  queue                  the dead-letter queue's logical name, such as "events-dlq"
  dead_letters[]         oldest death first
    message_id           the dead letter's id, which dlq show and dlq redrive take
    original_message_id  the id of the message that failed, as regd's logs name
                         it; a message SQS moved keeps its id; "" if unknown
    dead_at              when it was dead-lettered
    age_seconds          as_of minus dead_at
    reason               "exhausted", a permanent class, or "" (moved by the RedrivePolicy)
    class                class of the last failure
    code                 CPaaS error code of a rejection, 0 if none
    event_type, entity_id
    attempt, deferrals, redriven
    first_seen           when the message was first sent, or null
    tried_for_seconds    dead_at minus first_seen, 0 if unknown
    source_queue         URL of the queue it failed on ("" if unknown)

Examples:
  regctl dlq list --queue events
  regctl dlq list --queue tmobile --limit 500 -o json | jq -r '.dead_letters[].message_id'
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		queue := dlqFlag(fs)
		limit := fs.Int("limit", sqsq.DefaultListMax, "list at most `N` messages")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			// A listing that failed part way still shows what it read.
			logical, now, dls, listErr, err := peekDLQ(ctx, env, *prefix, *queue, *limit)
			if err != nil {
				return err
			}
			rep := deadLetters{AsOf: now, Queue: logical, DeadLetters: []deadLetterView{}}
			for _, dl := range dls {
				rep.DeadLetters = append(rep.DeadLetters, newDeadLetterView(dl, now, false))
			}
			if *output == formatJSON {
				err = printJSON(env.Stdout, rep)
			} else {
				err = rep.writeTable(env.Stdout)
			}
			return errors.Join(listErr, err)
		}
	},
})

// deadLetters is the output of dlq list.
type deadLetters struct {
	AsOf        time.Time        `json:"as_of"`
	Queue       string           `json:"queue"`
	DeadLetters []deadLetterView `json:"dead_letters"`
}

func (r deadLetters) writeTable(w io.Writer) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "MESSAGE ID\tORIGINAL ID\tAGE\tREASON\tCLASS\tCODE\tEVENT TYPE\tENTITY\tATTEMPT")
	for _, d := range r.DeadLetters {
		code := "-"
		if d.Code != 0 {
			code = fmt.Sprint(d.Code)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t%d\n", d.MessageID, orDash(d.OriginalMessageID), seconds(d.AgeSeconds),
			orDash(d.Reason), orDash(string(d.Class)), code, orDash(string(d.EventType)), orDash(d.EntityID), d.Attempt)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d dead letters in %s\n", len(r.DeadLetters), r.Queue)
	return err
}
