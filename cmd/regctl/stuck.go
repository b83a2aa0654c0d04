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
	Summary:  "list the records waiting longer than their threshold in a watched state",
	Synopsis: "[--prefix P] [--recovery FILE] [--older-than D] [--kind K] [--state S] [-o table|json|csv]",
	Help: `
List the records whose current wait (since they entered their state, a
downstream accepted their command, or the last re-drive, whichever is latest)
is longer than their state's threshold, oldest first, with totals per kind and
state. The thresholds are the recovery policy's (the file of --recovery, as
regd reads it, or the production defaults); --older-than D sets one for every
state. The watched states are the waiting states (a downstream's answer is
awaited) and the transitional ones (a campaign in PENDING or APPROVED waits on
a follow-up of its own).

Each record names what it waits on: the downstream queues its look-ups ask
about, "backlog" when the command it waits on has not left its queue yet
(sent, no call made with it, and the queue holds messages: the queue is
behind, the record is not lost), its checks
(re-drives that found the downstream still deciding) and its unsent outbox
entries.

It reads the sparse waiting index, one query per watched state, then the
records it lists with consistent reads, so it reads only the stuck records
whatever the size of the table; it changes nothing ("regctl redrive --stuck"
re-drives them). A record the index still lists but that moved on is left out.

While it reads it reports its progress on standard error (pages read, records
so far); at the end it reports the read capacity the queries consumed: on
standard error for table and csv, as fields of the JSON output. Ages are
computed as of now, or as of the RFC 3339 time in REGCTL_NOW.

--kind and --state narrow the search; a --state without --kind applies to
every kind that waits in that state (PENDING: brands and numbers).

CSV output (-o csv): a header, then one line per record with the columns
kind, id, parent_id, state, state_entered_at, wait_since, waited_seconds,
redrives, checks, outbox, waiting_on, backlog, correlation_id, external_id.

JSON output (-o json):
  as_of                the time the ages are computed at (RFC 3339)
  records[]            oldest first: {kind, id, parent_id, state,
                       state_entered_at, wait_since, waited_seconds (since
                       wait_since), redrives, checks, outbox (unsent
                       entries), waiting_on (queues), backlog,
                       correlation_id, external_id}
  totals[]             one per watched state searched, in state-table order:
                       {kind, state, threshold_seconds, stuck,
                       oldest_wait_since (null if none)}
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
		recovery := fs.String("recovery", env.Getenv("TENDLC_RECOVERY"), "recovery policy `file` whose thresholds apply (env TENDLC_RECOVERY); default: the production policy")
		olderThan := fs.Duration("older-than", 0, "one threshold `D` for every watched state instead of the policy's")
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
			if *olderThan < 0 {
				return usageErrorf("--older-than %v: want a positive duration", *olderThan)
			}
			policy, err := sweeper.ResolvePolicy(*recovery, *olderThan, 0, 0)
			if err != nil {
				return usageErrorf("--recovery: %v", err)
			}
			kind, err := parseKindFlag(*kindName)
			if err != nil {
				return err
			}
			now, err := env.now()
			if err != nil {
				return err
			}
			qs, err := stuckQueries(kind, statemachine.State(*state), now, policy)
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
			rep.AsOf = now
			for i, t := range rep.Totals {
				rep.Totals[i].ThresholdSeconds = int64(policy.Threshold(sweeper.StateKey{Kind: t.Kind, State: t.State}) / time.Second)
			}
			for i := range rep.Records {
				rep.Records[i].WaitedSeconds = int64(now.Sub(rep.Records[i].WaitSince) / time.Second)
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

// stuckQueries returns a query per watched state of kind (every kind if
// empty) that is state (every state if empty), for records whose wait
// started the state's threshold before now or earlier. It returns a usage
// error when state is not a watched state of those kinds.
func stuckQueries(kind statemachine.Kind, state statemachine.State, now time.Time, p sweeper.Policy) ([]statemachine.StuckQuery, error) {
	kinds := statemachine.Kinds
	if kind != "" {
		kinds = []statemachine.Kind{kind}
	}
	var qs []statemachine.StuckQuery
	var waiting []string
	for _, k := range kinds {
		for _, s := range statemachine.WatchedStates(k) {
			waiting = append(waiting, string(k)+" "+string(s))
			if state == "" || s == state {
				qs = append(qs, statemachine.StuckQuery{Kind: k, State: s, Cutoff: now.Add(-p.Threshold(sweeper.StateKey{Kind: k, State: s}))})
			}
		}
	}
	if len(qs) == 0 {
		return nil, usageErrorf("--state %s is not a watched state; the watched states are: %s", state, strings.Join(waiting, ", "))
	}
	return qs, nil
}

// stuckReport is the output of stuck.
type stuckReport struct {
	AsOf      time.Time     `json:"as_of"`
	Records   []stuckRecord `json:"records"`
	Totals    []stuckTotal  `json:"totals"`
	Total     int           `json:"total"`
	Pages     int           `json:"pages"`
	Examined  int64         `json:"examined"`
	ReadUnits float64       `json:"read_units"`
}

type stuckRecord struct {
	Kind           statemachine.Kind  `json:"kind"`
	ID             string             `json:"id"`
	ParentID       string             `json:"parent_id"`
	State          statemachine.State `json:"state"`
	StateEnteredAt time.Time          `json:"state_entered_at"`
	WaitSince      time.Time          `json:"wait_since"`
	WaitedSeconds  int64              `json:"waited_seconds"`
	Redrives       int                `json:"redrives"`
	Checks         int                `json:"checks"`
	Outbox         int                `json:"outbox"`
	WaitingOn      []string           `json:"waiting_on"`
	Backlog        bool               `json:"backlog"`
	CorrelationID  string             `json:"correlation_id"`
	ExternalID     string             `json:"external_id"`
}

type stuckTotal struct {
	Kind             statemachine.Kind  `json:"kind"`
	State            statemachine.State `json:"state"`
	ThresholdSeconds int64              `json:"threshold_seconds"`
	Stuck            int                `json:"stuck"`
	OldestWaitSince  *time.Time         `json:"oldest_wait_since"`
}

// findStuck runs qs on the waiting index, reporting each page read on
// progress, and returns the records oldest first with the totals and what the
// queries read and consumed.
func findStuck(ctx context.Context, d *conn, qs []statemachine.StuckQuery, progress io.Writer) (stuckReport, error) {
	var meter dynamo.Meter
	pages := &pageCounter{API: d.db}
	store, err := dynamo.New(pages, dynamo.Config{Table: d.set.TableName(), Meter: &meter})
	if err != nil {
		return stuckReport{}, err
	}
	rep := stuckReport{Records: []stuckRecord{}, Totals: []stuckTotal{}}
	busy := d.busyQueues(ctx)
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
			if total.OldestWaitSince == nil || r.WaitSince.Before(*total.OldestWaitSince) {
				t := r.WaitSince.UTC()
				total.OldestWaitSince = &t
			}
			sr := stuckRecord{
				Kind: r.Kind, ID: r.ID, ParentID: r.ParentID, State: r.State, StateEnteredAt: r.StateEnteredAt.UTC(),
				WaitSince: r.WaitSince.UTC(), Redrives: r.Redrives, Checks: r.Checks, Outbox: len(r.Outbox),
				WaitingOn: []string{}, CorrelationID: r.CorrelationID, ExternalID: r.ExternalID,
			}
			for _, l := range statemachine.Lookups(r) {
				sr.WaitingOn = append(sr.WaitingOn, string(l.To))
				sr.Backlog = sr.Backlog || (statemachine.Queued(r, l.To) && busy[l.To])
			}
			rep.Records = append(rep.Records, sr)
		}
		rep.Totals = append(rep.Totals, total)
	}
	slices.SortStableFunc(rep.Records, func(a, b stuckRecord) int {
		return cmp.Or(a.WaitSince.Compare(b.WaitSince), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
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
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tENTERED\tWAITED\tREDRIVES\tCHECKS\tOUTBOX\tWAITING ON\tCORRELATION ID")
	for _, s := range r.Records {
		on := strings.Join(s.WaitingOn, ",")
		if s.Backlog {
			on += " (backlog)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%d\t%d\t%d\t%s\t%s\n", s.Kind, s.ID, s.State, stamp(s.StateEnteredAt),
			seconds(s.WaitedSeconds), s.Redrives, s.Checks, s.Outbox, orDash(on), orDash(s.CorrelationID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwaiting longer than their state's threshold as of %s:\n", stamp(r.AsOf))
	tw = newTable(w)
	fmt.Fprintln(tw, "KIND\tSTATE\tTHRESHOLD\tSTUCK\tOLDEST WAIT SINCE")
	for _, t := range r.Totals {
		oldest := "-"
		if t.OldestWaitSince != nil {
			oldest = stamp(*t.OldestWaitSince)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%s\n", t.Kind, t.State, seconds(t.ThresholdSeconds), t.Stuck, oldest)
	}
	fmt.Fprintf(tw, "total\t\t%d\n", r.Total)
	return tw.Flush()
}

func (r stuckReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "id", "parent_id", "state", "state_entered_at", "wait_since", "waited_seconds",
		"redrives", "checks", "outbox", "waiting_on", "backlog", "correlation_id", "external_id"})
	for _, s := range r.Records {
		cw.Write([]string{string(s.Kind), s.ID, s.ParentID, string(s.State), s.StateEnteredAt.Format(time.RFC3339Nano),
			s.WaitSince.Format(time.RFC3339Nano), strconv.FormatInt(s.WaitedSeconds, 10), strconv.Itoa(s.Redrives),
			strconv.Itoa(s.Checks), strconv.Itoa(s.Outbox), strings.Join(s.WaitingOn, " "), strconv.FormatBool(s.Backlog),
			s.CorrelationID, s.ExternalID})
	}
	cw.Flush()
	return cw.Error()
}
