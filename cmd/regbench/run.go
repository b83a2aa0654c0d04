package main

import (
	"context"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench"
)

// runFlags are the settings of `regbench run`.
type runFlags struct {
	system                     string
	profile                    string
	brands, campaigns, numbers int
	replicas                   int
	deadline                   time.Duration
	bin, dir, prefix, src      string
	basePort                   int
	serve                      bool
	progressEvery              time.Duration
	// out is the directory of the report files (the command line's default
	// is reports/<profile>-<UTC time>).
	out string
	// services are the backing services the report measures.
	services []bench.Service
}

func runCommand(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var f runFlags
	fs.StringVar(&f.system, "system", "legacy", "the system under test: legacy (tendlc: the webhook shim and regd on SQS and DynamoDB) or temporal (regtemporal: the embedded server on SQLite, its webhook and workers)")
	fs.StringVar(&f.profile, "profile", "demo", "scenario: "+strings.Join(bench.ProfileNames(), ", ")+", or a .json profile file")
	fs.IntVar(&f.brands, "brands", 0, "override the profile's brand count")
	fs.IntVar(&f.campaigns, "campaigns", 0, "override the profile's campaign count")
	fs.IntVar(&f.numbers, "numbers", 0, "override the profile's numbers per campaign")
	fs.IntVar(&f.replicas, "replicas", 0, "override the profile's replica count (regd replicas or workers)")
	fs.DurationVar(&f.deadline, "deadline", 0, "override the profile's deadline")
	fs.StringVar(&f.bin, "bin", "", "directory of the carriersim, webhook and regd binaries, and regtemporal's (default: regbench's own)")
	fs.StringVar(&f.dir, "dir", ".tools/run/regbench", "directory for the processes' logs and PID files")
	fs.StringVar(&f.src, "src", ".", "the git repository in which a rollout's change is measured (a scenario with a rollout: the commits that added the flow, by subject)")
	fs.StringVar(&f.prefix, "prefix", "", "resource name prefix (default: a fresh bench-<time>- prefix)")
	fs.IntVar(&f.basePort, "base-port", 19000, "carriersim listens on base+400, the webhook receiver on base+500, replica (regd or worker) i on base+100+i, the Temporal server on base+600")
	fs.BoolVar(&f.serve, "serve", false, "keep everything running after the load finished, until interrupted")
	fs.DurationVar(&f.progressEvery, "progress", 2*time.Second, "interval of the progress line")
	fs.Func("service", "measure a backing service's CPU time and memory: `NAME=PIDFILE`, the PID file naming its process (repeatable; "+
		"the emulators of make bench: sqs=.tools/run/bench/fauxqs.pid and dynamodb=.tools/run/bench/dynamodb.pid)", func(v string) error {
		svc, err := bench.ParseService(v)
		f.services = append(f.services, svc)
		return err
	})
	fs.StringVar(&f.out, "out", "", "directory of the report: report.json, summary.md, completed.svg, latency-cdf.svg, backlog.svg (default reports/<profile>-<UTC time>)")
	return func(ctx context.Context, stdout io.Writer) error {
		if f.out == "" {
			f.out = bench.DefaultReportDir(f.profile, time.Now())
		}
		sys, err := newSystem(f.system)
		if err != nil {
			return err
		}
		sc, err := f.scenario()
		if err != nil {
			return err
		}
		r := bench.Runner{System: sys, Scenario: sc, Profile: f.profile, Bin: f.bin, Dir: f.dir, Repo: f.src, Prefix: f.prefix,
			BasePort: f.basePort, Serve: f.serve, ProgressEvery: f.progressEvery, Out: f.out, Services: f.services}
		_, err = r.Run(ctx, stdout)
		return err
	}
}

// scenario returns the profile with the command line's overrides.
func (f runFlags) scenario() (bench.Scenario, error) {
	s, err := bench.Profile(f.profile)
	if err != nil {
		return s, err
	}
	override := func(v *int, o int) {
		if o > 0 {
			*v = o
		}
	}
	override(&s.Brands, f.brands)
	override(&s.Campaigns, f.campaigns)
	override(&s.Numbers, f.numbers)
	override(&s.Replicas, f.replicas)
	if f.deadline > 0 {
		s.Deadline = bench.Duration(f.deadline)
	}
	return s, s.Validate()
}
