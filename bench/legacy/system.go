package legacy

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// System is tendlc as a system under test: the webhook shim and regd
// replicas as processes, over SQS queues and a DynamoDB table provisioned
// under the run's prefix, in the AWS configuration of the environment (the
// local emulators in development). The zero value is ready to use, for one
// run.
type System struct {
	sqs      sqsq.API
	ddb      *dynamodb.Client
	table    string
	queues   map[string]string // logical name to URL, dead-letter queues included
	producer *sqsq.Producer
}

var (
	_ bench.System      = (*System)(nil)
	_ bench.RateLimited = (*System)(nil)
	_ bench.Hinter      = (*System)(nil)
	_ bench.Deployer    = (*System)(nil)
)

// Name is the name of tendlc in reports: the baseline, beside which a
// second system is compared.
func (s *System) Name() string { return "legacy" }

// Start provisions the run's queues and table and starts the webhook shim
// on env.BasePort+500. It returns the shim's URL, or the first error of the
// AWS configuration, the provisioning or the shim's start.
func (s *System) Start(ctx context.Context, env bench.Env, sup *bench.Supervisor) (string, error) {
	if err := s.Provision(ctx, env); err != nil {
		return "", err
	}
	secretEnv, err := env.SecretEnv()
	if err != nil {
		return "", err
	}
	shim := fmt.Sprintf("127.0.0.1:%d", env.BasePort+500)
	p := &bench.Proc{Name: "webhook", Bin: filepath.Join(env.Bin, "webhook"), Args: []string{"serve", "--addr", shim, "--prefix", env.Prefix},
		Env: []string{secretEnv}, Health: "http://" + shim + "/healthz"}
	if err := sup.Start(ctx, p); err != nil {
		return "", err
	}
	return "http://" + shim + "/", nil
}

// Provision provisions the run's queues and table under env.Prefix and
// connects s to them, as Start does before it starts the shim: a system
// that takes the webhooks elsewhere (the hybrid's bridge) provisions
// tendlc with it. Its error is the AWS configuration's or the
// provisioning's.
func (s *System) Provision(ctx context.Context, env bench.Env) error {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	sqsc, ddb := awsclient.SQS(awsCfg), awsclient.DynamoDB(awsCfg)
	sp := resources.Default(env.Prefix)
	if _, err := sqsq.Provision(ctx, sqsc, sp); err != nil {
		return awsclient.Explain(err)
	}
	if _, err := dynamo.Provision(ctx, ddb, sp); err != nil {
		return awsclient.Explain(err)
	}
	urls, err := sqsq.QueueURLs(ctx, sqsc, sp)
	if err != nil {
		return err
	}
	producer, err := sqsq.NewProducer(sqsc, urls[string(statemachine.ToEvents)])
	if err != nil {
		return err
	}
	s.sqs, s.ddb, s.table, s.queues, s.producer = sqsc, ddb, sp.TableName(), urls, producer
	return nil
}

// StartReplicas starts the scenario's regd replicas, replica i serving on
// env.BasePort+100+i, each with the scenario's regd flags and a fault seed
// of its own (replicaStarter); a replica's Restart starts it again with a
// fresh one, and its Deploy on a flow (regd's --flow).
func (s *System) StartReplicas(ctx context.Context, env bench.Env, sup *bench.Supervisor, simulatorURL string) ([]bench.Replica, error) {
	var procs []*bench.Proc
	var replicas []bench.Replica
	for i := range env.Scenario.Replicas {
		addr := fmt.Sprintf("127.0.0.1:%d", env.BasePort+100+i)
		p := &bench.Proc{Name: fmt.Sprintf("regd-%d", i+1), Bin: filepath.Join(env.Bin, "regd"),
			Args:   append([]string{"--prefix", env.Prefix, "--downstream-url", simulatorURL, "--http", addr}, env.Scenario.Regd...),
			Health: "http://" + addr + "/readyz"}
		procs = append(procs, p)
		replicas = append(replicas, bench.Replica{Proc: p, MetricsURL: "http://" + addr + "/metrics"})
	}
	starter := newReplicaStarter(sup, env.Stdout, procs)
	for i, p := range procs {
		replicas[i].Restart = func(ctx context.Context) error { return starter.start(ctx, p) }
		replicas[i].Deploy = func(ctx context.Context, flow statemachine.Flow) error { return starter.deploy(ctx, p, flow) }
		if err := starter.start(ctx, p); err != nil {
			return nil, err
		}
	}
	return replicas, nil
}

// Seed sends the load's registrations to the events queue.
func (s *System) Seed(ctx context.Context, l bench.Load) error {
	return s.producer.Send(ctx, l.Envelopes...)
}

// Campaigns reads the campaigns' records with consistent BatchGetItem
// reads of 100 keys. It returns what it read before an error, and the error.
func (s *System) Campaigns(ctx context.Context, ids []string) (map[string]bench.Campaign, error) {
	seen := map[string]bench.Campaign{}
	for batch := range slices.Chunk(ids, 100) {
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, id := range batch {
			keys[i] = map[string]types.AttributeValue{
				resources.AttrPK: &types.AttributeValueMemberS{Value: string(statemachine.KindCampaign) + "#" + id},
				resources.AttrSK: &types.AttributeValueMemberS{Value: "record"},
			}
		}
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true),
			ProjectionExpression:     aws.String("id, #s, created_at, " + resources.AttrStateEntered),
			ExpressionAttributeNames: map[string]string{"#s": "state"}}}
		for len(req) > 0 {
			out, err := s.ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return seen, fmt.Errorf("read campaigns: %w", err)
			}
			for _, item := range out.Responses[s.table] {
				id, _ := item["id"].(*types.AttributeValueMemberS)
				st, _ := item["state"].(*types.AttributeValueMemberS)
				ms, _ := item[resources.AttrStateEntered].(*types.AttributeValueMemberN)
				created, _ := item["created_at"].(*types.AttributeValueMemberS)
				if id == nil || st == nil || ms == nil || created == nil {
					continue
				}
				n, _ := strconv.ParseInt(ms.Value, 10, 64)
				c := bench.Campaign{State: statemachine.State(st.Value), EnteredAt: time.UnixMilli(n)}
				c.CreatedAt, _ = time.Parse(time.RFC3339Nano, created.Value)
				seen[id.Value] = c
			}
			req = out.UnprocessedKeys
		}
	}
	return seen, nil
}

// Backlog reads the depth of every queue, dead-letter queues included.
func (s *System) Backlog(ctx context.Context) map[string]bench.QueueDepth {
	out := map[string]bench.QueueDepth{}
	for _, name := range slices.Sorted(maps.Keys(s.queues)) {
		d, err := sqsq.QueueDepth(ctx, s.sqs, s.queues[name])
		if err != nil {
			continue
		}
		out[name] = bench.QueueDepth(d)
	}
	return out
}

// History reads every record and audit item of the run's table.
func (s *System) History(ctx context.Context) (check.History, error) {
	return History(ctx, s.ddb, s.table)
}

// History reads every record and audit item of table (dynamo.Store.Dump).
// Its error is the store's, explained (awsclient.Explain).
func History(ctx context.Context, ddb dynamo.API, table string) (check.History, error) {
	store, err := dynamo.New(ddb, dynamo.Config{Table: table})
	if err != nil {
		return check.History{}, err
	}
	dump, err := store.Dump(ctx)
	if err != nil {
		return check.History{}, awsclient.Explain(err)
	}
	return check.History{Records: dump.Records, Audit: dump.Audit}, nil
}

// Rates returns regd's rate limits under sc: its --rate in sc.Regd
// (bench.RateLimited).
func (s *System) Rates(sc bench.Scenario) (map[string]float64, error) { return Rates(sc.Regd) }

// Hints writes the commands that look into a run served after its load
// finished: regctl on its records and queues, the checker again, a
// replica's metrics, the logs (bench.Hinter).
func (s *System) Hints(w io.Writer, env bench.Env, simulatorURL, campaign string) {
	fmt.Fprintf(w, "\nServing until Ctrl-C. Look next:\n"+
		"  eval \"$(infra/local/stack.sh env)\"; export TENDLC_PREFIX=%s\n"+
		"  bin/regctl stuck --older-than 10s      # records waiting too long\n"+
		"  bin/regctl show %s                 # one campaign and its audit history\n"+
		"  bin/regctl queues                      # queue depths and dead letters\n"+
		"  bin/regbench check --prefix %s --carriersim %s --profile %s   # the checker, again\n"+
		"  curl -s http://%s/metrics | grep tendlc_   # metrics of replica 1\n"+
		"  logs: %s\n", env.Prefix, campaign, env.Prefix, simulatorURL, env.Profile, fmt.Sprintf("127.0.0.1:%d", env.BasePort+100), env.Dir)
}
