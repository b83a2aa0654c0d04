package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/statemachine"
)

// System is a system under test: one implementation of the registration
// flow, which Runner drives through a scenario and reports on. The engine
// owns the simulator, the load, the progress line, the kill schedule, the
// checker and the report; a System owns its resources and processes, and
// reads its own state and figures. Package legacy implements it for tendlc
// (SQS consumers and DynamoDB records).
//
// A run has four steps, and System a method or two for each:
//
//   - start: Start, then (once the simulator runs) StartReplicas, every
//     process under the Supervisor it is given, which stops them all at the
//     end; the kill schedule restarts a replica with its Replica.Restart;
//   - seed: Seed;
//   - watch progress: Campaigns and Backlog, until the run ends; in a
//     rollout, Replica.Deploy and Seed again meanwhile;
//   - collect: History for the checker, then Figures for the report.
//
// A System may also have optional capabilities, which Runner finds with a
// type assertion (as io.Copy finds an io.WriterTo): RateLimited gives the
// checker's rate rule the system's own limits, and Hinter says what to look
// at while a run is served (Runner.Serve).
type System interface {
	// Name names the system in its reports (report.json's system_name):
	// "legacy" for tendlc. `regbench compare` titles a report's column with
	// it and picks the system's files in the concern mapping by it.
	Name() string
	// Start provisions the run's resources and starts the processes that
	// take the simulator's webhooks, signed with env.Secret. It returns the
	// URL the simulator posts its webhooks to.
	Start(ctx context.Context, env Env, sup *Supervisor) (webhookURL string, err error)
	// StartReplicas starts env.Scenario.Replicas replicas of the system's
	// workers, which call the simulator at simulatorURL, and returns them.
	StartReplicas(ctx context.Context, env Env, sup *Supervisor, simulatorURL string) ([]Replica, error)
	// Seed hands the load's registrations to the system.
	Seed(ctx context.Context, l Load) error
	// Campaigns reads the state of the campaigns ids. A campaign whose
	// record does not exist yet is left out.
	Campaigns(ctx context.Context, ids []string) (map[string]Campaign, error)
	// Backlog reads how many messages every queue of the system holds; a
	// queue it cannot read is left out.
	Backlog(ctx context.Context) map[string]QueueDepth
	// History reads every record of the run and its audit items.
	History(ctx context.Context) (check.History, error)
	// Figures computes the system's own figures of the run d (its replicas'
	// metrics above all) for the report; nil for none.
	Figures(d RunData) Figures
}

// RateLimited is a System with rate limits of its own on the downstream
// calls: the checker's rate rule holds a run to them. A System that is not
// RateLimited is held to check.DefaultRate for every group, which is regd's
// default (1 request per second): a second system implements RateLimited to
// be judged against its own limits.
type RateLimited interface {
	// Rates returns the system's rate limit per downstream group, per
	// second, under sc.
	Rates(sc Scenario) (map[string]float64, error)
}

// Serviced is a System that starts a backing service of its own among its
// processes (the Temporal side's server): the report measures its CPU time
// and memory as it does Runner.Services, across the system's restarts of
// it.
type Serviced interface {
	// Services returns the system's backing services, once Start returned.
	Services() []Service
}

// Deployer is a System whose replicas can be deployed on a newer flow in
// the middle of a run (Replica.Deploy), and that says what such a rollout
// cost it: Runner refuses a scenario with a Rollout for a system that is
// not one.
type Deployer interface {
	// FlowMix returns what the mix of flows cost the system in the run d,
	// from its replicas' metrics: how often a replica met work of a flow it
	// does not run, by what became of it (for tendlc: events deferred,
	// rejected, dead-lettered).
	FlowMix(d RunData) map[string]float64
	// FlowChange says where the change that added flow to the system is:
	// its commits, and the state table cells it touched.
	FlowChange(flow statemachine.Flow) FlowChange
}

// Hinter is a System that says what to look at while a run's processes keep
// serving after its load finished (Runner.Serve).
type Hinter interface {
	// Hints writes what to look at, the simulator serving at simulatorURL
	// and campaign being one campaign of the load.
	Hints(w io.Writer, env Env, simulatorURL, campaign string)
}

// Figures are a system's own figures of a run: what only it can read from
// its replicas' metrics (System.Figures). Report.System holds them; a
// Figures value marshals to a JSON object whose fields report.json holds
// beside the engine's (so their names differ from the engine's), and it
// writes its sections of summary.md.
type Figures interface {
	// Faults returns what the system's own fault layer injected, by fault,
	// and a check of every fault of its own that the scenario configures
	// (the summary's Faults section lists them first).
	Faults() (injected map[string]float64, checks []FaultCheck)
	// ScheduleToStart returns, per queue of the system, how long its
	// messages waited to be taken, in run seconds: the report gives it in
	// production time too (a scaled run).
	ScheduleToStart() map[string]Latency
	// BackingStoreRequests returns the requests the system's processes sent
	// to each backing store it keeps its state and messages in, by the
	// store's name, every attempt counted (for tendlc: "SQS" and
	// "DynamoDB"); nil when the system does not count them. The report
	// gives them per campaign too.
	BackingStoreRequests() map[string]float64
	// WriteMarkdown writes the figures' part of summary.md at part of r, the
	// report they belong to (Report.RunTime writes a time of it).
	WriteMarkdown(b *strings.Builder, r Report, part Part)
}

// Part is a place in summary.md where a system's figures go.
type Part int

const (
	// PartCampaigns ends the Campaigns section, after the time to ACTIVE.
	PartCampaigns Part = iota
	// PartSections are the system's own sections, after Faults and before
	// the replicas' processes.
	PartSections
	// PartAppendix comes after the campaigns per interval, before the
	// charts.
	PartAppendix
)

// Env is the run a System takes part in.
type Env struct {
	Scenario Scenario
	Profile  string // the scenario's name on the command line
	Bin      string // directory of the system's binaries
	Dir      string // the processes' logs and PID files (Supervisor.Dir)
	Prefix   string // resource name prefix of the run
	// BasePort numbers the run's ports: the simulator listens on
	// BasePort+400; a system takes BasePort+100+i for replica i and
	// BasePort+500 for its webhook receiver.
	BasePort int
	// Secret signs the simulator's webhooks.
	Secret string
	// Stdout takes the system's messages about its processes.
	Stdout io.Writer
}

// SecretEnv writes e.Secret to a 0600 file in e.Dir and returns the
// environment entry that points a webhook receiver at it
// (TENDLC_WEBHOOK_SECRET_FILE): the secret never appears in a process's
// arguments or environment. Its error is the file's.
func (e Env) SecretEnv() (string, error) {
	path := filepath.Join(e.Dir, "webhook-secret")
	if err := os.WriteFile(path, []byte(e.Secret), 0o600); err != nil {
		return "", err
	}
	return "TENDLC_WEBHOOK_SECRET_FILE=" + path, nil
}

// Replica is one worker process of the system under test: the kill
// schedule's victim, and a source of Prometheus counters, CPU time and
// memory for the report.
type Replica struct {
	Proc       *Proc
	MetricsURL string
	// Restart starts Proc again, under the run's Supervisor, after the kill
	// schedule killed it (for tendlc: with a fresh fault seed). Required when
	// the scenario kills replicas: Runner refuses to start without it.
	Restart func(ctx context.Context) error
	// Deploy starts Proc again on flow, after Runner stopped it in a
	// rollout: new registrations it starts run on flow from then on, and
	// Restart starts it on flow too (for tendlc: regd's --flow). Required
	// when the scenario has a Rollout.
	Deploy func(ctx context.Context, flow statemachine.Flow) error
}
