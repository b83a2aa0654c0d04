package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// schemaVersion is the version of report.json: docs/regbench-report.md
// describes it field by field. A change that renames, removes or redefines a
// field increments it; a new field does not.
const schemaVersion = 1

// Report is the outcome of a run: report.json, and the source of
// summary.md and the charts. The engine computes what every system has (the
// campaigns' outcomes and times, the faults of the simulated world, the
// replicas' CPU time and memory, the backlog, the checker's verdict); System
// holds the system under test's own figures.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// SystemName names the system under test (System.Name). A report
	// written before the field existed is tendlc's: ReadReport names it
	// "legacy".
	SystemName      string    `json:"system_name"`
	Scenario        Scenario  `json:"scenario"`
	Prefix          string    `json:"prefix"`
	Began           time.Time `json:"began"`
	ElapsedSeconds  float64   `json:"elapsed_seconds"`
	DeadlineReached bool      `json:"deadline_reached"`
	Error           string    `json:"error,omitempty"` // why the run failed, if it did
	// TimeScale is the scenario's time scale, and Production the run's times
	// in production units; both absent when the scenario has none.
	TimeScale  float64            `json:"time_scale,omitempty"`
	Production *productionFigures `json:"production,omitempty"`

	campaignCounts  `json:"campaigns"`
	EndToEnd        Latency          `json:"endtoend_latency_seconds"` // time to ACTIVE
	IntervalSeconds float64          `json:"interval_seconds"`
	Intervals       []interval       `json:"intervals"`
	Faults          faultFigures     `json:"faults"`
	Replicas        []ReplicaFigures `json:"replicas"`
	// Services are what the backing services used (Runner.Services);
	// absent when the run measured none.
	Services []ServiceFigures `json:"services,omitempty"`
	// BackingStores are the requests to each backing store of the system
	// (Figures.BackingStoreRequests); absent when it does not count them.
	BackingStores map[string]StoreRequests `json:"backing_store_requests,omitempty"`

	BacklogEverySeconds float64         `json:"backlog_every_seconds"`
	Backlog             []BacklogSample `json:"backlog"`
	Campaigns           []campaignTimes `json:"campaign_times"`
	Carriersim          map[string]any  `json:"carriersim_counters,omitempty"` // GET /counters, verbatim
	// Check is the checker's verdict on the run (docs/checker.md); absent
	// when the run was interrupted before it could check.
	Check *check.Result `json:"check,omitempty"`
	// Limit is the event path's limit beside the run, present when the
	// scenario asks for it (Scenario.Limit): the system's transitions and
	// CPU against a bare SDK loop's.
	Limit *Limit `json:"limit,omitempty"`
	// Rollout is the rolling deploy's figures, present when the scenario
	// has one (Scenario.Rollout).
	Rollout *RolloutFigures `json:"rollout,omitempty"`
	// Handoff is the hand-off's figures of a system that hands a step to
	// another (HandingOff); nil otherwise.
	Handoff *Handoff `json:"handoff,omitempty"`
	// System is the system under test's own figures (System.Figures), nil
	// for none: report.json holds their fields beside the ones above (see
	// MarshalJSON), summary.md their sections.
	System Figures `json:"-"`
}

// campaignCounts are the campaigns of a run by outcome.
type campaignCounts struct {
	Started   int                        `json:"started"`   // registrations seeded
	Completed int                        `json:"completed"` // ACTIVE
	Failed    int                        `json:"failed"`    // another terminal state
	Ended     map[statemachine.State]int `json:"ended"`     // terminal states, ACTIVE included
	Stuck     int                        `json:"stuck"`     // created, not terminal at the end
	Lost      int                        `json:"lost"`      // never created
}

// StoreRequests are the requests the system sent to one backing store.
type StoreRequests struct {
	Total       float64 `json:"total"`
	PerCampaign float64 `json:"per_campaign"` // Total over the campaigns started
}

// productionFigures are the times of a run with a time scale, scaled back
// to production: run seconds divided by the scale.
type productionFigures struct {
	Scale           string             `json:"scale"`                     // "1 day = 10 s"
	ElapsedSeconds  float64            `json:"elapsed_seconds"`           // the run's length
	EndToEnd        Latency            `json:"endtoend_latency_seconds"`  // time to ACTIVE
	ScheduleToStart map[string]Latency `json:"schedule_to_start_seconds"` // per queue (Figures.ScheduleToStart)
}

type faultFigures struct {
	Injected           map[string]float64 `json:"regd_injected"` // the system's own fault layer, all replicas (Figures.Faults)
	WebhooksDropped    float64            `json:"webhooks_dropped"`
	WebhooksDuplicated float64            `json:"webhooks_duplicated"`
	WebhooksReordered  float64            `json:"webhooks_reordered"`
	DownstreamErrors   float64            `json:"downstream_server_errors"` // 503s carriersim injected
	RequestsLost       float64            `json:"downstream_requests_lost"` // requests carriersim accepted and forgot (--lose)
	ReplicaKills       int                `json:"replica_kills"`
	Checks             []FaultCheck       `json:"checks"`
	AllHappened        bool               `json:"all_happened"`
}

// FaultCheck is one fault the scenario configured, and how often it
// happened.
type FaultCheck struct {
	Fault      string  `json:"fault"`
	Configured string  `json:"configured"`
	Count      float64 `json:"count"`
}

// ReplicaFigures are what one replica of the system used, over its
// incarnations.
type ReplicaFigures struct {
	Name         string  `json:"name"`
	Incarnations int     `json:"incarnations"`
	Kills        int     `json:"kills"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	ScrapeErrors int     `json:"scrape_errors"`
	// StartFailures counts starts that failed before the replica was
	// ready (Supervisor.StartFailures; for tendlc, an injected fault on a
	// startup call, after which it was started again).
	StartFailures int `json:"start_failures"`
}

// RunData is what a run gathered: Summarize makes a Report of it, and
// System.Figures the system's own figures.
type RunData struct {
	SystemName string // System.Name
	Scenario   Scenario
	Prefix     string
	Began      time.Time
	Elapsed    time.Duration
	IDs        []string // campaigns seeded
	// Seeded is when each campaign seeded after the start was seeded, in
	// seconds from the seeding (a rollout's); the others were at 0.
	Seeded     map[string]float64
	Seen       map[string]Campaign // their records at the end
	Metrics    Metrics             // every replica's, added up over replicas and incarnations
	Replicas   []ReplicaFigures
	Services   []ServiceFigures // nil: none measured
	Kills      int
	Backlog    []BacklogSample
	Carriersim map[string]any // carriersim's GET /counters at the end, verbatim
	Check      *check.Result  // nil: not checked
	Rollout    *RolloutData   // nil: the scenario has no rollout
}

// Simulator reads carriersim's counters out of d.Carriersim; missing parts
// stay zero.
func (d RunData) Simulator() tcrsim.Counters { return simulatorCounters(d.Carriersim) }

// simulatorCounters reads carriersim's counters out of their JSON object
// (GET /counters); missing parts stay zero.
func simulatorCounters(m map[string]any) tcrsim.Counters {
	var c tcrsim.Counters
	if b, err := json.Marshal(m); err == nil {
		_ = json.Unmarshal(b, &c) // a map that marshalled unmarshals; a part of another shape stays zero
	}
	return c
}

// Summarize computes the figures of a run, with sys the system's own (nil:
// none).
func Summarize(d RunData, sys Figures) Report {
	s := Report{SchemaVersion: schemaVersion, SystemName: d.SystemName, Scenario: d.Scenario, Prefix: d.Prefix, Began: d.Began.UTC(),
		ElapsedSeconds: d.Elapsed.Seconds(), DeadlineReached: d.Elapsed >= time.Duration(d.Scenario.Deadline),
		BacklogEverySeconds: backlogEvery.Seconds(), Backlog: d.Backlog, Replicas: d.Replicas, Services: d.Services, Carriersim: d.Carriersim,
		Check: d.Check, System: sys}
	s.fillCampaigns(d)
	s.fillRollout(d)
	s.IntervalSeconds = IntervalWidth(s.ElapsedSeconds)
	s.Intervals = intervals(s.Campaigns, s.IntervalSeconds, s.ElapsedSeconds)
	s.fillProduction(d.Scenario.TimeScale)
	s.fillFaults(d)
	s.fillBackingStores()
	return s
}

// MarshalJSON writes the report's fields and, in the same object, those of
// its System figures. It fails when they are not a JSON object, or name a
// field of the report's own.
func (s Report) MarshalJSON() ([]byte, error) {
	type fields Report // without this method
	own, err := json.Marshal(fields(s))
	if err != nil || s.System == nil {
		return own, err
	}
	sys, err := json.Marshal(s.System)
	if err != nil {
		return nil, err
	}
	if len(sys) < 2 || sys[0] != '{' {
		return nil, errors.New("marshal the report: the system's figures are not a JSON object")
	}
	if len(sys) == 2 { // {}
		return own, nil
	}
	var sysFields map[string]json.RawMessage
	if err := json.Unmarshal(sys, &sysFields); err != nil {
		return nil, fmt.Errorf("marshal the report: %w", err)
	}
	for name := range sysFields {
		if slices.Contains(reportFields, name) {
			return nil, fmt.Errorf("marshal the report: the system's figures name the report's own field %q", name)
		}
	}
	return append(append(own[:len(own)-1], ','), sys[1:]...), nil
}

// reportFields are the JSON names of Report's own fields, those an empty
// value leaves out of report.json included.
var reportFields = func() []string {
	var names []string
	for f := range reflect.TypeFor[Report]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

// fillCampaigns fills the outcome counts, the campaign times and the time to
// ACTIVE, from each campaign's seeding.
func (s *Report) fillCampaigns(d RunData) {
	s.campaignCounts = campaignCounts{Started: len(d.IDs), Ended: map[statemachine.State]int{}}
	var toActive []float64
	since := func(t time.Time) *float64 { v := t.Sub(d.Began).Seconds(); return &v }
	for _, id := range d.IDs {
		c := d.Seen[id]
		ct := campaignTimes{ID: id, State: c.State}
		if at, ok := d.Seeded[id]; ok {
			ct.Seeded = &at
		}
		switch {
		case c.State == "":
			s.Lost++
		case statemachine.IsTerminal(statemachine.KindCampaign, c.State):
			ct.Created, ct.Closed = since(c.CreatedAt), since(c.EnteredAt)
			s.Ended[c.State]++
			if t, ok := ct.toActive(); ok {
				s.Completed++
				toActive = append(toActive, t)
			} else {
				s.Failed++
			}
		default:
			ct.Created = since(c.CreatedAt)
			s.Stuck++
		}
		s.Campaigns = append(s.Campaigns, ct)
	}
	s.EndToEnd = LatencyOf(toActive)
}

// fillBackingStores fills the requests to the system's backing stores, if
// it counts them.
func (s *Report) fillBackingStores() {
	if s.System == nil {
		return
	}
	for store, n := range s.System.BackingStoreRequests() {
		if s.BackingStores == nil {
			s.BackingStores = map[string]StoreRequests{}
		}
		r := StoreRequests{Total: n}
		if s.Started > 0 {
			r.PerCampaign = n / float64(s.Started)
		}
		s.BackingStores[store] = r
	}
}

// fillProduction fills the time scale and the production times of a scaled
// run; it leaves an unscaled run's empty.
func (s *Report) fillProduction(scale float64) {
	if scale <= 0 {
		return
	}
	s.TimeScale = scale
	p := &productionFigures{Scale: scaleText(scale), ElapsedSeconds: s.ElapsedSeconds / scale,
		EndToEnd: s.EndToEnd.inProduction(scale), ScheduleToStart: map[string]Latency{}}
	if s.System != nil {
		for q, l := range s.System.ScheduleToStart() {
			p.ScheduleToStart[q] = l.inProduction(scale)
		}
	}
	s.Production = p
}

// fillFaults fills what the system's fault layer and the simulator
// injected, and the checks of every fault the scenario configures: the
// system's first (Figures.Faults), then the simulator's and the replica
// kills.
func (s *Report) fillFaults(d RunData) {
	f := &s.Faults
	f.Injected, f.Checks = map[string]float64{}, []FaultCheck{} // {} and [] in report.json when there is none
	if s.System != nil {
		injected, checks := s.System.Faults()
		maps.Copy(f.Injected, injected)
		f.Checks = append(f.Checks, checks...)
	}
	sim := d.Simulator()
	for _, name := range slices.Sorted(maps.Keys(sim.Groups)) {
		f.RequestsLost += float64(sim.Groups[name].Lost)
		f.DownstreamErrors += float64(sim.Groups[name].ServerErrors)
	}
	w := sim.Webhooks
	f.WebhooksDropped, f.WebhooksDuplicated, f.WebhooksReordered = float64(w.Dropped), float64(w.Duplicated), float64(w.Reordered)
	f.ReplicaKills = d.Kills
	f.Checks = append(f.Checks, faultChecks(d.Scenario, *f)...)
	f.AllHappened = true
	for _, fc := range f.Checks {
		if fc.Count <= 0 {
			f.AllHappened = false
		}
	}
}

// faultChecks lists the faults of the simulated world sc configures, with
// how often each happened: carriersim's -drop, -duplicate, -reorder, -errors
// and -lose, and the replica kills.
func faultChecks(sc Scenario, f faultFigures) []FaultCheck {
	var out []FaultCheck
	for _, w := range []struct {
		flag, name string
		count      float64
	}{
		{"drop", "webhook lost", f.WebhooksDropped},
		{"duplicate", "webhook duplicated", f.WebhooksDuplicated},
		{"reorder", "webhook reordered", f.WebhooksReordered},
		{"errors", "downstream 503", f.DownstreamErrors},
		{"lose", "downstream request lost", f.RequestsLost},
	} {
		if v := FlagValue(sc.Carriersim, w.flag); v != "" && !isZeroSetting(v) {
			out = append(out, FaultCheck{w.name, v, w.count})
		}
	}
	if sc.KillEvery > 0 {
		out = append(out, FaultCheck{"replica killed (SIGKILL)", "every " + time.Duration(sc.KillEvery).String(), float64(f.ReplicaKills)})
	}
	return out
}

// FlagValue returns the value of flag name in args ("-name v", "--name v",
// "--name=v"), the last if it repeats, or "".
func FlagValue(args []string, name string) string {
	v := ""
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		if a == name && i+1 < len(args) && strings.HasPrefix(args[i], "-") {
			v = args[i+1]
			i++
		} else if after, ok := strings.CutPrefix(a, name+"="); ok && strings.HasPrefix(args[i], "-") {
			v = after
		}
	}
	return v
}

// isZeroSetting reports whether a probability setting ("0", "all=0,att=0")
// is zero everywhere.
func isZeroSetting(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		_, p, _ := strings.Cut(part, "=")
		if p == "" {
			p = part
		}
		if strings.Trim(p, "0.") != "" {
			return false
		}
	}
	return true
}
