package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/spec"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

func init() {
	subcommands = append(subcommands, subcommand{
		"run", "a scenario end to end: carriersim, the webhook shim and regd replicas as processes, a seeded load, progress and a summary", runCommand,
	})
}

// runFlags are the settings of `regbench run`.
type runFlags struct {
	profile                    string
	brands, campaigns, numbers int
	replicas                   int
	deadline                   time.Duration
	bin, dir, prefix           string
	basePort                   int
	serve                      bool
	progressEvery              time.Duration
	// out is the directory of the report files; empty writes none (the
	// command line's default is reports/<profile>-<UTC time>).
	out string

	// For tests: a scenario instead of a profile, and a hook that runs once
	// every process is up, with carriersim's base URL.
	custom  *Scenario
	started func(ctx context.Context, carriersimURL string) error
}

func runCommand(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var f runFlags
	fs.StringVar(&f.profile, "profile", "demo", "scenario: "+strings.Join(slices.Sorted(maps.Keys(profiles)), ", ")+", or a .json profile file")
	fs.IntVar(&f.brands, "brands", 0, "override the profile's brand count")
	fs.IntVar(&f.campaigns, "campaigns", 0, "override the profile's campaign count")
	fs.IntVar(&f.numbers, "numbers", 0, "override the profile's numbers per campaign")
	fs.IntVar(&f.replicas, "replicas", 0, "override the profile's regd replica count")
	fs.DurationVar(&f.deadline, "deadline", 0, "override the profile's deadline")
	fs.StringVar(&f.bin, "bin", "", "directory of the carriersim, webhook and regd binaries (default: regbench's own)")
	fs.StringVar(&f.dir, "dir", ".tools/run/regbench", "directory for the processes' logs and PID files")
	fs.StringVar(&f.prefix, "prefix", "", "resource name prefix (default: a fresh bench-<time>- prefix)")
	fs.IntVar(&f.basePort, "base-port", 19000, "carriersim listens on base+400, the webhook shim on base+500, regd replica i on base+100+i")
	fs.BoolVar(&f.serve, "serve", false, "keep everything running after the load finished, until interrupted")
	fs.DurationVar(&f.progressEvery, "progress", 2*time.Second, "interval of the progress line")
	fs.StringVar(&f.out, "out", "", "directory of the report: report.json, summary.md, completed.svg, latency-cdf.svg, backlog.svg (default reports/<profile>-<UTC time>)")
	return func(ctx context.Context, stdout io.Writer) error {
		if f.out == "" {
			f.out = defaultReportDir(f.profile, time.Now())
		}
		_, err := f.run(ctx, stdout)
		return err
	}
}

func (f runFlags) scenario() (Scenario, error) {
	s, err := Scenario{}, error(nil)
	if f.custom != nil {
		s = *f.custom
	} else if s, err = profile(f.profile); err != nil {
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
		s.Deadline = Duration(f.deadline)
	}
	return s, s.validate()
}

// run runs the scenario, checks it (docs/checker.md) and returns its
// summary. It fails when a process died, when a campaign did not reach a
// terminal state by the deadline, or when the check did not pass.
func (f runFlags) run(ctx context.Context, stdout io.Writer) (summary, error) {
	var none summary
	sc, err := f.scenario()
	if err != nil {
		return none, err
	}
	if f.bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return none, err
		}
		f.bin = filepath.Dir(exe)
	}
	if f.prefix == "" {
		f.prefix = fmt.Sprintf("bench-%d-", time.Now().Unix())
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return none, err
	}
	sqsc, ddb := awsclient.SQS(awsCfg), awsclient.DynamoDB(awsCfg)
	s := spec.Default(f.prefix)
	if _, err := sqsq.Provision(ctx, sqsc, s); err != nil {
		return none, awsclient.Explain(err)
	}
	if _, err := dynamo.Provision(ctx, ddb, s); err != nil {
		return none, awsclient.Explain(err)
	}
	urls, err := sqsq.QueueURLs(ctx, sqsc, s)
	if err != nil {
		return none, err
	}
	producer, err := sqsq.NewProducer(sqsc, urls[string(statemachine.ToEvents)])
	if err != nil {
		return none, err
	}

	sup, err := newSupervisor(f.dir)
	if err != nil {
		return none, err
	}
	defer sup.stopAll()
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	secretEnv, err := sup.webhookSecretEnv(hex.EncodeToString(secret))
	if err != nil {
		return none, err
	}
	shim := fmt.Sprintf("127.0.0.1:%d", f.basePort+500)
	sim := fmt.Sprintf("127.0.0.1:%d", f.basePort+400)
	start := []*proc{
		{name: "webhook", bin: filepath.Join(f.bin, "webhook"), args: []string{"serve", "--addr", shim, "--prefix", f.prefix},
			env: []string{secretEnv}, health: "http://" + shim + "/healthz"},
		{name: "carriersim", bin: filepath.Join(f.bin, "carriersim"),
			args:   append([]string{"--addr", sim, "--webhook-url", "http://" + shim + "/", "--secret", hex.EncodeToString(secret)}, sc.Carriersim...),
			health: "http://" + sim + "/healthz"},
	}
	var replicas []*proc
	for i := range sc.Replicas {
		addr := fmt.Sprintf("127.0.0.1:%d", f.basePort+100+i)
		replicas = append(replicas, &proc{name: fmt.Sprintf("regd-%d", i+1), bin: filepath.Join(f.bin, "regd"),
			args:   append([]string{"--prefix", f.prefix, "--downstream-url", "http://" + sim, "--http", addr}, sc.Regd...),
			health: "http://" + addr + "/readyz"})
	}
	for _, p := range start {
		if err := sup.start(ctx, p); err != nil {
			return none, err
		}
	}
	starter := newReplicaStarter(sup, stdout, replicas)
	for _, p := range replicas {
		if err := starter.start(ctx, p); err != nil {
			return none, err
		}
	}
	if f.started != nil {
		if err := f.started(ctx, "http://"+sim); err != nil {
			return none, err
		}
	}
	fmt.Fprintf(stdout, "regbench: scenario %s: %s\n", sc.Name, sc.Description)
	fmt.Fprintf(stdout, "regbench: %d brands, %d campaigns x %d numbers, %d regd replicas, deadline %v; prefix %s; logs in %s\n",
		sc.Brands, sc.Campaigns, sc.Numbers, sc.Replicas, time.Duration(sc.Deadline), f.prefix, f.dir)

	l := makeLoad(sc)
	began := time.Now()
	col := newCollector(sqsc, urls, began)
	for i, p := range replicas {
		col.add(p.name, fmt.Sprintf("http://127.0.0.1:%d/metrics", f.basePort+100+i), p.pid())
	}
	if err := producer.Send(ctx, l.envs...); err != nil {
		return none, fmt.Errorf("seed the load: %w", err)
	}
	col.start(ctx)
	w := newWatcher(ddb, s.TableName(), l.campaigns)
	res := f.watch(ctx, stdout, sc, sup, starter, replicas, w, col, began)
	col.finish(ctx)
	chk := f.checkRun(ctx, ddb, s.TableName(), "http://"+sim, sc)
	figures := col.figures()
	for i := range figures {
		figures[i].StartFailures = starter.startFailures(figures[i].Name)
	}
	sum := summarize(runData{scenario: sc, prefix: f.prefix, began: began, elapsed: res.elapsed, ids: w.ids, seen: w.seen,
		counters: col.counters(), replicas: figures, kills: col.kills(), backlog: col.backlogSamples(),
		carriersim: fetchCounters(ctx, "http://"+sim+"/counters"), check: chk})
	if res.err != nil {
		sum.Error = res.err.Error()
	}
	if err := f.report(stdout, sum); err != nil {
		return sum, err
	}
	if res.err != nil {
		return sum, res.err
	}
	if f.serve {
		fmt.Fprintf(stdout, "\nServing until Ctrl-C. Look next:\n"+
			"  eval \"$(infra/local/stack.sh env)\"; export TENDLC_PREFIX=%s\n"+
			"  bin/regctl stuck --older-than 10s      # records waiting too long\n"+
			"  bin/regctl show %s                 # one campaign and its audit history\n"+
			"  bin/regctl queues                      # queue depths and dead letters\n"+
			"  bin/regbench check --prefix %s --carriersim http://%s --profile %s   # the checker, again\n"+
			"  curl -s http://%s/metrics | grep tendlc_   # metrics of replica 1\n"+
			"  logs: %s\n", f.prefix, l.campaigns[0], f.prefix, sim, f.profile, fmt.Sprintf("127.0.0.1:%d", f.basePort+100), f.dir)
		<-ctx.Done()
		return sum, nil
	}
	var failures []error
	if n := sum.Stuck + sum.Lost; n > 0 {
		failures = append(failures, fmt.Errorf("%d of %d campaigns did not reach a terminal state by the deadline", n, sum.Started))
	}
	if sum.Check != nil {
		failures = append(failures, sum.Check.failure())
	}
	return sum, errors.Join(failures...)
}

// checkRun runs the checker on the run that just ended, while carriersim still
// serves its journal and before any process stops; nil when the run was
// interrupted.
func (f runFlags) checkRun(ctx context.Context, ddb dynamo.API, table, carriersimURL string, sc Scenario) *checkResult {
	if ctx.Err() != nil {
		return nil
	}
	rates, err := regdRates(sc.Regd)
	if err != nil {
		r := failedCheck(err)
		return &r
	}
	r := inspect(ctx, checkSources{ddb: ddb, table: table, carriersim: carriersimURL, rates: rates, settle: journalSettle(sc)})
	return &r
}

// report prints summary.md and writes the report files into f.out, if set.
func (f runFlags) report(stdout io.Writer, sum summary) error {
	fmt.Fprintln(stdout)
	if err := sum.writeMarkdown(stdout); err != nil {
		return err
	}
	if f.out == "" {
		return nil
	}
	if err := writeReport(f.out, sum); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	fmt.Fprintf(stdout, "\nregbench: report in %s: %s, %s, %s, %s, %s\n", f.out, reportJSON, summaryMD, completedSVG, latencyCDFSVG, backlogSVG)
	return nil
}

type watchResult struct {
	elapsed time.Duration
	err     error
}

// watch polls the campaigns until all are terminal, the deadline passes or
// ctx ends, printing progress and killing a replica every KillEvery.
func (f runFlags) watch(ctx context.Context, stdout io.Writer, sc Scenario, sup *supervisor, starter *replicaStarter, replicas []*proc,
	w *watcher, col *collector, began time.Time) watchResult {
	deadline := began.Add(time.Duration(sc.Deadline))
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastProgress, lastKill, victim := began, began, 0
	progress := func(now time.Time) {
		fmt.Fprintf(stdout, "%s | backlog %d | kills %d\n", w.progress(now.Sub(began)), col.backlogTotal(), col.kills())
	}
	for {
		select {
		case <-ctx.Done():
			return watchResult{time.Since(began), ctx.Err()}
		case <-tick.C:
		}
		if err := w.poll(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stdout, "regbench: %v\n", err)
		}
		if err := sup.died(); err != nil {
			return watchResult{time.Since(began), err}
		}
		now := time.Now()
		if w.done() || now.After(deadline) {
			progress(now)
			return watchResult{elapsed: now.Sub(began)}
		}
		if now.Sub(lastProgress) >= f.progressEvery {
			progress(now)
			lastProgress = now
		}
		if sc.KillEvery > 0 && now.Sub(lastKill) >= time.Duration(sc.KillEvery) {
			p := replicas[victim%len(replicas)]
			victim++
			lastKill = now
			col.down(ctx, p.name) // what the process counted dies with it
			sup.signal(p, 9, 0)
			fmt.Fprintf(stdout, "regbench: killed %s with SIGKILL; restarting it\n", p.name)
			if err := starter.start(ctx, p); err != nil {
				return watchResult{time.Since(began), err}
			}
			col.up(p.name, p.pid())
		}
	}
}

// fetchCounters reads carriersim's counters; nil when it cannot.
func fetchCounters(ctx context.Context, url string) map[string]any {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil
	}
	return m
}
