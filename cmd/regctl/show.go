package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

var _ = register(&Command{
	Path:     "show",
	Summary:  "show a record, its carrier and number statuses, and its history",
	Synopsis: "[--prefix P] [--kind K] [-o table|json] <id>",
	Help: `
Show one record: its kind, id, parent, state, version, when it entered its
state and how long it has been there, when its current wait started and the
sweeper's re-drives and checks in that state, the commands it sent each
downstream and what became of them (sent, a failed call, accepted), the reason it was rejected, suspended or failed, its external and correlation
ids; a campaign's per-carrier review statuses and per-number statuses; and the
audit history, one line per change in the order it was written (version, time,
from -> to, event, actor, event id, reason).

Without --kind it looks for a campaign, then a brand, then a number with the
id. Ages are computed as of now, or as of the RFC 3339 time in REGCTL_NOW.

JSON output (-o json):
  kind, id, parent_id, state, version
  created_at, state_entered_at, updated_at   RFC 3339 times
  age_in_state_seconds                      whole seconds since state_entered_at
  wait_since                                RFC 3339: the wait the sweeper measures
  redrives, checks                          sweeper re-drives (re-sent) and checks in the current state
  commands[]                                {to, event_id, sent_at, attempted_at, accepted_at}:
                                            the last command to each downstream; null times: not yet
  reason                                    {code, description}, or null
  external_id, correlation_id, last_message_id
  carriers[]                                {carrier, status}: campaigns only
  numbers[]                                 {number, status}: campaigns only, by number
  history[]                                 in version order: {version, at, from, to,
                                            event, actor, message_id, correlation_id, reason}

Examples:
  regctl show c-1001
  regctl show --kind number +12025550101
  regctl show b-77 -o json | jq '.history[-1]'
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		kindName := kindFlag(fs)
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			args, err := positional(fs, args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usageErrorf("want one record id, got %d arguments", len(args))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			kind, err := parseKindFlag(*kindName)
			if err != nil {
				return err
			}
			now, err := env.now()
			if err != nil {
				return err
			}
			d, err := connect(ctx, *prefix)
			if err != nil {
				return err
			}
			store, err := d.store()
			if err != nil {
				return err
			}
			rec, err := findRecord(ctx, store, kind, args[0])
			if err != nil {
				return err
			}
			history, err := store.History(ctx, rec.Kind, rec.ID)
			if err != nil {
				return err
			}
			v := newRecordView(*rec, history, now)
			if *output == formatJSON {
				return printJSON(env.Stdout, v)
			}
			return v.writeTable(env.Stdout)
		}
	},
})

// recordView is the output of show.
type recordView struct {
	Kind              statemachine.Kind    `json:"kind"`
	ID                string               `json:"id"`
	ParentID          string               `json:"parent_id"`
	State             statemachine.State   `json:"state"`
	Version           int64                `json:"version"`
	CreatedAt         time.Time            `json:"created_at"`
	StateEnteredAt    time.Time            `json:"state_entered_at"`
	AgeInStateSeconds int64                `json:"age_in_state_seconds"`
	UpdatedAt         time.Time            `json:"updated_at"`
	WaitSince         time.Time            `json:"wait_since"`
	Redrives          int                  `json:"redrives"`
	Checks            int                  `json:"checks"`
	Commands          []commandView        `json:"commands"`
	Reason            *statemachine.Reason `json:"reason"`
	ExternalID        string               `json:"external_id"`
	CorrelationID     string               `json:"correlation_id"`
	LastMessageID     string               `json:"last_message_id"`
	Carriers          []carrierView        `json:"carriers"`
	Numbers           []numberView         `json:"numbers"`
	History           []auditView          `json:"history"`

	age time.Duration
}

type carrierView struct {
	Carrier statemachine.Carrier       `json:"carrier"`
	Status  statemachine.CarrierStatus `json:"status"`
}

type commandView struct {
	To          statemachine.Destination `json:"to"`
	EventID     string                   `json:"event_id"`
	SentAt      time.Time                `json:"sent_at"`
	AttemptedAt *time.Time               `json:"attempted_at"`
	AcceptedAt  *time.Time               `json:"accepted_at"`
}

// optionalTime is t in UTC, or nil for the zero time.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

type numberView struct {
	Number string                    `json:"number"`
	Status statemachine.NumberStatus `json:"status"`
}

type auditView struct {
	Version       int64                  `json:"version"`
	At            time.Time              `json:"at"`
	From          statemachine.State     `json:"from"`
	To            statemachine.State     `json:"to"`
	Event         statemachine.EventType `json:"event"`
	Actor         string                 `json:"actor"`
	MessageID     string                 `json:"message_id"`
	CorrelationID string                 `json:"correlation_id"`
	Reason        *statemachine.Reason   `json:"reason"`
	// Note says the change was written as a note (statemachine.Note): on
	// Version, without making a new one.
	Note bool `json:"note,omitempty"`
}

func newRecordView(r statemachine.Record, history []statemachine.AuditEntry, now time.Time) recordView {
	age := now.Sub(r.StateEnteredAt).Truncate(time.Second)
	v := recordView{
		Kind: r.Kind, ID: r.ID, ParentID: r.ParentID, State: r.State, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), StateEnteredAt: r.StateEnteredAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		AgeInStateSeconds: int64(age / time.Second), age: age,
		WaitSince: r.WaitSince.UTC(), Redrives: r.Redrives, Checks: r.Checks, Commands: []commandView{},
		Reason: r.Reason, ExternalID: r.ExternalID, CorrelationID: r.CorrelationID,
		LastMessageID: r.LastMessageID,
		Carriers:      []carrierView{}, Numbers: []numberView{}, History: []auditView{},
	}
	for _, d := range statemachine.Queues() {
		if c, ok := r.Commands[d]; ok {
			v.Commands = append(v.Commands, commandView{To: d, EventID: c.EventID, SentAt: c.SentAt.UTC(),
				AttemptedAt: optionalTime(c.AttemptedAt), AcceptedAt: optionalTime(c.AcceptedAt)})
		}
	}
	for _, c := range statemachine.Carriers {
		if s, ok := r.Carriers[c]; ok {
			v.Carriers = append(v.Carriers, carrierView{c, s})
		}
	}
	for n, s := range r.Numbers {
		v.Numbers = append(v.Numbers, numberView{n, s})
	}
	slices.SortFunc(v.Numbers, func(a, b numberView) int { return cmp.Compare(a.Number, b.Number) })
	for _, a := range history {
		v.History = append(v.History, auditView{
			Version: a.Version, At: a.At.UTC(), From: a.From, To: a.To, Event: a.Event, Actor: a.Actor,
			MessageID: a.MessageID, CorrelationID: a.CorrelationID, Reason: a.Reason, Note: a.Note,
		})
	}
	return v
}

// optionalStamp formats an optional time for a table: the time, or "-".
func optionalStamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}

// reasonText formats a reason for a table: "30899 carrier rejected", or "-".
func reasonText(r *statemachine.Reason) string {
	switch {
	case r == nil:
		return "-"
	case r.Code == 0:
		return orDash(r.Description)
	case r.Description == "":
		return fmt.Sprint(r.Code)
	}
	return fmt.Sprintf("%d %s", r.Code, r.Description)
}

func (v recordView) writeTable(w io.Writer) error {
	tw := newTable(w)
	for _, f := range [][2]string{
		{"kind", string(v.Kind)},
		{"id", v.ID},
		{"parent", orDash(v.ParentID)},
		{"state", string(v.State)},
		{"version", fmt.Sprint(v.Version)},
		{"state entered at", stamp(v.StateEnteredAt)},
		{"age in state", v.age.String()},
		{"created at", stamp(v.CreatedAt)},
		{"updated at", stamp(v.UpdatedAt)},
		{"wait since", stamp(v.WaitSince)},
		{"redrives / checks", fmt.Sprintf("%d / %d", v.Redrives, v.Checks)},
		{"reason", reasonText(v.Reason)},
		{"external id", orDash(v.ExternalID)},
		{"correlation id", orDash(v.CorrelationID)},
		{"last message id", orDash(v.LastMessageID)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Commands) > 0 {
		fmt.Fprintln(w)
		tw = newTable(w)
		fmt.Fprintln(tw, "COMMAND TO\tEVENT ID\tSENT\tCALL FAILED\tACCEPTED")
		for _, c := range v.Commands {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.To, c.EventID, stamp(c.SentAt), optionalStamp(c.AttemptedAt), optionalStamp(c.AcceptedAt))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.Carriers) > 0 {
		fmt.Fprintln(w)
		tw = newTable(w)
		fmt.Fprintln(tw, "CARRIER\tSTATUS")
		for _, c := range v.Carriers {
			fmt.Fprintf(tw, "%s\t%s\n", c.Carrier, c.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.Numbers) > 0 {
		fmt.Fprintln(w)
		tw = newTable(w)
		fmt.Fprintln(tw, "NUMBER\tSTATUS")
		for _, n := range v.Numbers {
			fmt.Fprintf(tw, "%s\t%s\n", n.Number, n.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	changes := "changes"
	if len(v.History) == 1 {
		changes = "change"
	}
	fmt.Fprintf(w, "\nhistory, %d %s:\n", len(v.History), changes)
	tw = newTable(w)
	fmt.Fprintln(tw, "VERSION\tAT\tFROM -> TO\tEVENT\tACTOR\tMESSAGE ID\tREASON")
	for _, a := range v.History {
		version := fmt.Sprint(a.Version)
		if a.Note {
			version += " (note)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s -> %s\t%s\t%s\t%s\t%s\n", version, stamp(a.At), a.From, a.To,
			orDash(string(a.Event)), orDash(a.Actor), orDash(a.MessageID), reasonText(a.Reason))
	}
	return tw.Flush()
}
