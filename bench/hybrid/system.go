package hybrid

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/bench/legacy"
	"github.com/tendlc/tendlc/bench/temporal"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// workers is how many `regtemporal worker` processes run the delegated
// steps: two, so that one runs while the boundary kills the other.
const workers = 2

// System is the hybrid hand-off as a system under test: legacy's System
// (its queues, table, replicas, history and figures) with the evidence
// review delegated to the Temporal side's server, workers and bridge. The
// zero value is ready to use, for one run.
type System struct {
	legacy.System

	env       bench.Env
	sup       *bench.Supervisor
	server    *bench.Proc
	address   string // the Temporal frontend's host:port
	bridge    *bench.Proc
	bridgeURL string
	workers   []*bench.Proc
	dropped   []string // regd flags the workers do not take
	metrics   []string // the /metrics of the bridge and the workers

	restart  *temporal.ServerRestart // nil in a run that kills no replicas
	boundary *boundary               // likewise
	handoff  handoffInput            // read by History, for Handoff
	injected map[string]float64      // send faults of the workers and the bridge, read by History
}

var (
	_ bench.System     = (*System)(nil)
	_ bench.Serviced   = (*System)(nil)
	_ bench.HandingOff = (*System)(nil)
)

// Name is the hybrid's name in reports.
func (s *System) Name() string { return "hybrid" }

// Start provisions tendlc's queues and table, starts the embedded Temporal
// server (its frontend on env.BasePort+600) and the bridge on
// env.BasePort+500, which takes the simulator's webhooks: it returns the
// bridge's URL, or the first error.
func (s *System) Start(ctx context.Context, env bench.Env, sup *bench.Supervisor) (string, error) {
	s.env, s.sup = env, sup
	if err := s.Provision(ctx, env); err != nil {
		return "", err
	}
	server, address, err := temporal.StartServer(ctx, env, sup)
	if err != nil {
		return "", err
	}
	s.server, s.address = server, address
	secretEnv, err := env.SecretEnv()
	if err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(env.BasePort+500)
	s.bridge = &bench.Proc{Name: "bridge", Bin: s.bin(),
		Args: append([]string{"bridge", "--address", address, "--namespace", temporal.Namespace, "--prefix", env.Prefix, "--addr", addr},
			sendFaultsOf(env.Scenario.Regd)...),
		Env: []string{secretEnv}, Health: "http://" + addr + "/healthz"}
	s.metrics = append(s.metrics, "http://"+addr+"/metrics")
	if err := sup.Start(ctx, s.bridge); err != nil {
		return "", err
	}
	s.bridgeURL = "http://" + addr
	return s.bridgeURL + "/", nil
}

// bin is the regtemporal binary.
func (s *System) bin() string { return filepath.Join(s.env.Bin, "regtemporal") }

// StartReplicas starts the scenario's regd replicas with the evidence
// review delegated to the bridge (legacy's StartReplicas, with --delegate
// evidence --bridge-url), and the workers, worker i serving its metrics on
// env.BasePort+200+i with the scenario's regd flags that a worker takes
// (temporal.WorkerArgs: the rate limits among them) and reporting to the
// run's events queue (--prefix); the replicas and the workers split the
// registry's rate (splitRegistryRate). It returns the regd replicas: the
// scenario's kill schedule kills them, the boundary's the workers.
func (s *System) StartReplicas(ctx context.Context, env bench.Env, sup *bench.Supervisor, simulatorURL string) ([]bench.Replica, error) {
	regdRate, workerRate, err := splitRegistryRate(env.Scenario.Regd)
	if err != nil {
		return nil, err
	}
	delegating := env
	delegating.Scenario.Regd = append(slices.Clone(env.Scenario.Regd), "--rate", regdRate, "--delegate", "evidence", "--bridge-url", s.bridgeURL)
	replicas, err := s.System.StartReplicas(ctx, delegating, sup, simulatorURL)
	if err != nil {
		return nil, err
	}
	flags, dropped := temporal.WorkerArgs(append(slices.Clone(env.Scenario.Regd), "--rate", workerRate))
	s.dropped = dropped
	for i := range workers {
		addr := fmt.Sprintf("127.0.0.1:%d", env.BasePort+200+i)
		p := &bench.Proc{Name: fmt.Sprintf("worker-%d", i+1), Bin: s.bin(),
			Args: slices.Concat([]string{"worker", "--address", s.address, "--namespace", temporal.Namespace, "--prefix", env.Prefix,
				"--downstream-url", simulatorURL, "--http", addr}, flags, sendFaultsOf(env.Scenario.Regd)),
			Health: "http://" + addr + "/healthz"}
		s.metrics = append(s.metrics, "http://"+addr+"/metrics")
		if err := sup.Start(ctx, p); err != nil {
			return nil, err
		}
		s.workers = append(s.workers, p)
	}
	return replicas, nil
}

// workerShare is the workers' share of the registry's rate limit: the
// replicas and the workers call the one registry, whose limit (regd's
// --rate for it) they split, the workers taking a fifth (their evidence
// submissions and look-ups are a few of the registry's calls).
const workerShare = 0.2

// splitRegistryRate returns the --rate values of the replicas and of the
// workers: regd's in args, the registry's rate split between them
// (workerShare), each later part of the value overriding the earlier as
// regd and the worker read it. Its error is the flag's.
func splitRegistryRate(args []string) (regd, worker string, err error) {
	rates, err := legacy.Rates(args)
	if err != nil {
		return "", "", err
	}
	r := rates[string(tcrsim.GroupRegistry)]
	with := func(v float64) string {
		part := string(tcrsim.GroupRegistry) + "=" + strconv.FormatFloat(v, 'g', 4, 64)
		if given := bench.FlagValue(args, "rate"); given != "" {
			return given + "," + part
		}
		return part
	}
	return with(r * (1 - workerShare)), with(r * workerShare), nil
}

// Seed seeds the load as legacy does and, the first time in a run that
// kills replicas, schedules the boundary's faults from the seeding: the
// Temporal server's restart at half the kill interval, then the bridge and
// the workers in turn, one every kill interval from one and a half.
func (s *System) Seed(ctx context.Context, l bench.Load) error {
	began := time.Now()
	if err := s.System.Seed(ctx, l); err != nil {
		return err
	}
	if every := time.Duration(s.env.Scenario.KillEvery); every > 0 && s.restart == nil {
		s.restart = temporal.StartRestart(ctx, s.sup, s.server, s.env.Stdout, began, every/2)
		var victims []victim
		for _, w := range s.workers {
			victims = append(victims, victim{"bridge", s.bridge}, victim{"worker", w})
		}
		s.boundary = startBoundary(ctx, s.sup, s.env.Stdout, victims, every*3/2-time.Since(began), every)
	}
	return nil
}

// History stops the boundary's faults (waiting for one under way), reads
// tendlc's records and audit (legacy's History) and the DelegatedEvidence
// workflows, for Handoff.
func (s *System) History(ctx context.Context) (check.History, error) {
	if s.restart != nil {
		r := s.restart.Stop()
		if r.Done {
			s.handoff.kills = map[string]int{"temporal server": 1}
		}
		if r.Error != "" {
			s.handoff.errs = append(s.handoff.errs, "the Temporal server did not start again: "+r.Error)
		}
	}
	if s.boundary != nil {
		kills, err := s.boundary.stop()
		if s.handoff.kills == nil {
			s.handoff.kills = map[string]int{}
		}
		for g, n := range kills {
			s.handoff.kills[g] += n
		}
		if err != nil {
			s.handoff.errs = append(s.handoff.errs, err.Error())
		}
	}
	if sendFaultsOf(s.env.Scenario.Regd) != nil {
		var err error
		if s.injected, err = scrapeFaults(ctx, s.metrics); err != nil {
			s.handoff.errs = append(s.handoff.errs, err.Error())
		}
	}
	h, err := s.System.History(ctx)
	if err != nil {
		return h, err
	}
	s.handoff.audit = h.Audit
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := temporal.Run(ctx, s.bin(), s.address, "delegated")
	if err != nil {
		s.handoff.errs = append(s.handoff.errs, err.Error())
		return h, nil
	}
	if s.handoff.workflows, err = parseDelegated(out); err != nil {
		s.handoff.errs = append(s.handoff.errs, err.Error())
	}
	return h, nil
}

// Services returns the embedded Temporal server as the run's backing
// service, beside the emulators (bench.Serviced).
func (s *System) Services() []bench.Service {
	return []bench.Service{{Name: "temporal server", PIDFile: s.sup.PIDFile(s.server)}}
}

// Figures are legacy's figures of the run d, with the send faults the
// workers and the bridge injected in their Faults.
func (s *System) Figures(d bench.RunData) bench.Figures {
	return figures{Figures: s.System.Figures(d), regd: d.Scenario.Regd, injected: s.injected}
}

// Handoff computes the hand-off's figures (bench.HandingOff).
func (s *System) Handoff(bench.RunData) *bench.Handoff { return s.handoff.figures() }
