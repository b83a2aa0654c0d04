package devserver

import (
	"time"

	"go.temporal.io/server/common/dynamicconfig"
)

// requestsPerSecond replaces the server's per-host request limits. The
// defaults (frontend 2,400 per host and per namespace, matching 1,200,
// history 3,000) protect a shared cluster's database from one tenant; here
// the database is the benchmark's own file and the only tenant is the
// benchmark, so a limit could only turn its load into ResourceExhausted
// answers, which the SDK retries after a backoff: latency the report would
// blame on Temporal. A run of 500 workflows (4 activities and a signal
// each) made about 1,000 client requests per second here at the most, under
// the defaults too; 50,000 keeps a faster machine or profile from meeting
// them.
const requestsPerSecond = 50_000

// namespaceCacheRefresh is how often each service re-reads the namespaces:
// the server's default, set here because [ensureSearchAttributes] waits for
// it.
const namespaceCacheRefresh = 2 * time.Second

// dynamicConfig is the server's dynamic configuration: its defaults except
// for the values below, each safe on one host.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.FrontendRPS.Key():                        requestsPerSecond,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key(): requestsPerSecond,
		dynamicconfig.MatchingRPS.Key():                        requestsPerSecond,
		dynamicconfig.HistoryRPS.Key():                         requestsPerSecond,
		// Visibility queries (list and count workflows, by state among
		// others) are limited to 10 per second and namespace by default;
		// the benchmark follows its progress with them. 100 counts in a
		// row took 9 s here with the default (23 refused and retried) and
		// 30 ms without it.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): requestsPerSecond,
		// Task queues have 4 partitions by default, to spread a queue over
		// matching hosts; here there is one. With one partition a task
		// queue's rate limit (the flow's downstream limits) is enforced
		// whole instead of divided by 4 among partitions that receive
		// unequal shares (400 activities on a queue limited to 20/s ran at
		// 17.4/s with 4 partitions, 20.3/s with 1), and no poll is
		// forwarded between partitions.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// Nexus needs the frontend's HTTP port, which is not opened; the
		// server would warn at every start that it turns Nexus off.
		dynamicconfig.EnableNexus.Key():                   false,
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): namespaceCacheRefresh,
	}
}
