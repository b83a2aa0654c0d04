package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ = register(&Command{
	Path:     "dlq show",
	Summary:  "print one dead letter in full: its facts, error and body",
	Synopsis: "--queue Q [--prefix P] [--limit N] [-o table|json] <message-id>",
	Help: `
Print everything about one message of the dead-letter queue of queue Q: what
"regctl dlq list" shows (both ids: the dead letter's own, and the original
one regd's logs name), and the source queue, the retry history (attempt,
deferrals, redrives, first seen, how long it was tried), the error text of its
last failure and its body (indented when it is JSON). It finds the message by
listing the queue as "regctl dlq list" does, reading at most N messages.

JSON output (-o json): the fields of a "regctl dlq list" entry, plus
  error   the error text of the last failure (at most 256 bytes)
  body    the message body, verbatim

Examples:
  regctl dlq show --queue events 1b0e6c0e-5c1d-4d43-9b0a-2f9a7c1f4e11
  regctl dlq show --queue numbers -o json 1b0e6c0e-5c1d-4d43-9b0a-2f9a7c1f4e11 | jq -r .body
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		queue := dlqFlag(fs)
		limit := fs.Int("limit", 1000, "look through at most `N` messages")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			args, err := positional(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("want one message id, got %d arguments", len(args))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			logical, now, dls, listErr, err := peekDLQ(ctx, env, *prefix, *queue, *limit)
			if err != nil {
				return err
			}
			for _, dl := range dls {
				if dl.MessageID != args[0] {
					continue
				}
				v := newDeadLetterView(dl, now, true)
				if *output == formatJSON {
					return printJSON(env.Stdout, v)
				}
				return v.writeFull(env.Stdout)
			}
			return errors.Join(listErr, fmt.Errorf("message %s: %w of %s (among the %d messages read)", args[0], sqsq.ErrNotFound, logical, len(dls)))
		}
	},
})

// writeFull prints every field of the dead letter, then its error and body.
func (v deadLetterView) writeFull(w io.Writer) error {
	firstSeen := "-"
	if v.FirstSeen != nil {
		firstSeen = stamp(*v.FirstSeen)
	}
	code := "-"
	if v.Code != 0 {
		code = fmt.Sprint(v.Code)
	}
	tw := newTable(w)
	for _, f := range [][2]string{
		{"message id", v.MessageID},
		{"original id", orDash(v.OriginalMessageID)},
		{"event type", orDash(string(v.EventType))},
		{"entity", orDash(v.EntityID)},
		{"reason", orDash(v.Reason)},
		{"class", orDash(string(v.Class))},
		{"code", code},
		{"source queue", orDash(v.SourceQueue)},
		{"attempt", fmt.Sprint(v.Attempt)},
		{"deferrals", fmt.Sprint(v.Deferrals)},
		{"redriven", fmt.Sprint(v.Redriven)},
		{"first seen", firstSeen},
		{"dead at", stamp(v.DeadAt)},
		{"tried for", seconds(v.TriedForSeconds).String()},
		{"age", seconds(v.AgeSeconds).String()},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nerror:\n%s\n\nbody:\n", indent(orDash(v.Error)))
	body := []byte(v.Body)
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	_, err := fmt.Fprintln(w, indent(strings.TrimSpace(string(body))))
	return err
}

// indent indents every line of s by two spaces.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
