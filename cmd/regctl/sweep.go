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
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ = register(&Command{
	Path:     "sweep",
	Summary:  "reconcile and re-drive the records stuck in a watched state, or list them",
	Synopsis: "[--prefix P] [--mode index|scan] [--recovery FILE] [--older-than D] [--max-redrives N] [--max-checks N] [--downstream-url URL] [--bridge-url URL] [--dry-run] [-o table|json]",
	Help: `
Run one sweep now, as regd's scheduled sweeper does: find the records whose
current wait (since they entered their state, a downstream accepted their
command, or their last re-drive) is longer than their state's threshold, and
reconcile each before re-sending anything:

  recovered  the downstream had decided (a webhook was lost): its decision is
             sent as the event the webhook would have been, with the same id
  checked    the downstream has the request and has not decided yet
  backlog    the downstream has no record of it, but the command's queue
             still holds messages: the queue is behind, nothing is done
  resent     the downstream has no record of it and its queue is empty: the
             command is sent again under a new idempotency key
  waiting    the record waits on records swept themselves (numbers, a brand)
  idle       nothing to ask and nothing to send

Every outcome but a backlog restarts the record's wait, so re-drives are
spaced by at least the threshold. After --max-redrives re-drives that re-sent
or were idle, or --max-checks that found the downstream still deciding, the
record fails with reason 30901 (timeout). The thresholds and maximums are the
recovery policy's (--recovery, the same file regd reads; the production
defaults without one); --older-than sets one threshold for every state.

The look-ups ask the downstream at --downstream-url under the same shared
rate limits as regd's calls; without it, records waiting on a downstream are
left alone. A campaign whose evidence review was delegated to a Temporal
workflow (regd --delegate evidence) is asked about at the bridge's status
endpoint, --bridge-url, and its command is re-sent to the bridge's queue
(temporal); without --bridge-url such records are left alone. The sweep takes the sweeper lease, so it waits for no one: if
another sweeper holds it, the command fails and changes nothing.

With --dry-run it writes and sends nothing and takes no lease (the look-ups
are still asked): it lists what a sweep would do, with the messages it would
send.

--mode index queries the waiting index once per watched state and reads only
stuck records; --mode scan scans the whole table, the legacy way. Both report
the items examined and the read capacity consumed.

Examples:
  regctl sweep --dry-run --downstream-url http://127.0.0.1:9400
  regctl sweep --dry-run --older-than 2h -o json
  regctl --prefix staging- sweep --mode scan --recovery recovery.json
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		mode := fs.String("mode", string(sweeper.ModeIndex), "find stuck records with `MODE`: index or scan")
		recovery := addRecoveryFlags(fs, env)
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
			policy, err := recovery.policy()
			if err != nil {
				return err
			}
			if *output != "table" && *output != "json" {
				return usageErrorf("-o %q: want table or json", *output)
			}
			cfg := sweeper.Config{Mode: m, DryRun: *dryRun, Flow: statemachine.NewestFlow(),
				Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			policy.Configure(&cfg)
			s, err := newSweeper(ctx, resources.Default(*prefix), recovery, cfg)
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

// newSweeper wires a sweeper to the deployment of s: its table and queues
// (whose depths tell a backlog from a loss), the downstream and the bridge
// that recovery's URLs name for the look-ups (none when empty) behind the
// shared rate limit, and
// unless cfg.DryRun, the publisher and the sweeper lease. A dry run asks the
// downstreams too: their answers are what it plans from.
func newSweeper(ctx context.Context, s resources.Set, recovery *recoveryFlags, cfg sweeper.Config) (*sweeper.Sweeper, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsclient.DynamoDB(awsCfg)
	if cfg.Store, err = dynamo.New(db, dynamo.Config{Table: s.TableName()}); err != nil {
		return nil, err
	}
	q := awsclient.SQS(awsCfg)
	urls, err := sqsq.QueueURLs(ctx, q, s)
	if err != nil {
		return nil, err
	}
	queues := map[statemachine.Destination]string{}
	for _, d := range statemachine.Queues() {
		queues[d] = urls[string(d)]
	}
	cfg.Queues = sqsq.Depths{API: q, Queues: queues}
	if *recovery.downstream != "" || *recovery.bridge != "" {
		router, err := tcr.NewRouter(*recovery.downstream, *recovery.bridge)
		if err != nil {
			return nil, usageErrorf("--downstream-url or --bridge-url: %v", err)
		}
		limiter, err := dynamo.NewLimiter(db, dynamo.LimiterConfig{Table: s.TableName()})
		if err != nil {
			return nil, err
		}
		cfg.Downstream, cfg.Limiter = router, limiter
	}
	if !cfg.DryRun {
		if cfg.Sender, err = sqsq.NewPublisher(q, queues); err != nil {
			return nil, err
		}
		if cfg.Lease, err = dynamo.NewLease(db, dynamo.LeaseConfig{Table: s.TableName(), Name: sweeper.LeaseName, Duration: sweeper.LeaseDuration}); err != nil {
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
	fmt.Fprintf(tw, "re-sent (no downstream had it)%s\t%d\n", verb, rep.Redriven)
	fmt.Fprintf(tw, "recovered (missed answers sent)%s\t%d\n", verb, rep.Recovered)
	fmt.Fprintf(tw, "checked (downstream still deciding)%s\t%d\n", verb, rep.Checked)
	fmt.Fprintf(tw, "waiting (on swept records)%s\t%d\n", verb, rep.Waiting)
	fmt.Fprintf(tw, "backlog (command may be queued)\t%d\n", rep.Backlog)
	fmt.Fprintf(tw, "idle (nothing to do)%s\t%d\n", verb, rep.Idle)
	fmt.Fprintf(tw, "gave up%s\t%d\n", verb, rep.GaveUp)
	fmt.Fprintf(tw, "skipped (lost the race)\t%d\n", rep.Skipped)
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
	fmt.Fprintln(tw, "KIND\tID\tSTATE\tWAITED\tOUTCOME\tREDRIVES\tCHECKS\tSENDS")
	for _, p := range rep.Planned {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%d\t%d\t", p.Kind, p.ID, p.State,
			rep.Started.Sub(p.WaitSince).Round(time.Minute), p.Outcome, p.Redrives, p.Checks)
		if len(p.Emit) == 0 {
			fmt.Fprintln(tw, "-")
		}
		for i, o := range p.Emit {
			if i > 0 {
				fmt.Fprint(tw, "\t\t\t\t\t\t\t")
			}
			fmt.Fprintf(tw, "%s to %s (%s)\n", o.Envelope.Type, o.To, o.Envelope.EntityID)
		}
	}
	return tw.Flush()
}
