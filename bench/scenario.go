package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// Scenario is one end-to-end run: the load, the replicas, and the faults of
// the simulated world (carriersim flags) and of AWS (regd's -faults). Time is
// compressed: carrier latencies, the stuck threshold and the sweep schedule
// are seconds where production has hours and days. A scenario with a
// TimeScale compresses every such duration by that one factor; the others
// compress each ad hoc.
type Scenario struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Brands      int      `json:"brands"`
	Campaigns   int      `json:"campaigns"`
	Numbers     int      `json:"numbers_per_campaign"`
	Replicas    int      `json:"replicas"`
	Deadline    Duration `json:"deadline"`
	// KillEvery sends SIGKILL to one regd replica at this interval and
	// starts it again; zero never.
	KillEvery  Duration `json:"kill_every,omitempty"`
	Carriersim []string `json:"carriersim_args"` // flags of carriersim
	Regd       []string `json:"regd_args"`       // flags of every regd replica
	// Compression states how time is compressed against production.
	Compression string `json:"compression"`
	// TimeScale is run time per production time: every production duration
	// of the simulated world and of regd's recovery policy is multiplied by
	// it (regd gets it as --time-scale), and the report converts the run's
	// times back. Zero: the profile compresses time ad hoc.
	TimeScale float64 `json:"time_scale,omitempty"`
	// Limit asks for the event path's limit beside the run: after it, a
	// bare loop of the SDK calls of the run's transitions, on the same
	// endpoints, for a system that is a LimitMeasurer (the report's limit).
	Limit bool `json:"limit,omitempty"`
	// Rollout deploys a newer flow on the replicas one at a time during
	// the run, part of the load seeded before it and the rest during it
	// (Rollout); nil: every replica runs v1 and the load is seeded at once.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// ErrUsage marks an error in what a user asked for (an unknown profile, an
// invalid scenario or flag value): a command prints its usage.
var ErrUsage = errors.New("usage")

// Duration is a time.Duration that reads and writes as "90s".
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// compressed is the time compression every profile uses.
const compressed = "carrier and registry latencies 0.2-3 s (production: minutes to days); stuck threshold 20 s (24 h); sweep every 5 s (hourly); retry and deferral delays x0.1 (SQS rounds them up to whole seconds)"

// rejections are the simulated registry's and carriers' realistic rejection
// rates, the same in every profile.
var rejections = []string{"--reject", "ein=0.03,reviewer=0.03,carrier=0.01"}

// world is the simulated registry and carriers of the ad-hoc compressed
// profiles: quick, with realistic rejection rates.
var world = with([]string{"--latency", "all=200ms-1500ms,reviewer=1s-3s"}, rejections)

// evidenceWorld is world with flow v2's review of a campaign's opt-in
// evidence by the registry: as long as the reviewer's, 5% rejected.
var evidenceWorld = []string{"--latency", FlagValue(world, "latency") + ",evidence=1s-3s",
	"--reject", FlagValue(rejections, "reject") + ",evidence=0.05"}

// benchFaults are the bench profile's regd faults: a few of every kind.
const benchFaults = "dup-send=0.05,dup-receive=0.05,delay-send=0.1,max-delay=3s,stale-read=0.05,throttle=0.005,5xx=0.005"

// sweep makes the sweeper act within seconds, and retries and deferrals wait
// a tenth of their production delays.
var sweep = []string{"--stuck-after", "20s", "--sweep-schedule", "@every 5s", "--max-redrives", "5", "--retry-scale", "0.1"}

func with(parts ...[]string) []string { return slices.Concat(parts...) }

// dayIn10s is the long profile's time scale: one production day lasts 10 s.
const dayIn10s = 10.0 / 86400

// longCompression states the long profile's time scale and what it leaves
// unscaled.
const longCompression = "1 day = 10 s; every duration of the simulated world and of regd's recovery policy is its production value x 10/86400 (x0.000116): " +
	"registry and carrier latencies (a 1-5 day carrier review takes 10-50 s), the stuck threshold (24 h for every state: 10 s), " +
	"retry and deferral delays (SQS rounds them up to whole seconds: a delay lasts at least 2.4 production hours). " +
	"One production hour is 0.42 s; the sweep runs every second (cron's finest step), every 2.4 production hours instead of hourly. " +
	"Not scaled: the rate limits (20 requests per real second on both sides, so a wait for them reads 8,640 times longer in production units), " +
	"the SQS visibility timeout (15 s: a killed replica's messages return after 1.5 production days) and the kill interval (20 s: 2 production days)"

// profiles are the named scenarios. The rates are the simulated account
// limits: carriersim enforces them, the regd replicas share them.
var profiles = map[string]Scenario{
	"demo": {Description: "the make run demo: 20 brands, 40 campaigns of 3 numbers, 2 replicas, a few rejections and lost webhooks",
		Brands: 20, Campaigns: 40, Numbers: 3, Replicas: 2, Deadline: Duration(4 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=4", "--drop", "0.02"}),
		Regd:       with(sweep, []string{"--rate", "all=4"})},
	"happy": {Description: "no faults: the baseline",
		Brands: 50, Campaigns: 100, Numbers: 2, Replicas: 2, Deadline: Duration(3 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=10"}),
		Regd:       with(sweep, []string{"--rate", "all=10"})},
	"lossy": {Description: "10% of webhooks lost; the sweeper recovers them",
		Brands: 50, Campaigns: 100, Numbers: 2, Replicas: 2, Deadline: Duration(5 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=10", "--drop", "0.1"}),
		Regd:       with(sweep, []string{"--rate", "all=10"})},
	"dupes": {Description: "duplicated and reordered webhooks and SQS deliveries",
		Brands: 50, Campaigns: 100, Numbers: 2, Replicas: 2, Deadline: Duration(4 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=10", "--duplicate", "0.2", "--reorder", "0.2"}),
		Regd:       with(sweep, []string{"--rate", "all=10", "--faults", "dup-send=0.1,dup-receive=0.1,delay-send=0.2,max-delay=3s"})},
	"throttle": {Description: "carriers allow less than the dispatchers send, and answer 5% 503s",
		Brands: 30, Campaigns: 60, Numbers: 2, Replicas: 2, Deadline: Duration(6 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=3", "--errors", "all=0.05"}),
		Regd:       with(sweep, []string{"--rate", "all=5", "--faults", "throttle=0.01,5xx=0.01"})},
	"stale": {Description: "a fifth of record reads are stale",
		Brands: 50, Campaigns: 100, Numbers: 2, Replicas: 2, Deadline: Duration(4 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=10"}),
		Regd:       with(sweep, []string{"--rate", "all=10", "--faults", "stale-read=0.2"})},
	"crash": {Description: "one replica killed with SIGKILL every 20 s and restarted",
		Brands: 50, Campaigns: 100, Numbers: 2, Replicas: 3, Deadline: Duration(5 * time.Minute),
		KillEvery:  Duration(20 * time.Second),
		Carriersim: with(world, []string{"--rate", "all=10"}),
		Regd:       with(sweep, []string{"--rate", "all=10"})},
	"bench": {Description: "the make bench default: 40 campaigns, 2 replicas, a few faults of every kind, a replica killed every 15 s",
		Brands: 20, Campaigns: 40, Numbers: 2, Replicas: 2, Deadline: Duration(170 * time.Second),
		// A kill every 15 s: the run takes about 40 s since a killed
		// replica's messages come back after the 15 s visibility timeout, and
		// a kill every 40 s no longer happened within it.
		KillEvery: Duration(15 * time.Second),
		// No lost requests here (mix has them): the recovery of one takes a
		// threshold, a sweep and a re-send, and a kill on the way costs a
		// visibility timeout (60 s when measured); within the 3-minute deadline one such
		// campaign was left unfinished.
		Carriersim: with(world, []string{"--rate", "all=10", "--drop", "0.05", "--duplicate", "0.1", "--reorder", "0.1", "--errors", "all=0.02"}),
		// Retries and deferrals wait a fiftieth of their production delays,
		// not a tenth: a campaign deferred until its brand is verified would
		// otherwise wait up to 3 minutes, longer than the run.
		Regd:        with(sweep, []string{"--retry-scale", "0.02", "--rate", "all=10", "--faults", benchFaults}),
		Compression: strings.Replace(compressed, "x0.1", "x0.02", 1)},
	// The registry's queue holds 1,500 registrations at 20 a second, so a
	// record's command legitimately waits longer than the profiles' 20 s
	// threshold: the sweeper must take that for a backlog, not a loss.
	"memory": {Description: "1,000 campaigns in flight at once over 2 replicas, no fault: the peak RSS of every regd",
		Brands: 500, Campaigns: 1000, Numbers: 1, Replicas: 2, Deadline: Duration(20 * time.Minute),
		Carriersim: with(world, []string{"--rate", "all=20"}),
		Regd:       with(sweep, []string{"--rate", "all=20"})},
	"mix": {Description: "all of it: 500 campaigns, 3 replicas, 10% lost webhooks, 1% lost requests, duplicates, reordering, stale reads, throttling, a replica killed every 20 s",
		Brands: 250, Campaigns: 500, Numbers: 2, Replicas: 3, Deadline: Duration(15 * time.Minute),
		KillEvery: Duration(20 * time.Second),
		Carriersim: with(world, []string{"--rate", "all=20", "--drop", "0.1", "--duplicate", "0.1", "--reorder", "0.1", "--errors", "all=0.01",
			"--lose", "all=0.01"}),
		Regd: with(sweep, []string{"--rate", "all=20", "--faults", benchFaults})},
	// Issue 16's measurement of the event path at its limit: no fault, no
	// rejection, a simulator answering in 10-50 ms and rate limits far above
	// what two replicas send, and Go's profiles on the replicas' operations
	// listeners (docs/performance.md).
	"ceiling": {Description: "the event path at its limit: 500 campaigns over 250 brands, 2 replicas, no fault or rejection, a 10-50 ms simulator, rate limits lifted, profiles served",
		Brands: 250, Campaigns: 500, Numbers: 2, Replicas: 2, Deadline: Duration(10 * time.Minute),
		Carriersim:  []string{"--latency", "all=10ms-50ms", "--rate", "all=10000"},
		Regd:        with(sweep, []string{"--rate", "all=10000", "--pprof"}),
		Limit:       true,
		Compression: "simulator latencies 10-50 ms (production: minutes to days); " + strings.TrimPrefix(compressed, "carrier and registry latencies 0.2-3 s (production: minutes to days); ")},
	// Issue 18's rolling deploy: flow v2 adds the registry's review of a
	// campaign's opt-in evidence (as long as the reviewer's, 5% rejected).
	// 60 campaigns are seeded on v1 replicas; from 15 s on, a replica at a
	// time is stopped with SIGTERM and started on v2, 20 s apart, and 30
	// campaigns are seeded after each, while the faults of bench go on
	// (retries at bench's scale, for the same reason). The kills (every 20
	// s, replicas in the rollout's order) fall 5 s after a deploy: each
	// replica on v2 is killed while others still run v1, which then meet
	// its records. The rates are mix's: at 10 per second the registry's
	// calls would wait in line for the whole first minute, and the Temporal
	// side's task queue rate lets a burst through past ten times its rate
	// in a saturated 10 s window (the checker's rate rule; mix's page).
	"rollout": {Description: "a rolling deploy of flow v2 (the opt-in evidence review) over 3 replicas, 20 s apart, with 160 campaigns seeded before and during it, " +
		"a replica killed every 20 s, a few faults of every kind",
		Brands: 80, Campaigns: 160, Numbers: 2, Replicas: 3, Deadline: Duration(6 * time.Minute),
		KillEvery:   Duration(20 * time.Second),
		Rollout:     &Rollout{Start: Duration(15 * time.Second), Every: Duration(20 * time.Second), Flow: "v2", SeededBefore: 0.25},
		Carriersim:  with(evidenceWorld, []string{"--rate", "all=20", "--drop", "0.05", "--duplicate", "0.1", "--reorder", "0.1", "--errors", "all=0.02"}),
		Regd:        with(sweep, []string{"--retry-scale", "0.02", "--rate", "all=20", "--faults", benchFaults}),
		Compression: strings.Replace(compressed, "x0.1", "x0.02", 1)},
	// Issue 19's hybrid hand-off: flow v2 on every replica from the start,
	// its evidence review delegated to a Temporal workflow by the hybrid
	// system (regd --delegate evidence; the legacy and Temporal systems
	// ignore the delegation and run v2 whole), with bench's faults and
	// rates. The hybrid system adds the boundary's faults of its own: the
	// bridge and a worker killed on a schedule, the Temporal server once
	// (bench/hybrid). The rates are rollout's, for the same reason: at 10
	// per second the Temporal side's registry task queue let 109 requests
	// through in 10 s (the checker's rate rule).
	"hybrid": {Description: "flow v2 on every replica, the opt-in evidence review delegated to Temporal (hybrid): 40 campaigns, 2 replicas, rates of 20 per second, a few faults of every kind, " +
		"a replica killed every 15 s; on the hybrid system the bridge and a worker are killed on a schedule and the Temporal server once",
		Brands: 20, Campaigns: 40, Numbers: 2, Replicas: 2, Deadline: Duration(4 * time.Minute),
		KillEvery:   Duration(15 * time.Second),
		Carriersim:  with(evidenceWorld, []string{"--rate", "all=20", "--drop", "0.05", "--duplicate", "0.1", "--reorder", "0.1", "--errors", "all=0.02"}),
		Regd:        with(sweep, []string{"--retry-scale", "0.02", "--rate", "all=20", "--faults", benchFaults, "--flow", "v2"}),
		Compression: strings.Replace(compressed, "x0.1", "x0.02", 1)},
	// The slowest registration without a fault is 10 min of brand identity,
	// 10 min of CAMPAIGN_ADD, 3 days of vetting, 5 days of carrier review and
	// 2 h of numbers: 81 s. A lost webhook waits for its state's stuck
	// threshold and then for a new answer, and the calls of 200 campaigns
	// queue behind the rate limits: 8 minutes (48 production days).
	"long": {Description: "days of vetting and carrier review at 1 day = 10 s: 200 campaigns, 3 replicas, 10% of webhooks lost, a replica killed every 20 s",
		Brands: 100, Campaigns: 200, Numbers: 2, Replicas: 3, Deadline: Duration(8 * time.Minute),
		KillEvery: Duration(20 * time.Second), TimeScale: dayIn10s,
		Carriersim: with([]string{"--latency", latencyArg(productionLatencies, dayIn10s)}, rejections,
			[]string{"--rate", "all=20", "--drop", "0.1"}),
		// One stuck threshold of 24 h for every state, scaled like the rest
		// (10 s): the production policy's 1-hour thresholds would last 0.4 s
		// here, less than the visibility timeout a killed replica costs its
		// messages (15 s, which this scale does not shrink), so every kill
		// would be taken for a lost answer.
		Regd:        with(timeScaleArgs(dayIn10s), []string{"--stuck-after", "24h", "--sweep-schedule", "@every 1s", "--rate", "all=20"}),
		Compression: longCompression},
}

// ProfileNames returns the names of the profiles, sorted.
func ProfileNames() []string { return slices.Sorted(maps.Keys(profiles)) }

// Profile returns the named profile, or the one in a JSON file when name
// ends in .json. Its error wraps ErrUsage for an unknown name or an invalid
// scenario.
func Profile(name string) (Scenario, error) {
	if strings.HasSuffix(name, ".json") {
		b, err := os.ReadFile(name)
		if err != nil {
			return Scenario{}, err
		}
		var s Scenario
		if err := json.Unmarshal(b, &s); err != nil {
			return Scenario{}, fmt.Errorf("profile %s: %w", name, err)
		}
		return s, s.Validate()
	}
	s, ok := profiles[name]
	if !ok {
		return Scenario{}, fmt.Errorf("%w: unknown profile %q (want %s, or a .json file)", ErrUsage, name,
			strings.Join(ProfileNames(), ", "))
	}
	s.Name = name
	if s.Compression == "" {
		s.Compression = compressed
	}
	return s, s.Validate()
}

// Validate returns an error wrapping ErrUsage when s lacks a load, replicas
// or a deadline, when its time scale does not hold (validateTimeScale), or
// when its rollout does not fit it (Rollout).
func (s Scenario) Validate() error {
	var errs []error
	if s.Brands < 1 || s.Campaigns < 1 || s.Numbers < 1 || s.Numbers > 50 || s.Replicas < 1 || s.Deadline <= 0 {
		errs = append(errs, errors.New("needs brands, campaigns, 1-50 numbers, replicas and a deadline"))
	}
	if s.Rollout != nil {
		errs = append(errs, s.Rollout.validate(s))
	}
	if err := errors.Join(append(errs, s.validateTimeScale())...); err != nil {
		return fmt.Errorf("%w: scenario %q: %w", ErrUsage, s.Name, err)
	}
	return nil
}

// JournalSettle is how long the checker of a run of s that just ended waits
// between reading the records and reading carriersim's journal.
// carriersim's --reorder holds a webhook back by up to --reorder-delay after
// its decision is due, while a status look-up already lists the decision:
// the system may have recovered the event, and the record applied it, before
// the webhook is emitted and journaled. Without --reorder-delay it is
// carriersim's default, tcrsim.DefaultReorderDelay. Zero for a scenario that
// does not reorder.
func (s Scenario) JournalSettle() time.Duration {
	if v := FlagValue(s.Carriersim, "reorder"); v == "" || isZeroSetting(v) {
		return 0
	}
	if d, err := time.ParseDuration(FlagValue(s.Carriersim, "reorder-delay")); err == nil {
		return d
	}
	return tcrsim.DefaultReorderDelay
}
