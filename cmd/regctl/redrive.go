package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ = register(&Command{
	Path:     "redrive",
	Summary:  "reconcile and re-drive stuck records, by id or all past their threshold",
	Synopsis: "[--prefix P] [--kind K] [--downstream-url URL] [--bridge-url URL] [--dry-run] [-o table|json] <id>... | --stuck [--recovery FILE] [--older-than D] [--dry-run] [-o table|json]",
	Help: `
Re-drive records stuck in a watched state through the sweeper's own code: for
each record, ask the downstream what it decided (a status look-up at
--downstream-url, or the bridge at --bridge-url about a step delegated to a
Temporal workflow, under the shared rate limit), then count the re-drive with a
conditional write (a record that moved on, or that a sweeper re-drove
meanwhile, is skipped) and send what is missing: the decisions the record
missed (recovered), or the command again when the downstream has no record
of it and its queue is empty (resent). A downstream still deciding is only
checked; a command that may still be queued is left alone (backlog). Past the
policy's maximum of re-drives or checks, a record is failed instead, with
reason 30901 (timeout). "regctl sweep --help" explains every outcome.

With ids, it re-drives those records now, however long they have waited.
Without --kind it looks for a campaign, then a brand, then a number with each
id. Records that are not in a watched state are left alone and make the exit
status 1, as does any failed re-drive. It takes no sweeper lease: the
conditional count keeps it and a running sweep from re-driving a record twice.

With --stuck, it runs one sweep now, as regd's sweeper does (under its
lease), with the recovery policy's thresholds (--recovery, or the production
defaults), or the threshold D for every watched state.

With --dry-run it writes and sends nothing: it lists what it would send.

JSON output (-o json): the sweep report
  mode            "index" for --stuck; "" for ids
  dry_run
  started         RFC 3339
  duration_ns
  examined        items DynamoDB read to find stuck records (--stuck)
  read_units      read capacity those reads consumed (--stuck)
  stuck           records in a watched state (ids) or found stuck (--stuck)
  redriven, recovered, checked, waiting, backlog, idle, gave_up, skipped,
  failed          outcome counts
  planned[]       dry run only: {kind, id, state, state_entered_at,
                  wait_since, outcome, redrives, checks, lookups[],
                  emit[]: {to, envelope, delay}}

Examples:
  regctl redrive c-1001 --downstream-url http://127.0.0.1:9400
  regctl redrive --kind number +12025550101 +12025550102 --dry-run
  regctl redrive --stuck --older-than 48h --dry-run
  regctl redrive --stuck -o json
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		kindName := kindFlag(fs)
		stuck := fs.Bool("stuck", false, "re-drive every record stuck longer than --older-than")
		recovery := addRecoveryFlags(fs, env)
		dryRun := fs.Bool("dry-run", false, "list what would be re-sent; write and send nothing")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			ids, err := positional(fs, args)
			if err != nil {
				return err
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			kind, err := parseKindFlag(*kindName)
			if err != nil {
				return err
			}
			olderThanSet := false
			fs.Visit(func(f *flag.Flag) { olderThanSet = olderThanSet || f.Name == "older-than" })
			switch {
			case *stuck && (len(ids) > 0 || kind != ""):
				return usageErrorf("--stuck excludes record ids and --kind")
			case !*stuck && olderThanSet:
				return usageErrorf("--older-than goes with --stuck")
			case !*stuck && len(ids) == 0:
				return usageErrorf("give record ids, or --stuck")
			}
			policy, err := recovery.policy()
			if err != nil {
				return err
			}
			cfg := sweeper.Config{DryRun: *dryRun, Flow: statemachine.NewestFlow(),
				Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			policy.Configure(&cfg)
			s, err := newSweeper(ctx, resources.Default(*prefix), recovery, cfg)
			if err != nil {
				return err
			}
			var rep sweeper.Report
			var runErr error
			if *stuck {
				rep, runErr = s.SweepOnce(ctx)
				if runErr != nil && rep.Stuck == 0 {
					return runErr // nothing was found, so nothing was done
				}
			} else {
				recs, err := readRecords(ctx, *prefix, kind, ids)
				if err != nil {
					return err
				}
				rep, runErr = s.Redrive(ctx, recs)
			}
			if *output == formatJSON {
				err = writeJSON(env.Stdout, rep)
			} else {
				err = writeReport(env.Stdout, rep)
			}
			if rep.Failed > 0 {
				runErr = errors.Join(runErr, fmt.Errorf("%d re-drives failed (logged above); run again to retry them", rep.Failed))
			}
			return errors.Join(runErr, err)
		}
	},
})

// readRecords reads the records with ids, of kind or of the kind findRecord
// infers. It returns an error naming every id it did not find.
func readRecords(ctx context.Context, prefix string, kind statemachine.Kind, ids []string) ([]statemachine.Record, error) {
	d, err := connect(ctx, prefix)
	if err != nil {
		return nil, err
	}
	store, err := d.store()
	if err != nil {
		return nil, err
	}
	var recs []statemachine.Record
	var errs []error
	for _, id := range ids {
		r, err := findRecord(ctx, store, kind, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, *r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("nothing re-driven: %w", err)
	}
	return recs, nil
}
