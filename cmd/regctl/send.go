package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

var _ = register(&Command{
	Path:     "send",
	Summary:  "put events on the events queue, as a producer does",
	Synopsis: "[--prefix P] (--type T --entity ID [--payload JSON] | --file F) [--correlation-id C] [--actor A] [-o table|json]",
	Help: `
Send events to the events queue of the deployment through the producer
(infra/sqsq.Producer): one event given by flags, or a batch read from a file
of newline-delimited JSON envelopes ("-" reads standard input; blank lines
are skipped). A file envelope needs "type" and "entity_id" and may set
"payload", "event_id", "correlation_id", "actor", "occurred_at" and
"schema_version"; unknown fields are errors.

Missing fields are filled in: a random event_id, occurred_at now, the current
schema version, the actor given by --actor or else "operator:<$USER>"
("operator:unknown" without USER), and --correlation-id if given. Every
envelope is validated before anything is sent: if any is invalid, nothing is
sent and the command exits with status 2, listing every problem by line.

It prints the event ids sent. If SQS refused some of a batch, it prints the
ones sent, names the others in the error and exits with status 1: send those
again with their event ids, so that duplicates are recognised.

JSON output (-o json):
  sent[]            the events sent, in input order
    event_id
    type
    entity_id
    correlation_id  omitted when empty

Examples:
  regctl send --type brand.register --entity b1 \
    --payload '{"legal_name":"Acme","ein":"12-3456789","email":"ops@acme.test","entity_type":"PRIVATE_PROFIT"}'
  regctl send --type brand.revet_requested --entity b1 --correlation-id ticket-4711
  regctl send --file events.ndjson
  jq -c '.[]' events.json | regctl send --file - -o json
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		typ := fs.String("type", "", "send one event of type `T`, such as brand.register")
		entity := fs.String("entity", "", "the `ID` of the record the event applies to")
		payload := fs.String("payload", "", "the event's payload as `JSON`")
		eventID := fs.String("event-id", "", "the event's `ID` (default: random); set it to resend an event")
		file := fs.String("file", "", "send the newline-delimited JSON envelopes of file `F` (\"-\": standard input)")
		correlation := fs.String("correlation-id", "", "the correlation id `C` of events that do not set one")
		actor := fs.String("actor", "", "the actor `A` of events that do not set one (default \"operator:<$USER>\")")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			var lines []envelopeLine
			switch {
			case *file != "" && (*typ != "" || *entity != "" || *payload != "" || *eventID != ""):
				return usageErrorf("--file excludes --type, --entity, --payload and --event-id")
			case *file != "":
				var err error
				if lines, err = readEnvelopes(*file); err != nil {
					return err
				}
			case *typ == "" || *entity == "":
				return usageErrorf("give --type and --entity, or --file")
			default:
				lines = []envelopeLine{{name: "the envelope", env: statemachine.Envelope{
					Type: statemachine.EventType(*typ), EntityID: *entity, EventID: *eventID,
					Payload: json.RawMessage(*payload),
				}}}
			}
			defaults := statemachine.Envelope{CorrelationID: *correlation, Actor: *actor, OccurredAt: time.Now().UTC()}
			if defaults.Actor == "" {
				defaults.Actor = env.operator()
			}
			envs, err := completeEnvelopes(lines, defaults)
			if err != nil {
				return err
			}
			d, err := connect(ctx, *prefix)
			if err != nil {
				return err
			}
			p, err := d.producer(ctx)
			if err != nil {
				return err
			}
			sendErr := p.Send(ctx, envs...)
			sent := sentEvents(envs, sendErr)
			err = printSent(env.Stdout, *output, sent)
			return errors.Join(sendErr, err)
		}
	},
})

// envelopeLine is an envelope as given, and where: "line 3", or "the
// envelope" for the flags. A line that did not decode has problem set.
type envelopeLine struct {
	name    string
	env     statemachine.Envelope
	problem error
}

// readEnvelopes reads newline-delimited JSON envelopes from the file at path,
// or standard input for "-". Lines that do not decode are returned with their
// problem, for completeEnvelopes to list with the others.
func readEnvelopes(path string) ([]envelopeLine, error) {
	r := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read envelopes: %w", err)
		}
		defer f.Close()
		r = f
	}
	var lines []envelopeLine
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		text, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 {
			l := envelopeLine{name: fmt.Sprintf("line %d", n)}
			dec := json.NewDecoder(bytes.NewReader(text))
			dec.DisallowUnknownFields()
			if derr := dec.Decode(&l.env); derr != nil {
				l.problem = fmt.Errorf("%w: %v", statemachine.ErrMalformed, derr)
			} else if dec.More() {
				l.problem = fmt.Errorf("%w: more than one JSON value on the line", statemachine.ErrMalformed)
			}
			lines = append(lines, l)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read envelopes from %s: %w", path, err)
		}
	}
	if len(lines) == 0 {
		return nil, usageErrorf("no envelopes in %s", path)
	}
	return lines, nil
}

// completeEnvelopes fills the missing fields of each envelope from defaults
// (and a random event id) and validates it. It returns a usage error listing
// every problem if any envelope is invalid.
func completeEnvelopes(lines []envelopeLine, defaults statemachine.Envelope) ([]statemachine.Envelope, error) {
	envs := make([]statemachine.Envelope, 0, len(lines))
	var problems []string
	invalid := 0
	for _, l := range lines {
		e := l.env
		if e.EventID == "" {
			e.EventID = newEventID()
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = defaults.OccurredAt
		}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = statemachine.SchemaVersion
		}
		if e.CorrelationID == "" {
			e.CorrelationID = defaults.CorrelationID
		}
		if e.Actor == "" {
			e.Actor = defaults.Actor
		}
		err := l.problem
		if err == nil {
			_, err = e.Encode() // validates, and checks the size
		}
		if err != nil {
			invalid++
			for _, p := range strings.Split(err.Error(), "\n") {
				problems = append(problems, fmt.Sprintf("  %s: %s", l.name, p))
			}
		}
		envs = append(envs, e)
	}
	if invalid > 0 {
		return nil, usageErrorf("nothing sent: %d of %d envelopes are invalid:\n%s",
			invalid, len(lines), strings.Join(problems, "\n"))
	}
	return envs, nil
}

// newEventID returns a random event id.
func newEventID() string { return strings.ToLower(rand.Text()) }

// sentEvent is one event sent, as send prints it.
type sentEvent struct {
	EventID       string                 `json:"event_id"`
	Type          statemachine.EventType `json:"type"`
	EntityID      string                 `json:"entity_id"`
	CorrelationID string                 `json:"correlation_id,omitempty"`
}

// sentEvents returns the envelopes of envs that were sent: all of them unless
// err is a *sqsq.SendError naming some, none on any other error.
func sentEvents(envs []statemachine.Envelope, err error) []sentEvent {
	failed := map[string]bool{}
	if se, ok := errors.AsType[*sqsq.SendError](err); ok {
		for _, f := range se.Failed {
			failed[f.EventID] = true
		}
	} else if err != nil {
		return []sentEvent{}
	}
	sent := []sentEvent{}
	for _, e := range envs {
		if !failed[e.EventID] {
			sent = append(sent, sentEvent{EventID: e.EventID, Type: e.Type, EntityID: e.EntityID, CorrelationID: e.CorrelationID})
		}
	}
	return sent
}

// printSent prints the events sent in format: a table, or JSON.
func printSent(w io.Writer, format string, sent []sentEvent) error {
	if format == formatJSON {
		return printJSON(w, struct {
			Sent []sentEvent `json:"sent"`
		}{sent})
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "EVENT ID\tTYPE\tENTITY\tCORRELATION ID")
	for _, s := range sent {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.EventID, s.Type, s.EntityID, orDash(s.CorrelationID))
	}
	return tw.Flush()
}
