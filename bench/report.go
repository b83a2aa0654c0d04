package bench

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/statemachine"
)

// schemaVersion is the version of report.json: docs/regbench-report.md
// describes it field by field. A change that renames, removes or redefines a
// field increments it; a new field does not.
const schemaVersion = 1

// Report is the outcome of a run: report.json, and the source of
// summary.md and the charts.
type Report struct {
	SchemaVersion   int       `json:"schema_version"`
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
	EndToEnd        latency                                   `json:"endtoend_latency_seconds"` // time to ACTIVE
	IntervalSeconds float64                                   `json:"interval_seconds"`
	Intervals       []interval                                `json:"intervals"`
	Transitions     transitions                               `json:"transitions"`
	Queues          map[string]queueFigures                   `json:"queues"`
	AWS             awsFigures                                `json:"aws"`
	Reliability     reliability                               `json:"reliability"`
	Sweeper         sweeperFigures                            `json:"sweeper"`
	Downstreams     map[string]downstream                     `json:"downstreams"`
	Faults          faultFigures                              `json:"faults"`
	Replicas        []replicaFigures                          `json:"replicas"`
	FSM             map[statemachine.Kind]statemachine.Counts `json:"fsm_matrix"`

	BacklogEverySeconds float64         `json:"backlog_every_seconds"`
	Backlog             []backlogSample `json:"backlog"`
	Campaigns           []campaignTimes `json:"campaign_times"`
	Carriersim          map[string]any  `json:"carriersim_counters,omitempty"` // GET /counters, verbatim
	// Check is the checker's verdict on the run (docs/checker.md); absent
	// when the run was interrupted before it could check.
	Check *check.Result `json:"check,omitempty"`
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

type transitions struct {
	Total     float64                       `json:"total"`
	PerSecond float64                       `json:"per_second"`
	ByKind    map[statemachine.Kind]float64 `json:"by_kind"`
}

// productionFigures are the times of a run with a time scale, scaled back
// to production: run seconds divided by the scale.
type productionFigures struct {
	Scale           string             `json:"scale"`                     // "1 day = 10 s"
	ElapsedSeconds  float64            `json:"elapsed_seconds"`           // the run's length
	EndToEnd        latency            `json:"endtoend_latency_seconds"`  // time to ACTIVE
	ScheduleToStart map[string]latency `json:"schedule_to_start_seconds"` // per queue
}

// queueFigures are one queue's figures; Temporal's counterparts are a task
// queue's schedule-to-start latency and backlog.
type queueFigures struct {
	Received        float64 `json:"received"`                  // messages handed to handlers, duplicates included
	ScheduleToStart latency `json:"schedule_to_start_seconds"` // queue wait, estimated from the histogram
	BacklogMax      int     `json:"backlog_max"`               // most messages visible, in flight and delayed at once
}

type awsFigures struct {
	SQS      requestCounts   `json:"sqs_requests"`
	DynamoDB requestCounts   `json:"dynamodb_requests"`
	Capacity capacityFigures `json:"dynamodb_capacity"`
}

// requestCounts are requests sent by regd, retries included.
type requestCounts struct {
	Total                  float64            `json:"total"`
	PerCampaign            float64            `json:"per_campaign"`
	ByOperation            map[string]float64 `json:"by_operation"`
	PerCampaignByOperation map[string]float64 `json:"per_campaign_by_operation"`
}

// capacityFigures are the DynamoDB capacity units regd consumed, from
// ReturnConsumedCapacity.
type capacityFigures struct {
	ReadUnits             float64                `json:"read_units"`
	WriteUnits            float64                `json:"write_units"`
	ReadUnitsPerCampaign  float64                `json:"read_units_per_campaign"`
	WriteUnitsPerCampaign float64                `json:"write_units_per_campaign"`
	ByOperation           map[string]capacityUse `json:"by_operation"` // by store operation
}

type capacityUse struct {
	Requests   float64 `json:"requests"`
	ReadUnits  float64 `json:"read_units"`
	WriteUnits float64 `json:"write_units"`
}

type reliability struct {
	Retries          float64            `json:"retries"`
	RetriesByClass   map[string]float64 `json:"retries_by_class"`
	Deferrals        float64            `json:"deferrals"`
	Ignored          float64            `json:"ignored"` // duplicates and stale events the state machine ignored
	IgnoredByReason  map[string]float64 `json:"ignored_by_reason"`
	Rejected         float64            `json:"rejected"`
	DeadLetters      float64            `json:"dead_letters"`
	DeadLettersBy    map[string]float64 `json:"dead_letters_by_reason"`
	VersionConflicts float64            `json:"version_conflicts"`
	OutboxReplays    float64            `json:"outbox_replays"`
	HandlerErrors    float64            `json:"handler_errors"` // messages left for redelivery
	// Downstream submissions carriersim saw more than once.
	RepeatedSubmissions    float64 `json:"repeated_submissions"`    // same idempotency key: answered from its record
	ResubmittedSubmissions float64 `json:"resubmitted_submissions"` // same record under a new key: decided anew
	LostSubmissions        float64 `json:"lost_submissions"`        // accepted, then forgotten by the simulator (--lose)
	RateLimited            float64 `json:"rate_limited"`            // 429s regd received
}

type sweeperFigures struct {
	Runs          map[string]float64 `json:"runs_by_outcome"`
	Redriven      float64            `json:"redriven"` // re-drives that re-sent a command or follow-up
	ByOutcome     map[string]float64 `json:"redriven_by_outcome"`
	Lookups       map[string]float64 `json:"lookups_by_outcome"`
	GaveUp        float64            `json:"gave_up"`
	ExaminedItems float64            `json:"examined_items"`
	ReadUnits     float64            `json:"read_units"`
}

// downstream is one downstream seen from both sides: regd's calls, and the
// requests carriersim received.
type downstream struct {
	Calls                map[string]float64 `json:"calls_by_outcome"` // regd: ok, refused, 429, 5xx, error
	Requests             float64            `json:"requests"`         // carriersim from here on
	RateLimited          float64            `json:"rate_limited"`
	ServerErrors         float64            `json:"server_errors"`
	Repeated             float64            `json:"repeated"`
	Resubmitted          float64            `json:"resubmitted"`
	MaxAcceptedPerSecond float64            `json:"max_accepted_per_second"`
	MaxReceivedPerSecond float64            `json:"max_received_per_second"`
}

type faultFigures struct {
	Injected           map[string]float64 `json:"regd_injected"` // the fault layer, all replicas
	WebhooksDropped    float64            `json:"webhooks_dropped"`
	WebhooksDuplicated float64            `json:"webhooks_duplicated"`
	WebhooksReordered  float64            `json:"webhooks_reordered"`
	DownstreamErrors   float64            `json:"downstream_server_errors"` // 503s carriersim injected
	RequestsLost       float64            `json:"downstream_requests_lost"` // requests carriersim accepted and forgot (--lose)
	ReplicaKills       int                `json:"replica_kills"`
	Checks             []faultCheck       `json:"checks"`
	AllHappened        bool               `json:"all_happened"`
}

// faultCheck is one fault the scenario configured, and how often it
// happened.
type faultCheck struct {
	Fault      string  `json:"fault"`
	Configured string  `json:"configured"`
	Count      float64 `json:"count"`
}

type replicaFigures struct {
	Name         string  `json:"name"`
	Incarnations int     `json:"incarnations"`
	Kills        int     `json:"kills"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	ScrapeErrors int     `json:"scrape_errors"`
	// StartFailures counts starts that exited before the replica was ready
	// (an injected fault on a startup call); each was started again.
	StartFailures int `json:"start_failures"`
}

// carriersimCounters is the part of carriersim's GET /counters the report
// reads.
type carriersimCounters struct {
	Groups map[string]struct {
		Requests             float64 `json:"requests"`
		RateLimited          float64 `json:"rate_limited"`
		ServerErrors         float64 `json:"server_errors"`
		Repeated             float64 `json:"repeated"`
		Resubmitted          float64 `json:"resubmitted"`
		Lost                 float64 `json:"lost"`
		MaxAcceptedPerSecond float64 `json:"max_accepted_per_second"`
		MaxReceivedPerSecond float64 `json:"max_received_per_second"`
	} `json:"groups"`
	Webhooks struct {
		Dropped    float64 `json:"dropped"`
		Duplicated float64 `json:"duplicated"`
		Reordered  float64 `json:"reordered"`
	} `json:"webhooks"`
}

// runData is what a run observed, for summarize.
type runData struct {
	scenario   Scenario
	prefix     string
	began      time.Time
	elapsed    time.Duration
	ids        []string            // campaigns seeded
	seen       map[string]Campaign // their records at the end
	counters   scrape              // every replica's, added up
	replicas   []replicaFigures
	kills      int
	backlog    []backlogSample
	carriersim map[string]any
	check      *check.Result // nil: not checked
}

// summarize computes the figures of a run.
func summarize(d runData) Report {
	s := Report{SchemaVersion: schemaVersion, Scenario: d.scenario, Prefix: d.prefix, Began: d.began.UTC(),
		ElapsedSeconds: d.elapsed.Seconds(), DeadlineReached: d.elapsed >= time.Duration(d.scenario.Deadline),
		BacklogEverySeconds: backlogEvery.Seconds(), Backlog: d.backlog, Replicas: d.replicas, Carriersim: d.carriersim,
		Check: d.check}
	s.fillCampaigns(d)
	s.IntervalSeconds = intervalWidth(s.ElapsedSeconds)
	s.Intervals = intervals(s.Campaigns, s.IntervalSeconds, s.ElapsedSeconds)

	c := d.counters
	s.Transitions = transitions{Total: c.sum("tendlc_transitions_total", nil), ByKind: map[statemachine.Kind]float64{}}
	for k, n := range c.by("tendlc_transitions_total", "kind", nil) {
		s.Transitions.ByKind[statemachine.Kind(k)] = n
	}
	if s.ElapsedSeconds > 0 {
		s.Transitions.PerSecond = s.Transitions.Total / s.ElapsedSeconds
	}
	s.fillQueues(c, d.backlog)
	s.fillProduction(d.scenario.TimeScale)
	s.fillAWS(c)
	s.Reliability = reliability{
		Retries: c.sum("tendlc_retries_total", nil), RetriesByClass: c.by("tendlc_retries_total", "class", nil),
		Deferrals:       c.sum("tendlc_deferrals_total", nil),
		Ignored:         c.sum("tendlc_dispositions_total", map[string]string{"disposition": "ignore"}),
		IgnoredByReason: c.by("tendlc_dispositions_total", "reason", map[string]string{"disposition": "ignore"}),
		Rejected:        c.sum("tendlc_dispositions_total", map[string]string{"disposition": "reject"}),
		DeadLetters:     c.sum("tendlc_dead_letters_total", nil), DeadLettersBy: c.by("tendlc_dead_letters_total", "reason", nil),
		VersionConflicts: c.sum("tendlc_version_conflicts_total", nil), OutboxReplays: c.sum("tendlc_outbox_replays_total", nil),
		HandlerErrors: c.sum("tendlc_messages_handled_total", map[string]string{"outcome": "error"}),
		RateLimited:   c.sum("tendlc_downstream_calls_total", map[string]string{"outcome": "429"}),
	}
	s.Sweeper = sweeperFigures{Runs: c.by("tendlc_sweeper_runs_total", "outcome", nil),
		Redriven:  c.sum("tendlc_sweeper_redriven_total", map[string]string{"outcome": "resent"}),
		ByOutcome: c.by("tendlc_sweeper_redriven_total", "outcome", nil),
		Lookups:   c.by("tendlc_sweeper_lookups_total", "outcome", nil), GaveUp: c.sum("tendlc_sweeper_gave_up_total", nil),
		ExaminedItems: c.sum("tendlc_sweeper_examined_items_total", nil), ReadUnits: c.sum("tendlc_sweeper_read_capacity_units_total", nil)}

	sim := decodeCarriersim(d.carriersim)
	s.Downstreams = map[string]downstream{}
	for _, name := range downstreamNames(c, sim) {
		g := sim.Groups[name]
		s.Downstreams[name] = downstream{Calls: c.by("tendlc_downstream_calls_total", "outcome", map[string]string{"downstream": name}),
			Requests: g.Requests, RateLimited: g.RateLimited, ServerErrors: g.ServerErrors, Repeated: g.Repeated,
			Resubmitted: g.Resubmitted, MaxAcceptedPerSecond: g.MaxAcceptedPerSecond, MaxReceivedPerSecond: g.MaxReceivedPerSecond}
		s.Reliability.RepeatedSubmissions += g.Repeated
		s.Reliability.ResubmittedSubmissions += g.Resubmitted
		s.Reliability.LostSubmissions += g.Lost
		s.Faults.RequestsLost += g.Lost
		s.Faults.DownstreamErrors += g.ServerErrors
	}
	s.Faults.Injected = c.by("tendlc_faults_injected_total", "fault", nil)
	s.Faults.WebhooksDropped, s.Faults.WebhooksDuplicated = sim.Webhooks.Dropped, sim.Webhooks.Duplicated
	s.Faults.WebhooksReordered, s.Faults.ReplicaKills = sim.Webhooks.Reordered, d.kills
	s.Faults.Checks = faultChecks(d.scenario, s.Faults)
	s.Faults.AllHappened = true
	for _, fc := range s.Faults.Checks {
		if fc.Count <= 0 {
			s.Faults.AllHappened = false
		}
	}
	s.FSM = map[statemachine.Kind]statemachine.Counts{}
	for _, k := range statemachine.Kinds {
		if m, err := statemachine.MatrixOf(k); err == nil {
			s.FSM[k] = m.Counts
		}
	}
	return s
}

// fillCampaigns fills the outcome counts, the campaign times and the time to
// ACTIVE.
func (s *Report) fillCampaigns(d runData) {
	s.campaignCounts = campaignCounts{Started: len(d.ids), Ended: map[statemachine.State]int{}}
	var toActive []float64
	since := func(t time.Time) *float64 { v := t.Sub(d.began).Seconds(); return &v }
	for _, id := range d.ids {
		c := d.seen[id]
		ct := campaignTimes{ID: id, State: c.State}
		switch {
		case c.State == "":
			s.Lost++
		case statemachine.IsTerminal(statemachine.KindCampaign, c.State):
			ct.Created, ct.Closed = since(c.CreatedAt), since(c.EnteredAt)
			s.Ended[c.State]++
			if c.State == statemachine.Active {
				s.Completed++
				toActive = append(toActive, *ct.Closed)
			} else {
				s.Failed++
			}
		default:
			ct.Created = since(c.CreatedAt)
			s.Stuck++
		}
		s.Campaigns = append(s.Campaigns, ct)
	}
	s.EndToEnd = latencyOf(toActive)
}

// fillQueues fills the per-queue figures.
func (s *Report) fillQueues(c scrape, backlog []backlogSample) {
	s.Queues = map[string]queueFigures{}
	for q, n := range c.by("tendlc_messages_received_total", "queue", nil) {
		s.Queues[q] = queueFigures{Received: n,
			ScheduleToStart: c.histogram("tendlc_queue_wait_seconds", map[string]string{"queue": q}).summary()}
	}
	for _, b := range backlog {
		for q, dep := range b.Queues {
			f := s.Queues[q]
			f.BacklogMax = max(f.BacklogMax, dep.Total())
			s.Queues[q] = f
		}
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
		EndToEnd: s.EndToEnd.inProduction(scale), ScheduleToStart: map[string]latency{}}
	for q, f := range s.Queues {
		p.ScheduleToStart[q] = f.ScheduleToStart.inProduction(scale)
	}
	s.Production = p
}

// fillAWS fills the request and capacity figures, per campaign seeded.
func (s *Report) fillAWS(c scrape) {
	per := func(v float64) float64 {
		if s.Started == 0 {
			return 0
		}
		return v / float64(s.Started)
	}
	requests := func(service string) requestCounts {
		by := c.by("tendlc_aws_requests_total", "operation", map[string]string{"service": service})
		r := requestCounts{ByOperation: by, PerCampaignByOperation: map[string]float64{}}
		for op, n := range by {
			r.Total += n
			r.PerCampaignByOperation[op] = per(n)
		}
		r.PerCampaign = per(r.Total)
		return r
	}
	s.AWS.SQS, s.AWS.DynamoDB = requests("sqs"), requests("dynamodb")
	capa := &s.AWS.Capacity
	capa.ByOperation = map[string]capacityUse{}
	reads := c.by("tendlc_dynamodb_consumed_read_capacity_units_total", "operation", nil)
	writes := c.by("tendlc_dynamodb_consumed_write_capacity_units_total", "operation", nil)
	for op, n := range c.by("tendlc_dynamodb_requests_total", "operation", nil) {
		capa.ByOperation[op] = capacityUse{Requests: n, ReadUnits: reads[op], WriteUnits: writes[op]}
		capa.ReadUnits += reads[op]
		capa.WriteUnits += writes[op]
	}
	capa.ReadUnitsPerCampaign, capa.WriteUnitsPerCampaign = per(capa.ReadUnits), per(capa.WriteUnits)
}

// decodeCarriersim reads the counters the report uses out of carriersim's
// answer; missing parts stay zero.
func decodeCarriersim(raw map[string]any) carriersimCounters {
	var c carriersimCounters
	if b, err := json.Marshal(raw); err == nil {
		_ = json.Unmarshal(b, &c) // a map that marshalled unmarshals; a part of another shape stays zero
	}
	return c
}

// downstreamNames returns the downstreams either side saw, sorted.
func downstreamNames(c scrape, sim carriersimCounters) []string {
	names := map[string]bool{}
	for name := range c.by("tendlc_downstream_calls_total", "downstream", nil) {
		names[name] = true
	}
	for name := range sim.Groups {
		names[name] = true
	}
	return slices.Sorted(maps.Keys(names))
}

// faultChecks lists the faults sc configures with how often each happened:
// regd's -faults, carriersim's -drop, -duplicate, -reorder and -errors, and
// the replica kills.
func faultChecks(sc Scenario, f faultFigures) []faultCheck {
	out := []faultCheck{} // [] in report.json when there is none
	if v := FlagValue(sc.Regd, "faults"); v != "" {
		cfg, err := fault.Parse(v)
		if err == nil {
			for _, p := range []struct {
				name string
				prob float64
			}{
				{fault.DuplicatedSends, cfg.DuplicateSend}, {fault.DelayedSends, cfg.DelaySend}, {fault.FailedSends, cfg.FailSend},
				{fault.DuplicatedReceives, cfg.DuplicateReceive}, {fault.Throttles, cfg.Throttle},
				{fault.ServerErrors, cfg.ServerError}, {fault.StaleReads, cfg.StaleRead},
			} {
				if p.prob > 0 {
					out = append(out, faultCheck{"regd " + p.name, formatProb(p.prob), f.Injected[p.name]})
				}
			}
		}
	}
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
			out = append(out, faultCheck{w.name, v, w.count})
		}
	}
	if sc.KillEvery > 0 {
		out = append(out, faultCheck{"replica killed (SIGKILL)", "every " + time.Duration(sc.KillEvery).String(), float64(f.ReplicaKills)})
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

func formatProb(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) }
