package temporal

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/bench/legacy"
	"github.com/tendlc/tendlc/statemachine"
)

// Namespace is the Temporal namespace of a run: the embedded server, new
// for every run, creates it at start.
const Namespace = "default"

// serverReady is what `regtemporal server` prints once its frontend serves
// the namespace.
const serverReady = "regtemporal server: ready on"

// System is the Temporal side of issue 17 as a system under test:
// `regtemporal` as processes, the embedded server on SQLite, the webhook
// receiver that signals workflows, and the workers, read through the
// binary's subcommands. The zero value is ready to use, for one run.
type System struct {
	env       bench.Env
	sup       *bench.Supervisor
	cli       cli
	server    *bench.Proc
	restart   *ServerRestart        // nil in a run that kills no replicas
	dropped   []string              // regd flags the workers do not take
	records   []statemachine.Record // read by History, for Figures
	restarted RestartFigures        // what became of the restart, once History stopped it
}

var (
	_ bench.System      = (*System)(nil)
	_ bench.RateLimited = (*System)(nil)
	_ bench.Hinter      = (*System)(nil)
	_ bench.Serviced    = (*System)(nil)
	_ bench.Deployer    = (*System)(nil)
)

// Name is the Temporal side's name in reports.
func (s *System) Name() string { return "temporal" }

// Start starts the embedded Temporal server (StartServer), then the
// webhook receiver on env.BasePort+500. It returns the
// receiver's URL, or the first error of a start.
func (s *System) Start(ctx context.Context, env bench.Env, sup *bench.Supervisor) (string, error) {
	s.env, s.sup = env, sup
	server, address, err := StartServer(ctx, env, sup)
	if err != nil {
		return "", err
	}
	s.server = server
	s.cli = cli{bin: server.Bin, address: address, namespace: Namespace}
	secretEnv, err := env.SecretEnv()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", env.BasePort+500)
	hook := &bench.Proc{Name: "webhook", Bin: s.cli.bin, Args: s.cli.args("webhook", "--addr", addr), Env: []string{secretEnv},
		Health: "http://" + addr + "/healthz"}
	if err := sup.Start(ctx, hook); err != nil {
		return "", err
	}
	return "http://" + addr + "/", nil
}

// StartReplicas starts the scenario's workers, worker i serving its
// metrics on env.BasePort+100+i, each with the scenario's regd flags that
// the worker takes too (WorkerArgs); a worker's Restart starts it again,
// and its Deploy starts it on a flow (the worker's --flow).
func (s *System) StartReplicas(ctx context.Context, env bench.Env, sup *bench.Supervisor, simulatorURL string) ([]bench.Replica, error) {
	flags, dropped := WorkerArgs(env.Scenario.Regd)
	s.dropped = dropped
	if len(dropped) > 0 {
		fmt.Fprintf(env.Stdout, "regbench: the Temporal workers take no %q (regd's own)\n", dropped)
	}
	var replicas []bench.Replica
	for i := range env.Scenario.Replicas {
		addr := fmt.Sprintf("127.0.0.1:%d", env.BasePort+100+i)
		p := &bench.Proc{Name: fmt.Sprintf("worker-%d", i+1), Bin: s.cli.bin,
			Args:   s.cli.args("worker", append([]string{"--downstream-url", simulatorURL, "--http", addr}, flags...)...),
			Health: "http://" + addr + "/healthz"}
		if err := sup.Start(ctx, p); err != nil {
			return nil, err
		}
		replicas = append(replicas, bench.Replica{Proc: p, MetricsURL: "http://" + addr + "/metrics",
			Restart: func(ctx context.Context) error { return sup.Start(ctx, p) },
			Deploy: func(ctx context.Context, flow statemachine.Flow) error {
				p.Args = bench.WithFlow(p.Args, flow) // Restart's too, from now on
				return sup.Start(ctx, p)
			}})
	}
	return replicas, nil
}

// Seed starts one workflow per registration of l (`regtemporal seed`), and,
// the first time in a run that kills replicas, schedules the server's
// restart at half the kill interval from the seeding's start
// (ServerRestart). A rollout seeds again during the run.
func (s *System) Seed(ctx context.Context, l bench.Load) error {
	began := time.Now()
	in, err := seedInput(l)
	if err != nil {
		return err
	}
	out, err := s.cli.run(ctx, in, "seed")
	if err != nil {
		return err
	}
	started, existing, err := parseSeeded(out)
	if err != nil {
		return err
	}
	if started+existing != len(l.Envelopes) {
		return fmt.Errorf("regtemporal seeded %d and found %d of %d registrations", started, existing, len(l.Envelopes))
	}
	if every := time.Duration(s.env.Scenario.KillEvery); every > 0 && s.restart == nil {
		s.restart = StartRestart(ctx, s.sup, s.server, s.env.Stdout, began, every/2)
	}
	return nil
}

// Campaigns reads the states of the campaigns ids (`regtemporal
// campaigns`).
func (s *System) Campaigns(ctx context.Context, ids []string) (map[string]bench.Campaign, error) {
	out, err := s.cli.read(ctx, "campaigns")
	if err != nil {
		return nil, err
	}
	return parseCampaigns(out, ids)
}

// Backlog reads the backlog of every task queue (`regtemporal backlog`);
// none while the server cannot answer.
func (s *System) Backlog(ctx context.Context) map[string]bench.QueueDepth {
	out, err := s.cli.read(ctx, "backlog")
	if err != nil {
		return nil
	}
	b, err := parseBacklog(out)
	if err != nil {
		return nil
	}
	return b
}

// History ends the server's restart if it is not due yet (or waits for it
// to end), then reads every record (`regtemporal history`). It has no audit
// items: a workflow's event history is its audit (check.History.NoAudit).
func (s *System) History(ctx context.Context) (check.History, error) {
	if s.restart != nil {
		s.restarted = s.restart.Stop()
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := s.cli.run(ctx, nil, "history")
	if err != nil {
		return check.History{}, err
	}
	records, err := parseHistory(out)
	if err != nil {
		return check.History{}, err
	}
	s.records = records
	return check.History{Records: records, NoAudit: true}, nil
}

// StartServer starts the embedded Temporal server of a run under sup, its
// frontend on env.BasePort+600 and its state in a file of env.Dir named by
// the run's prefix (its warnings and errors in its log there, with the
// ready line), serving Namespace. It returns the server's process (to kill
// and restart it: StartRestart) and its frontend's host:port, or the start's
// error.
func StartServer(ctx context.Context, env bench.Env, sup *bench.Supervisor) (*bench.Proc, string, error) {
	frontend := env.BasePort + 600
	p := &bench.Proc{Name: "temporal-server", Bin: filepath.Join(env.Bin, "regtemporal"),
		Args: []string{"server", "--db", filepath.Join(env.Dir, env.Prefix+"temporal.db"), "--port", strconv.Itoa(frontend),
			"--namespace", Namespace},
		ReadyLine: serverReady}
	if err := sup.Start(ctx, p); err != nil {
		return nil, "", err
	}
	return p, "127.0.0.1:" + strconv.Itoa(frontend), nil
}

// Services returns the embedded Temporal server as the run's backing
// service, measured through its PID file across its restart
// (bench.Serviced).
func (s *System) Services() []bench.Service {
	return []bench.Service{{Name: "temporal server", PIDFile: s.sup.PIDFile(s.server)}}
}

// Rates returns the workers' rate limits under sc: their --rate, regd's in
// sc.Regd, read as regd reads it (bench.RateLimited).
func (s *System) Rates(sc bench.Scenario) (map[string]float64, error) { return legacy.Rates(sc.Regd) }

// Hints writes the commands that look into a run served after its load
// finished (bench.Hinter).
func (s *System) Hints(w io.Writer, env bench.Env, simulatorURL, campaign string) {
	fmt.Fprintf(w, "\nServing until Ctrl-C. Look next:\n"+
		"  bin/regtemporal campaigns --address %[1]s   # every campaign's state\n"+
		"  bin/regtemporal history --address %[1]s     # every record, %[2]s among them\n"+
		"  bin/regtemporal backlog --address %[1]s     # the task queues' backlogs\n"+
		"  curl -s http://127.0.0.1:%[3]d/metrics | grep temporal_   # metrics of worker 1\n"+
		"  curl -s %[4]s/journal                       # carriersim's journal\n"+
		"  logs: %[5]s\n", s.cli.address, campaign, env.BasePort+100, simulatorURL, env.Dir)
}
