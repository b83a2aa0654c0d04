package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/spec"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ = register(&Command{
	Path:     "sweep",
	Summary:  "re-drive the records stuck in a waiting state, or list them",
	Synopsis: "[--prefix P] [--mode index|scan] [--older-than D] [--dry-run] [-o table|json]",
	Help: `
Run one sweep now, as regd's scheduled sweeper does: find the records that have
waited longer than D in a waiting state (a lost webhook leaves them there),
count a re-drive on each and re-send what is missing; after 3 re-drives, fail
the record with reason 30901 (timeout). The sweep takes the sweeper lease, so it
waits for no one: if another sweeper holds it, the command fails and changes
nothing.

With --dry-run it writes and sends nothing and takes no lease: it lists what a
sweep would re-drive, with the messages it would send.

--mode index queries the waiting index once per waiting state and reads only
stuck records; --mode scan scans the whole table, the legacy way. Both report
the items examined and the read capacity consumed.

Examples:
  regctl sweep --dry-run
  regctl sweep --dry-run --older-than 2h -o json
  regctl --prefix staging- sweep --mode scan
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		mode := fs.String("mode", string(sweeper.ModeIndex), "find stuck records with `MODE`: index or scan")
		olderThan := fs.Duration("older-than", sweeper.DefaultThreshold, "a record is stuck after waiting `D` in a waiting state")
		dryRun := fs.Bool("dry-run", false, "list what a sweep would re-drive; write and send nothing")
		output := fs.String("o", "table", "print the report as `FORMAT`: table or json")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			m, err := sweeper.ParseMode(*mode)
			if err != nil {
				return usageErrorf("--mode: %v", err)
			}
			if *olderThan <= 0 {
				return usageErrorf("--older-than %v: want a positive duration", *olderThan)
			}
			if *output != "table" && *output != "json" {
				return usageErrorf("-o %q: want table or json", *output)
			}
			s, err := newSweeper(ctx, spec.Default(*prefix), sweeper.Config{
				Mode: m, Threshold: *olderThan, DryRun: *dryRun,
				Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			})
			if err != nil {
				return err
			}
			rep, sweepErr := s.SweepOnce(ctx)
			if sweepErr != nil && rep.Stuck == 0 {
				return sweepErr // nothing was found, so nothing was done
			}
			// A sweep that stopped early still reports what it did.
			if *output == "json" {
				err = writeJSON(env.Stdout, rep)
			} else {
				err = writeReport(env.Stdout, rep)
			}
			if sweepErr != nil {
				return sweepErr
			}
			return err
		}
	},
})

// newSweeper wires a sweeper to the deployment of s: its table, and unless
// cfg.DryRun, its queues and the sweeper lease.
func newSweeper(ctx context.Context, s spec.Spec, cfg sweeper.Config) (*sweeper.Sweeper, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsclient.DynamoDB(awsCfg)
	if cfg.Store, err = dynamo.New(db, dynamo.Config{Table: s.TableName()}); err != nil {
		return nil, err
	}
	if !cfg.DryRun {
		q := awsclient.SQS(awsCfg)
		urls, err := sqsq.QueueURLs(ctx, q, s)
		if err != nil {
			return nil, err
		}
		queues := make(map[statemachine.Destination]string, len(statemachine.Destinations))
		for _, d := range statemachine.Destinations {
			queues[d] = urls[string(d)]
		}
		if cfg.Sender, err = sqsq.NewPublisher(q, queues); err != nil {
			return nil, err
		}
		if cfg.Lease, err = dynamo.NewLease(db, dynamo.LeaseConfig{Table: s.TableName(), Name: sweeper.LeaseName}); err != nil {
			return nil, err
		}
	}
	return sweeper.New(cfg)
}

func writeJSON(w io.Writer, rep sweeper.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeReport prints the report's figures and, for a dry run, one line per
// planned message.
func writeReport(w io.Writer, rep sweeper.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	verb := ""
	if rep.DryRun {
		verb = " (would be)"
	}
	fmt.Fprintf(tw, "mode\t%s\n", rep.Mode)
	fmt.Fprintf(tw, "dry run\t%v\n", rep.DryRun)
	fmt.Fprintf(tw, "items examined\t%d\n", rep.Examined)
	fmt.Fprintf(tw, "read capacity units\t%.1f\n", rep.ReadUnits)
	fmt.Fprintf(tw, "stuck\t%d\n", rep.Stuck)
	fmt.Fprintf(tw, "re-driven%s\t%d\n", verb, rep.Redriven)
	fmt.Fprintf(tw, "gave up%s\t%d\n", verb, rep.GaveUp)
	fmt.Fprintf(tw, "skipped (lost the race)\t%d\n", rep.Skipped)
	fmt.Fprintf(tw, "idle (nothing to re-send)\t%d\n", rep.Idle)
	fmt.Fprintf(tw, "failed\t%d\n", rep.Failed)
	fmt.Fprintf(tw, "duration\t%v\n", rep.Duration.Round(time.Millisecond))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Planned) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tWAITED\tREDRIVE\tSENDS")
	for _, p := range rep.Planned {
		redrive := fmt.Sprint(p.Redrive)
		if p.GiveUp {
			redrive = "give up"
		}
		for i, o := range p.Emit {
			if i == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t", p.Kind, p.ID, p.State, rep.Started.Sub(p.StateEnteredAt).Round(time.Minute), redrive)
			} else {
				fmt.Fprint(tw, "\t\t\t\t\t")
			}
			fmt.Fprintf(tw, "%s to %s (%s)\n", o.Envelope.Type, o.To, o.Envelope.EntityID)
		}
	}
	return tw.Flush()
}
