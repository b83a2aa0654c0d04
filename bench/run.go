package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tendlc/tendlc/bench/check"
)

// Runner runs a scenario end to end against a system under test: it starts
// carriersim and the system's processes, seeds the load, prints a progress
// line, kills replicas on the scenario's schedule, checks the run
// (docs/checker.md) and reports it.
type Runner struct {
	System   System
	Scenario Scenario // validated by Run
	Profile  string   // the scenario's name on the command line, for Hints
	// Bin is the directory of the carriersim binary and the system's
	// binaries; empty: the running program's own.
	Bin string
	Dir string // the processes' logs and PID files
	// Repo is the git repository in which a rollout's change is measured
	// (Deployer.FlowChange); empty: the working directory.
	Repo string
	// Prefix names the run's resources; empty: a fresh bench-<time>- prefix.
	Prefix string
	// BasePort numbers the run's ports: carriersim listens on BasePort+400
	// (the system's: Env.BasePort).
	BasePort int
	// Serve keeps everything running after the load finished, until ctx
	// ends, and prints the system's hints if it is a Hinter.
	Serve         bool
	ProgressEvery time.Duration // interval of the progress line
	// Out is the directory of the report files; empty writes none.
	Out string
	// Services are the backing services whose CPU time and memory the
	// report gives (Report.Services): for tendlc, the emulators. A system
	// that starts one of its own adds it (Serviced).
	Services []Service

	// Started, if set, runs once every process is up, with carriersim's
	// base URL (for tests).
	Started func(ctx context.Context, carriersimURL string) error
}

// Run runs the scenario, checks it and returns its report. It fails when a
// process died, when a campaign did not reach a terminal state by the
// deadline, or when the check did not pass; the report then says why.
func (r Runner) Run(ctx context.Context, stdout io.Writer) (Report, error) {
	var none Report
	sc := r.Scenario
	if err := sc.Validate(); err != nil {
		return none, err
	}
	deployer, err := deployerOf(r.System, sc)
	if err != nil {
		return none, err
	}
	if r.Bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return none, err
		}
		r.Bin = filepath.Dir(exe)
	}
	if r.Prefix == "" {
		r.Prefix = fmt.Sprintf("bench-%d-", time.Now().Unix())
	}
	sup, err := NewSupervisor(r.Dir)
	if err != nil {
		return none, err
	}
	defer sup.StopAll()
	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	env := Env{Scenario: sc, Profile: r.Profile, Bin: r.Bin, Dir: r.Dir, Prefix: r.Prefix, BasePort: r.BasePort,
		Secret: hex.EncodeToString(secret), Stdout: stdout}
	webhookURL, err := r.System.Start(ctx, env, sup)
	if err != nil {
		return none, err
	}
	sim := fmt.Sprintf("127.0.0.1:%d", r.BasePort+400)
	simURL := "http://" + sim
	carriersim := &Proc{Name: "carriersim", Bin: filepath.Join(r.Bin, "carriersim"),
		Args:   append([]string{"--addr", sim, "--webhook-url", webhookURL, "--secret", env.Secret}, sc.Carriersim...),
		Health: simURL + "/healthz"}
	if err := sup.Start(ctx, carriersim); err != nil {
		return none, err
	}
	replicas, err := r.System.StartReplicas(ctx, env, sup, simURL)
	if err != nil {
		return none, err
	}
	if err := restartable(replicas, sc); err != nil {
		return none, err
	}
	if err := deployable(replicas, sc); err != nil {
		return none, err
	}
	if r.Started != nil {
		if err := r.Started(ctx, simURL); err != nil {
			return none, err
		}
	}
	l := makeLoad(sc)
	first, batches := l, []Load(nil)
	if sc.Rollout != nil {
		first, batches = sc.Rollout.split(l, sc.Replicas)
	}
	fmt.Fprintf(stdout, "regbench: scenario %s: %s\n", sc.Name, sc.Description)
	fmt.Fprintf(stdout, "regbench: %d brands, %d campaigns x %d numbers, %d replicas, deadline %v; prefix %s; logs in %s\n",
		sc.Brands, sc.Campaigns, sc.Numbers, sc.Replicas, time.Duration(sc.Deadline), r.Prefix, r.Dir)
	if ro := sc.Rollout; ro != nil {
		fmt.Fprintf(stdout, "regbench: rollout of %s from %v on, a replica at a time, %v apart; %d campaigns seeded now, %d during it\n",
			ro.Flow, time.Duration(ro.Start), time.Duration(ro.Every), len(first.Campaigns), len(l.Campaigns)-len(first.Campaigns))
	}

	began := time.Now()
	col := newCollector(r.System.Backlog, began)
	for _, rep := range replicas {
		col.add(rep.Proc.Name, rep.MetricsURL, rep.Proc.PID())
	}
	services := r.Services
	if sv, ok := r.System.(Serviced); ok {
		services = append(slices.Clone(services), sv.Services()...)
	}
	for _, svc := range services {
		col.addService(svc)
	}
	col.baseline()
	if err := r.System.Seed(ctx, first); err != nil {
		return none, fmt.Errorf("seed the load: %w", err)
	}
	col.start(ctx)
	var ro *rollout
	if sc.Rollout != nil {
		ro = newRollout(*sc.Rollout, began, time.Now, batches, r.deployer(stdout, sup, replicas, col, sc.Rollout.flow()), r.System.Seed)
	}
	w := newWatcher(r.System.Campaigns, l.Campaigns)
	res := r.watch(ctx, stdout, sup, replicas, w, col, ro, began)
	col.finish(ctx)
	chk, history, historyErr := r.checkRun(ctx, simURL)
	figures := col.figures()
	for i := range figures {
		figures[i].StartFailures = sup.StartFailures(figures[i].Name)
	}
	d := RunData{SystemName: r.System.Name(), Scenario: sc, Prefix: r.Prefix, Began: began, Elapsed: res.elapsed, IDs: w.ids, Seen: w.seen,
		Metrics: col.counters(), Replicas: figures, Services: col.serviceFigures(), Kills: col.kills(), Backlog: col.backlogSamples(),
		Carriersim: fetchCounters(ctx, simURL+"/counters"), Check: chk}
	if ro != nil {
		d.Seeded, d.Rollout = ro.seeded, r.rolloutData(ctx, deployer, ro, d, history, historyErr)
	}
	sum := Summarize(d, r.System.Figures(d))
	if h, ok := r.System.(HandingOff); ok {
		sum.Handoff = h.Handoff(d)
	}
	if sc.Limit {
		sum.Limit = r.measureLimit(ctx, stdout, env, sup, d)
	}
	if res.err != nil {
		sum.Error = res.err.Error()
	}
	if err := r.report(stdout, sum); err != nil {
		return sum, err
	}
	if res.err != nil {
		return sum, res.err
	}
	if r.Serve {
		if h, ok := r.System.(Hinter); ok {
			h.Hints(stdout, env, simURL, l.Campaigns[0])
		}
		<-ctx.Done()
		return sum, nil
	}
	var failures []error
	if n := sum.Stuck + sum.Lost; n > 0 {
		failures = append(failures, fmt.Errorf("%d of %d campaigns did not reach a terminal state by the deadline", n, sum.Started))
	}
	if sum.Check != nil {
		failures = append(failures, sum.Check.Failure())
	}
	// A system with no bare loop (the Temporal side) has nothing to
	// measure: the summary says so, and the run has not failed.
	if _, measures := r.System.(LimitMeasurer); measures && sum.Limit != nil && sum.Limit.Error != "" {
		failures = append(failures, fmt.Errorf("the limit: %s", sum.Limit.Error))
	}
	return sum, errors.Join(failures...)
}

// checkRun runs the checker on the run that just ended, while carriersim
// still serves its journal and before any process stops, and returns its
// result (nil when the run was interrupted) and the history it read, or
// why it has none.
func (r Runner) checkRun(ctx context.Context, carriersimURL string) (*check.Result, check.History, error) {
	if ctx.Err() != nil {
		return nil, check.History{}, ctx.Err()
	}
	var rates map[string]float64
	if rl, ok := r.System.(RateLimited); ok {
		var err error
		if rates, err = rl.Rates(r.Scenario); err != nil {
			res := check.Failed(err)
			return &res, check.History{}, fmt.Errorf("not read: %w", err)
		}
	}
	var history check.History
	historyErr := errors.New("not read")
	read := func(ctx context.Context) (check.History, error) {
		history, historyErr = r.System.History(ctx)
		return history, historyErr
	}
	res := check.Inspect(ctx, check.Sources{History: read, Simulator: carriersimURL, Rates: rates,
		Settle: r.Scenario.JournalSettle()})
	return &res, history, historyErr
}

// report prints summary.md and writes the report files into r.Out, if set.
func (r Runner) report(stdout io.Writer, sum Report) error {
	fmt.Fprintln(stdout)
	if err := sum.WriteMarkdown(stdout); err != nil {
		return err
	}
	if r.Out == "" {
		return nil
	}
	if err := writeReport(r.Out, sum); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	fmt.Fprintf(stdout, "\nregbench: report in %s: %s, %s, %s, %s, %s\n", r.Out, reportJSON, summaryMD, completedSVG, latencyCDFSVG, backlogSVG)
	return nil
}

type watchResult struct {
	elapsed time.Duration
	err     error
}

// watch polls the campaigns until all are terminal, the deadline passes or
// ctx ends, printing progress, killing a replica every KillEvery and taking
// the rollout ro (if not nil) a step further.
func (r Runner) watch(ctx context.Context, stdout io.Writer, sup *Supervisor, replicas []Replica, w *watcher, col *collector,
	ro *rollout, began time.Time) watchResult {
	sc := r.Scenario
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
		if err := sup.Died(); err != nil {
			return watchResult{time.Since(began), err}
		}
		now := time.Now()
		if w.done() || now.After(deadline) {
			progress(now)
			return watchResult{elapsed: now.Sub(began)}
		}
		if now.Sub(lastProgress) >= r.ProgressEvery {
			progress(now)
			lastProgress = now
		}
		if sc.KillEvery > 0 && now.Sub(lastKill) >= time.Duration(sc.KillEvery) {
			v := replicas[victim%len(replicas)]
			victim++
			lastKill = now
			col.down(ctx, v.Proc.Name, true) // what the process counted dies with it
			sup.Signal(v.Proc, 9, 0)
			fmt.Fprintf(stdout, "regbench: killed %s with SIGKILL; restarting it\n", v.Proc.Name)
			if err := v.Restart(ctx); err != nil {
				return watchResult{time.Since(began), err}
			}
			col.up(v.Proc.Name, v.Proc.PID())
		}
		if ro != nil {
			if err := ro.step(ctx); err != nil {
				return watchResult{time.Since(began), err}
			}
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

// restartable checks that the kill schedule of sc can restart every replica:
// one without Restart would end the run at its first kill.
func restartable(replicas []Replica, sc Scenario) error {
	if sc.KillEvery <= 0 {
		return nil
	}
	for _, v := range replicas {
		if v.Restart == nil {
			return fmt.Errorf("replica %s has no Restart, and scenario %s kills a replica every %v", v.Proc.Name, sc.Name, time.Duration(sc.KillEvery))
		}
	}
	return nil
}
