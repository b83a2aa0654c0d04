package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/spec"
)

func init() {
	subcommands = append(subcommands, subcommand{
		"check", "prove a run from its records and carriersim's journal: legal histories, nothing applied twice, every downstream call accounted for", checkCommand,
	})
}

// checkTimeout bounds reading a run's table and carriersim's journal.
const checkTimeout = 2 * time.Minute

// checkCommand checks a run whose processes still serve (regbench run
// --serve, make run): `regbench run` checks every run itself, before it
// stops the processes.
func checkCommand(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var prefix, carriersim, profileName, rate, jsonOut string
	fs.StringVar(&prefix, "prefix", "", "resource name prefix of the run (required; make run uses tendlc-)")
	fs.StringVar(&carriersim, "carriersim", "http://127.0.0.1:19400", "carriersim's base URL: 127.0.0.1:<regbench run's --base-port + 400> (make run: 9400)")
	fs.StringVar(&profileName, "profile", "demo", "the scenario that ran, for regd's --rate: "+strings.Join(slices.Sorted(maps.Keys(profiles)), ", ")+", or a .json profile file")
	fs.StringVar(&rate, "rate", "", "regd's --rate instead of the profile's: all=N or registry=N,att=N,...")
	fs.StringVar(&jsonOut, "json", "", "also write the verdict as JSON (report.json's check object) to this file")
	return func(ctx context.Context, stdout io.Writer) error {
		if prefix == "" {
			return fmt.Errorf("%w: --prefix is required", errUsage)
		}
		args := []string{"--rate", rate}
		if rate == "" {
			sc, err := profile(profileName)
			if err != nil {
				return err
			}
			args = sc.Regd
		}
		rates, err := regdRates(args)
		if err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		awsCfg, err := awsclient.Load(ctx)
		if err != nil {
			return err
		}
		res := inspect(ctx, checkSources{ddb: awsclient.DynamoDB(awsCfg), table: spec.Default(prefix).TableName(),
			carriersim: carriersim, rates: rates})
		var b strings.Builder
		res.writeMarkdown(&b, -1)
		if _, err := io.WriteString(stdout, strings.TrimPrefix(b.String(), "\n")); err != nil {
			return err
		}
		if jsonOut != "" {
			js, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(jsonOut, append(js, '\n'), 0o644); err != nil {
				return err
			}
		}
		return res.failure()
	}
}

// checkSources are where the checker reads a run.
type checkSources struct {
	ddb        dynamo.API
	table      string
	carriersim string             // base URL
	rates      map[string]float64 // regd's, per downstream group
	// settle is how long to wait between reading the table and reading the
	// journal (journalSettle).
	settle time.Duration
}

// carriersimReorderDelay is carriersim's --reorder-delay default.
const carriersimReorderDelay = 2 * time.Second

// journalSettle is how long the checker of a run of sc that just ended waits
// between reading the table and reading carriersim's journal. carriersim's
// --reorder holds a webhook back by up to --reorder-delay after its decision
// is due, while a status look-up already lists the decision: the sweeper may
// have recovered the event, and the record applied it, before the webhook is
// emitted and journaled. Zero for a scenario that does not reorder.
func journalSettle(sc Scenario) time.Duration {
	if v := flagValue(sc.Carriersim, "reorder"); v == "" || isZeroSetting(v) {
		return 0
	}
	if d, err := time.ParseDuration(flagValue(sc.Carriersim, "reorder-delay")); err == nil {
		return d
	}
	return carriersimReorderDelay
}

// inspect reads every record and audit item of the run's table, then, after
// src.settle, carriersim's journal, and checks them. The table is read first,
// so that the webhook of every event a record applied is already in the
// journal read after it. A source that cannot be read fails the check.
func inspect(ctx context.Context, src checkSources) checkResult {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	store, err := dynamo.New(src.ddb, dynamo.Config{Table: src.table})
	if err != nil {
		return failedCheck(err)
	}
	dump, err := store.Dump(ctx)
	if err != nil {
		return failedCheck(fmt.Errorf("read the records: %w", awsclient.Explain(err)))
	}
	if src.settle > 0 {
		t := time.NewTimer(src.settle)
		select {
		case <-ctx.Done():
			t.Stop()
			return failedCheck(fmt.Errorf("wait for carriersim's held-back webhooks: %w", ctx.Err()))
		case <-t.C:
		}
	}
	j, err := fetchJournal(ctx, http.DefaultClient, src.carriersim)
	if err != nil {
		return failedCheck(err)
	}
	return check(checkInput{Records: dump.Records, Audit: dump.Audit, Journal: j, Rates: src.rates})
}
