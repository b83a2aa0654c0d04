package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ = register(&Command{
	Path:     "stuck",
	Summary:  "list the records waiting longer than a threshold in a waiting state",
	Synopsis: "[--prefix P] [--older-than D] [--kind K] [--state S] [-o table|json|csv]",
	Help: `
List the records that entered a waiting state (where they wait for a
downstream's answer) longer than D ago, oldest first, with totals per kind and
state. It reads the sparse waiting index, one query per waiting state, so it
reads only the stuck records whatever the size of the table; it changes
nothing ("regctl redrive --stuck" re-drives them). The index is eventually
consistent: a record that moved on a moment ago may still be listed.

While it reads it reports its progress on standard error (pages read, records
so far); at the end it reports the read capacity the queries consumed: on
standard error for table and csv, as fields of the JSON output. Ages are
computed as of now, or as of the RFC 3339 time in REGCTL_NOW.

--kind and --state narrow the search; a --state without --kind applies to
every kind that waits in that state (PENDING: brands and numbers).

CSV output (-o csv): a header, then one line per record with the columns
kind, id, parent_id, state, state_entered_at, waited_seconds, redrives,
correlation_id, external_id.

JSON output (-o json):
  as_of                the time the ages are computed at (RFC 3339)
  older_than_seconds   the threshold
  cutoff               as_of minus the threshold: entered at or before it
  records[]            oldest first: {kind, id, parent_id, state,
                       state_entered_at, waited_seconds, redrives,
                       correlation_id, external_id}
  totals[]             one per waiting state searched, in state-table order:
                       {kind, state, stuck, oldest_state_entered_at (null if none)}
  total                the number of records
  pages                the query pages read
  examined             the items DynamoDB read (what it bills for)
  read_units           the read capacity units consumed

Examples:
  regctl stuck
  regctl stuck --older-than 72h --kind campaign --state CARRIER_REVIEW
  regctl stuck -o csv > stuck.csv
  regctl stuck -o json | jq '.totals[] | select(.stuck > 0)'
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		olderThan := fs.Duration("older-than", sweeper.DefaultThreshold, "list records waiting longer than `D` in their state")
		kindName := fs.String("kind", "", "list records of kind `K` only: brand, campaign or number")
		state := fs.String("state", "", "list records in waiting state `S` only, such as SUBMITTED")
		output := outputFlag(fs, formatTable, formatJSON, formatCSV)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			if *olderThan <= 0 {
				return usageErrorf("--older-than %v: want a positive duration", *olderThan)
			}
			kind, err := parseKindFlag(*kindName)
			if err != nil {
				return err
			}
			now, err := env.now()
			if err != nil {
				return err
			}
			qs, err := stuckQueries(kind, statemachine.State(*state), now.Add(-*olderThan))
			if err != nil {
				return err
			}
			d, err := connect(ctx, *prefix)
			if err != nil {
				return err
			}
			rep, err := findStuck(ctx, d, qs, env.Stderr)
			if err != nil {
				return err
			}
			rep.AsOf, rep.OlderThanSeconds, rep.Cutoff = now, int64(*olderThan/time.Second), now.Add(-*olderThan)
			for i := range rep.Records {
				rep.Records[i].WaitedSeconds = int64(now.Sub(rep.Records[i].StateEnteredAt) / time.Second)
			}
			switch *output {
			case formatJSON:
				return printJSON(env.Stdout, rep)
			case formatCSV:
				err = rep.writeCSV(env.Stdout)
			default:
				err = rep.writeTable(env.Stdout)
			}
			fmt.Fprintf(env.Stderr, "read %d pages, %d items: %.1f read capacity units\n", rep.Pages, rep.Examined, rep.ReadUnits)
			return err
		}
	},
})

// stuckQueries returns a query per waiting state of kind (every kind if
// empty) that is state (every state if empty), for records that entered it
// at or before cutoff. It returns a usage error when state is not a waiting
// state of those kinds.
func stuckQueries(kind statemachine.Kind, state statemachine.State, cutoff time.Time) ([]dynamo.StuckQuery, error) {
	kinds := statemachine.Kinds
	if kind != "" {
		kinds = []statemachine.Kind{kind}
	}
	var qs []dynamo.StuckQuery
	var waiting []string
	for _, k := range kinds {
		for _, s := range statemachine.WaitingStates(k) {
			waiting = append(waiting, string(k)+" "+string(s))
			if state == "" || s == state {
				qs = append(qs, dynamo.StuckQuery{Kind: k, State: s, Cutoff: cutoff})
			}
		}
	}
	if len(qs) == 0 {
		return nil, usageErrorf("--state %s is not a waiting state; the waiting states are: %s", state, strings.Join(waiting, ", "))
	}
	return qs, nil
}

// stuckReport is the output of stuck.
type stuckReport struct {
	AsOf             time.Time     `json:"as_of"`
	OlderThanSeconds int64         `json:"older_than_seconds"`
	Cutoff           time.Time     `json:"cutoff"`
	Records          []stuckRecord `json:"records"`
	Totals           []stuckTotal  `json:"totals"`
	Total            int           `json:"total"`
	Pages            int           `json:"pages"`
	Examined         int64         `json:"examined"`
	ReadUnits        float64       `json:"read_units"`
}

type stuckRecord struct {
	Kind           statemachine.Kind  `json:"kind"`
	ID             string             `json:"id"`
	ParentID       string             `json:"parent_id"`
	State          statemachine.State `json:"state"`
	StateEnteredAt time.Time          `json:"state_entered_at"`
	WaitedSeconds  int64              `json:"waited_seconds"`
	Redrives       int                `json:"redrives"`
	CorrelationID  string             `json:"correlation_id"`
	ExternalID     string             `json:"external_id"`
}

type stuckTotal struct {
	Kind                 statemachine.Kind  `json:"kind"`
	State                statemachine.State `json:"state"`
	Stuck                int                `json:"stuck"`
	OldestStateEnteredAt *time.Time         `json:"oldest_state_entered_at"`
}

// findStuck runs qs on the waiting index, reporting each page read on
// progress, and returns the records oldest first with the totals and what the
// queries read and consumed.
func findStuck(ctx context.Context, d *conn, qs []dynamo.StuckQuery, progress io.Writer) (stuckReport, error) {
	var meter dynamo.Meter
	pages := &pageCounter{API: d.db}
	store, err := dynamo.New(pages, dynamo.Config{Table: d.spec.TableName(), Meter: &meter})
	if err != nil {
		return stuckReport{}, err
	}
	rep := stuckReport{Records: []stuckRecord{}, Totals: []stuckTotal{}}
	for _, q := range qs {
		pages.report = func(pages, items int) {
			fmt.Fprintf(progress, "pages read: %d, records so far: %d (%s %s)\n", pages, items, q.Kind, q.State)
		}
		found, err := store.QueryStuck(ctx, q)
		if err != nil {
			return stuckReport{}, err
		}
		rep.Examined += found.Examined
		total := stuckTotal{Kind: q.Kind, State: q.State, Stuck: len(found.Records)}
		for _, r := range found.Records {
			if total.OldestStateEnteredAt == nil || r.StateEnteredAt.Before(*total.OldestStateEnteredAt) {
				t := r.StateEnteredAt.UTC()
				total.OldestStateEnteredAt = &t
			}
			rep.Records = append(rep.Records, stuckRecord{
				Kind: r.Kind, ID: r.ID, ParentID: r.ParentID, State: r.State, StateEnteredAt: r.StateEnteredAt.UTC(),
				Redrives: r.Redrives, CorrelationID: r.CorrelationID, ExternalID: r.ExternalID,
			})
		}
		rep.Totals = append(rep.Totals, total)
	}
	slices.SortStableFunc(rep.Records, func(a, b stuckRecord) int {
		return cmp.Or(a.StateEnteredAt.Compare(b.StateEnteredAt), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	rep.Total, rep.Pages = len(rep.Records), pages.pages
	rep.ReadUnits = meter.Snapshot().Total.ReadUnits
	return rep, nil
}

// pageCounter is the store's DynamoDB API with every Query page counted and
// reported as it arrives.
type pageCounter struct {
	dynamo.API
	pages, items int
	report       func(pages, items int)
}

func (p *pageCounter) Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := p.API.Query(ctx, params, optFns...)
	if err == nil {
		p.pages++
		p.items += int(out.Count)
		p.report(p.pages, p.items)
	}
	return out, err
}

func (r stuckReport) writeTable(w io.Writer) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tENTERED\tWAITED\tREDRIVES\tCORRELATION ID")
	for _, s := range r.Records {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%d\t%s\n", s.Kind, s.ID, s.State, stamp(s.StateEnteredAt),
			seconds(s.WaitedSeconds), s.Redrives, orDash(s.CorrelationID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nstuck longer than %v as of %s:\n", seconds(r.OlderThanSeconds), stamp(r.AsOf))
	tw = newTable(w)
	fmt.Fprintln(tw, "KIND\tSTATE\tSTUCK\tOLDEST ENTERED")
	for _, t := range r.Totals {
		oldest := "-"
		if t.OldestStateEnteredAt != nil {
			oldest = stamp(*t.OldestStateEnteredAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", t.Kind, t.State, t.Stuck, oldest)
	}
	fmt.Fprintf(tw, "total\t\t%d\n", r.Total)
	return tw.Flush()
}

func (r stuckReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "id", "parent_id", "state", "state_entered_at", "waited_seconds", "redrives", "correlation_id", "external_id"})
	for _, s := range r.Records {
		cw.Write([]string{string(s.Kind), s.ID, s.ParentID, string(s.State), s.StateEnteredAt.Format(time.RFC3339Nano),
			strconv.FormatInt(s.WaitedSeconds, 10), strconv.Itoa(s.Redrives), s.CorrelationID, s.ExternalID})
	}
	cw.Flush()
	return cw.Error()
}
