package bench

import (
	"context"
	"io"

	"github.com/tendlc/tendlc/bench/check"
)

// System is a system under test: one implementation of the registration
// flow, which Runner drives through a scenario and reports on. The engine
// owns the simulator, the load, the progress line, the kill schedule, the
// checker and the report; a System owns its resources and processes, and
// reads its own state. Package legacy implements it for tendlc (SQS
// consumers and DynamoDB records).
//
// Runner calls Start, then StartReplicas, then Seed; then Campaigns and
// Backlog until the run ends, with Restart on the fault schedule; then
// History and Rates for the checker. Every process a System starts, it
// starts under the Supervisor it is given, which stops them all at the end.
type System interface {
	// Start provisions the run's resources and starts the processes that
	// take the simulator's webhooks, signed with env.Secret. It returns the
	// URL the simulator posts its webhooks to.
	Start(ctx context.Context, env Env, sup *Supervisor) (webhookURL string, err error)
	// StartReplicas starts env.Scenario.Replicas replicas of the system's
	// workers, which call the simulator at simulatorURL, and returns them.
	StartReplicas(ctx context.Context, env Env, sup *Supervisor, simulatorURL string) ([]Replica, error)
	// Restart starts a replica again after the fault schedule killed it.
	Restart(ctx context.Context, r Replica) error
	// StartFailures returns how many starts of the replica named name exited
	// before it was ready.
	StartFailures(name string) int
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
	// Rates returns the system's rate limit per downstream group, per
	// second, under sc.
	Rates(sc Scenario) (map[string]float64, error)
	// Hints writes what to look at while a run's processes keep serving
	// (Runner.Serve), the simulator at simulatorURL.
	Hints(w io.Writer, env Env, simulatorURL, campaign string)
}

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

// Replica is one worker process of the system under test: the kill
// schedule's victim, and a source of Prometheus counters, CPU time and
// memory for the report.
type Replica struct {
	Proc       *Proc
	MetricsURL string
}
