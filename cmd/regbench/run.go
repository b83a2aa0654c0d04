package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

	// For tests: a scenario instead of a profile, and a hook that runs once
	// every process is up, with carriersim's base URL.
	custom  *Scenario
	started func(ctx context.Context, carriersimURL string) error
}

func runCommand(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var f runFlags
	fs.StringVar(&f.profile, "profile", "demo", "scenario: demo, happy, lossy, dupes, throttle, stale, crash, mix, or a .json profile file")
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
	return func(ctx context.Context, stdout io.Writer) error {
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

// run runs the scenario and returns its summary. It fails when a process
// died, or when a campaign did not reach a terminal state by the deadline.
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
	shim := fmt.Sprintf("127.0.0.1:%d", f.basePort+500)
	sim := fmt.Sprintf("127.0.0.1:%d", f.basePort+400)
	start := []*proc{
		{name: "webhook", bin: filepath.Join(f.bin, "webhook"), args: []string{"serve", "--addr", shim, "--prefix", f.prefix},
			env: []string{"TENDLC_WEBHOOK_SECRET=" + hex.EncodeToString(secret)}, health: "http://" + shim + "/healthz"},
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
	for _, p := range append(start, replicas...) {
		if err := sup.start(ctx, p); err != nil {
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
	if err := producer.Send(ctx, l.envs...); err != nil {
		return none, fmt.Errorf("seed the load: %w", err)
	}
	w := newWatcher(ddb, s.TableName(), l.campaigns)
	res := f.watch(ctx, stdout, sc, sup, replicas, w, began)
	sum := summarize(sc, w, began, res.elapsed, fetchCounters(ctx, "http://"+sim+"/counters"))
	sum.write(stdout)
	if res.err != nil {
		return sum, res.err
	}
	if f.serve {
		fmt.Fprintf(stdout, "\nServing until Ctrl-C. Look next:\n"+
			"  eval \"$(infra/local/stack.sh env)\"; export TENDLC_PREFIX=%s\n"+
			"  bin/regctl stuck --older-than 10s      # records waiting too long\n"+
			"  bin/regctl show %s                 # one campaign and its audit history\n"+
			"  bin/regctl queues                      # queue depths and dead letters\n"+
			"  curl -s http://%s/metrics | grep tendlc_   # metrics of replica 1\n"+
			"  logs: %s\n", f.prefix, l.campaigns[0], fmt.Sprintf("127.0.0.1:%d", f.basePort+100), f.dir)
		<-ctx.Done()
		return sum, nil
	}
	if n := sum.Stuck + sum.Lost; n > 0 {
		return sum, fmt.Errorf("%d of %d campaigns did not reach a terminal state by the deadline", n, sum.Started)
	}
	return sum, nil
}

type watchResult struct {
	elapsed time.Duration
	err     error
}

// watch polls the campaigns until all are terminal, the deadline passes or
// ctx ends, printing progress and killing a replica every KillEvery.
func (f runFlags) watch(ctx context.Context, stdout io.Writer, sc Scenario, sup *supervisor, replicas []*proc, w *watcher, began time.Time) watchResult {
	deadline := began.Add(time.Duration(sc.Deadline))
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastProgress, lastKill, victim := began, began, 0
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
			fmt.Fprintln(stdout, w.progress(now.Sub(began)))
			return watchResult{elapsed: now.Sub(began)}
		}
		if now.Sub(lastProgress) >= f.progressEvery {
			fmt.Fprintln(stdout, w.progress(now.Sub(began)))
			lastProgress = now
		}
		if sc.KillEvery > 0 && now.Sub(lastKill) >= time.Duration(sc.KillEvery) {
			p := replicas[victim%len(replicas)]
			victim++
			lastKill = now
			sup.signal(p, 9, 0)
			fmt.Fprintf(stdout, "regbench: killed %s with SIGKILL; restarting it\n", p.name)
			if err := sup.start(ctx, p); err != nil {
				return watchResult{time.Since(began), err}
			}
		}
	}
}

// summary is the outcome of a run.
type summary struct {
	Scenario        Scenario                   `json:"scenario"`
	Started         int                        `json:"started"`
	Completed       int                        `json:"completed"` // ACTIVE
	Ended           map[statemachine.State]int `json:"ended"`     // terminal states, ACTIVE included
	Stuck           int                        `json:"stuck"`     // exists, not terminal at the end
	Lost            int                        `json:"lost"`      // never created
	ElapsedSeconds  float64                    `json:"elapsed_seconds"`
	ToActiveSeconds map[string]float64         `json:"time_to_active_seconds"` // p50, p95, p99, max
	Carriersim      map[string]any             `json:"carriersim_counters,omitempty"`
}

func summarize(sc Scenario, w *watcher, began time.Time, elapsed time.Duration, counters map[string]any) summary {
	s := summary{Scenario: sc, Started: len(w.ids), Ended: map[statemachine.State]int{}, ElapsedSeconds: elapsed.Seconds(),
		ToActiveSeconds: map[string]float64{}, Carriersim: counters}
	var toActive []float64
	for _, id := range w.ids {
		c := w.seen[id]
		switch {
		case c.state == "":
			s.Lost++
		case statemachine.IsTerminal(statemachine.KindCampaign, c.state):
			s.Ended[c.state]++
			if c.state == statemachine.Active {
				s.Completed++
				toActive = append(toActive, c.enteredAt.Sub(began).Seconds())
			}
		default:
			s.Stuck++
		}
	}
	slices.Sort(toActive)
	if len(toActive) > 0 {
		for _, q := range []struct {
			name string
			p    float64
		}{{"p50", .50}, {"p95", .95}, {"p99", .99}, {"max", 1}} {
			s.ToActiveSeconds[q.name] = toActive[int(math.Ceil(q.p*float64(len(toActive))))-1]
		}
	}
	return s
}

func (s summary) write(w io.Writer) {
	fmt.Fprintf(w, "\n## regbench %s: %d campaigns, %d replicas, %.0f s\n\n", s.Scenario.Name, s.Started, s.Scenario.Replicas, s.ElapsedSeconds)
	fmt.Fprintln(w, "| outcome | campaigns |")
	fmt.Fprintln(w, "|---|---:|")
	for _, st := range statemachine.States(statemachine.KindCampaign) {
		if n := s.Ended[st]; n > 0 {
			fmt.Fprintf(w, "| %s | %d |\n", st, n)
		}
	}
	fmt.Fprintf(w, "| not terminal at the end (stuck) | %d |\n| never created (lost) | %d |\n", s.Stuck, s.Lost)
	if len(s.ToActiveSeconds) > 0 {
		fmt.Fprintf(w, "\ntime to ACTIVE: p50 %.1f s, p95 %.1f s, p99 %.1f s, max %.1f s\n",
			s.ToActiveSeconds["p50"], s.ToActiveSeconds["p95"], s.ToActiveSeconds["p99"], s.ToActiveSeconds["max"])
	}
	if g, ok := s.Carriersim["groups"].(map[string]any); ok {
		fmt.Fprintln(w, "\n| downstream | requests | 429 sent | 5xx sent | repeated (same key) | resubmitted (new key) | max accepted/s |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, name := range []string{"registry", "att", "tmobile", "verizon", "numbers"} {
			c, _ := g[name].(map[string]any)
			fmt.Fprintf(w, "| %s | %v | %v | %v | %v | %v | %v |\n", name, c["requests"], c["rate_limited"], c["server_errors"],
				c["repeated"], c["resubmitted"], c["max_accepted_per_second"])
		}
	}
	if wh, ok := s.Carriersim["webhooks"].(map[string]any); ok {
		fmt.Fprintf(w, "\nwebhooks: emitted %v, sent %v, dropped %v, duplicated %v, reordered %v, failed %v\n",
			wh["emitted"], wh["sent"], wh["dropped"], wh["duplicated"], wh["reordered"], wh["failed"])
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
