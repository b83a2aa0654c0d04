package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/bench/legacy"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/resources"
)

// checkCommand checks a run whose processes still serve (regbench run
// --serve, make run): `regbench run` checks every run itself, before it
// stops the processes.
func checkCommand(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var prefix, carriersim, profileName, rate, jsonOut string
	fs.StringVar(&prefix, "prefix", "", "resource name prefix of the run (required; make run uses tendlc-)")
	fs.StringVar(&carriersim, "carriersim", "http://127.0.0.1:19400", "carriersim's base URL: 127.0.0.1:<regbench run's --base-port + 400> (make run: 9400)")
	fs.StringVar(&profileName, "profile", "demo", "the scenario that ran, for regd's --rate: "+strings.Join(bench.ProfileNames(), ", ")+", or a .json profile file")
	fs.StringVar(&rate, "rate", "", "regd's --rate instead of the profile's: all=N or registry=N,att=N,...")
	fs.StringVar(&jsonOut, "json", "", "also write the verdict as JSON (report.json's check object) to this file")
	return func(ctx context.Context, stdout io.Writer) error {
		if prefix == "" {
			return fmt.Errorf("%w: --prefix is required", bench.ErrUsage)
		}
		args := []string{"--rate", rate}
		if rate == "" {
			sc, err := bench.Profile(profileName)
			if err != nil {
				return err
			}
			args = sc.Regd
		}
		rates, err := legacy.Rates(args)
		if err != nil {
			return fmt.Errorf("%w: %w", bench.ErrUsage, err)
		}
		awsCfg, err := awsclient.Load(ctx)
		if err != nil {
			return err
		}
		ddb, table := awsclient.DynamoDB(awsCfg), resources.Default(prefix).TableName()
		res := check.Inspect(ctx, check.Sources{Simulator: carriersim, Rates: rates,
			History: func(ctx context.Context) (check.History, error) { return legacy.History(ctx, ddb, table) }})
		var b strings.Builder
		res.WriteMarkdown(&b, -1)
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
		return res.Failure()
	}
}
