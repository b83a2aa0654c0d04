package devserver

import (
	"fmt"
	"net"
	"strconv"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

// The server's configuration follows go.temporal.io/server's
// temporaltest/internal/lite_server.go (v1.29.1), which is internal to that
// module: the same persistence, cluster metadata, archival and public client
// sections. It differs where that file serves tests: hosts are static (no
// ringpop membership, so no gossip ports and no join of the previous run's
// members after a restart), no metrics or pprof listeners, no authorizer
// (the frontend listens on 127.0.0.1 only), and the dynamic config of
// dynamicConfig.

const (
	localhost = "127.0.0.1"
	// clusterName is the one cluster's name, which the database keeps in
	// its cluster metadata and in each namespace's replication config.
	clusterName = "active"
	// historyShards is fixed when the file is created (the server keeps the
	// persisted count afterwards). One shard is what lite_server.go and the
	// Temporal CLI's dev server use: SQLite has one writer, and the run of
	// 500 workflows below was no faster with 4 shards (12 to 33 s, against
	// 11 to 28 s with one).
	historyShards = 1
)

// sqlConfig is the SQL data store of the file at path. The pragmas favour
// throughput where it costs nothing a process restart could see: with
// write-ahead logging and synchronous=NORMAL a commit survives the process
// being killed, and only an operating system crash may lose the last ones.
// 500 workflows of 4 activities and a signal each (50 at a time, one
// worker) took 11 to 28 s on this 2-core machine in this mode, and 38 to
// 56 s with SQLite's defaults (a rollback journal, a sync at every commit).
func sqlConfig(path string) *config.SQL {
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}
}

// ports are the gRPC ports of the server's services on 127.0.0.1.
type ports struct {
	frontend, history, matching, worker int
}

func (p ports) frontendHostPort() string {
	return net.JoinHostPort(localhost, strconv.Itoa(p.frontend))
}

// freePorts returns frontend as the frontend's port (a free one when 0) and
// free ports for the other services. The listeners that found them are
// closed before the server binds them: another process could take one in
// between, and the server's start would then fail.
func freePorts(frontend int) (ports, error) {
	n := 3
	if frontend == 0 {
		n++
	}
	found := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(localhost, "0"))
		if err != nil {
			return ports{}, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		found = append(found, l.Addr().(*net.TCPAddr).Port)
	}
	if frontend == 0 {
		frontend, found = found[3], found[:3]
	}
	return ports{frontend: frontend, history: found[0], matching: found[1], worker: found[2]}, nil
}

// serverConfig is the static configuration of a server on cfg's file and
// the ports p.
func serverConfig(cfg Config, p ports) *config.Config {
	frontend := p.frontendHostPort()
	service := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: localhost}}
	}
	return &config.Config{
		Global: config.Global{Membership: config.Membership{BroadcastAddress: localhost}},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: historyShards,
			DataStores: map[string]config.DataStore{
				sqliteplugin.PluginName: {SQL: sqlConfig(cfg.DBPath)},
			},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			string(primitives.FrontendService): service(p.frontend),
			string(primitives.HistoryService):  service(p.history),
			string(primitives.MatchingService): service(p.matching),
			string(primitives.WorkerService):   service(p.worker),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The server's own clients (its system workflows) dial the frontend.
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// serverOptions are the options of temporal.NewServer for cfg and p; the
// server logs to cfg.Logger through logger.
func serverOptions(cfg Config, p ports, logger serverLogger) []temporal.ServerOption {
	host := func(port int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort(localhost, strconv.Itoa(port)))
	}
	return []temporal.ServerOption{
		temporal.WithConfig(serverConfig(cfg, p)),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: host(p.frontend),
			primitives.HistoryService:  host(p.history),
			primitives.MatchingService: host(p.matching),
			primitives.WorkerService:   host(p.worker),
		}),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	}
}
