package legacy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// figures are tendlc's own figures of a run, read from the tendlc_ metrics
// of its regd replicas (infra/metrics) and carriersim's counters: the
// transitions, queues, aws, reliability, sweeper, downstreams and fsm_matrix
// objects of report.json (docs/regbench-report.md).
type figures struct {
	Transitions transitions                               `json:"transitions"`
	Queues      map[string]queueFigures                   `json:"queues"`
	AWS         awsFigures                                `json:"aws"`
	Reliability reliability                               `json:"reliability"`
	Sweeper     sweeperFigures                            `json:"sweeper"`
	Downstreams map[string]downstream                     `json:"downstreams"`
	FSM         map[statemachine.Kind]statemachine.Counts `json:"fsm_matrix"`

	injected map[string]float64 // by regd's fault layer (report.json's faults.regd_injected)
	checks   []bench.FaultCheck // of regd's --faults
}

var _ bench.Figures = (*figures)(nil)

type transitions struct {
	Total     float64                       `json:"total"`
	PerSecond float64                       `json:"per_second"`
	ByKind    map[statemachine.Kind]float64 `json:"by_kind"`
}

// queueFigures are one queue's figures; Temporal's counterparts are a task
// queue's schedule-to-start latency and backlog.
type queueFigures struct {
	Received        float64       `json:"received"`                  // messages handed to handlers, duplicates included
	ScheduleToStart bench.Latency `json:"schedule_to_start_seconds"` // queue wait, estimated from the histogram
	BacklogMax      int           `json:"backlog_max"`               // most messages visible, in flight and delayed at once
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

// Figures computes tendlc's own figures of the run d.
func (s *System) Figures(d bench.RunData) bench.Figures { return summarize(d) }

// summarize computes tendlc's figures of the run d from its replicas'
// metrics, its backlog samples and carriersim's counters.
func summarize(d bench.RunData) *figures {
	c := d.Metrics
	f := &figures{Transitions: transitions{Total: c.Sum("tendlc_transitions_total", nil), ByKind: map[statemachine.Kind]float64{}}}
	for k, n := range c.By("tendlc_transitions_total", "kind", nil) {
		f.Transitions.ByKind[statemachine.Kind(k)] = n
	}
	if elapsed := d.Elapsed.Seconds(); elapsed > 0 {
		f.Transitions.PerSecond = f.Transitions.Total / elapsed
	}
	f.fillQueues(c, d.Backlog)
	f.fillAWS(c, len(d.IDs))
	f.Reliability = reliability{
		Retries: c.Sum("tendlc_retries_total", nil), RetriesByClass: c.By("tendlc_retries_total", "class", nil),
		Deferrals:       c.Sum("tendlc_deferrals_total", nil),
		Ignored:         c.Sum("tendlc_dispositions_total", map[string]string{"disposition": "ignore"}),
		IgnoredByReason: c.By("tendlc_dispositions_total", "reason", map[string]string{"disposition": "ignore"}),
		Rejected:        c.Sum("tendlc_dispositions_total", map[string]string{"disposition": "reject"}),
		DeadLetters:     c.Sum("tendlc_dead_letters_total", nil), DeadLettersBy: c.By("tendlc_dead_letters_total", "reason", nil),
		VersionConflicts: c.Sum("tendlc_version_conflicts_total", nil), OutboxReplays: c.Sum("tendlc_outbox_replays_total", nil),
		HandlerErrors: c.Sum("tendlc_messages_handled_total", map[string]string{"outcome": "error"}),
		RateLimited:   c.Sum("tendlc_downstream_calls_total", map[string]string{"outcome": "429"}),
	}
	f.Sweeper = sweeperFigures{Runs: c.By("tendlc_sweeper_runs_total", "outcome", nil),
		Redriven:  c.Sum("tendlc_sweeper_redriven_total", map[string]string{"outcome": "resent"}),
		ByOutcome: c.By("tendlc_sweeper_redriven_total", "outcome", nil),
		Lookups:   c.By("tendlc_sweeper_lookups_total", "outcome", nil), GaveUp: c.Sum("tendlc_sweeper_gave_up_total", nil),
		ExaminedItems: c.Sum("tendlc_sweeper_examined_items_total", nil), ReadUnits: c.Sum("tendlc_sweeper_read_capacity_units_total", nil)}

	sim := d.Simulator()
	f.Downstreams = map[string]downstream{}
	for _, name := range downstreamNames(c, sim) {
		g := sim.Groups[tcrsim.Group(name)]
		f.Downstreams[name] = downstream{Calls: c.By("tendlc_downstream_calls_total", "outcome", map[string]string{"downstream": name}),
			Requests: float64(g.Requests), RateLimited: float64(g.RateLimited), ServerErrors: float64(g.ServerErrors),
			Repeated: float64(g.Repeated), Resubmitted: float64(g.Resubmitted),
			MaxAcceptedPerSecond: float64(g.MaxAcceptedPerSecond), MaxReceivedPerSecond: float64(g.MaxReceivedPerSecond)}
		f.Reliability.RepeatedSubmissions += float64(g.Repeated)
		f.Reliability.ResubmittedSubmissions += float64(g.Resubmitted)
		f.Reliability.LostSubmissions += float64(g.Lost)
	}
	f.injected = c.By("tendlc_faults_injected_total", "fault", nil)
	f.checks = faultChecks(d.Scenario, f.injected)
	f.FSM = map[statemachine.Kind]statemachine.Counts{}
	for _, k := range statemachine.Kinds {
		if m, err := statemachine.MatrixOf(statemachine.FlowV1, k); err == nil {
			f.FSM[k] = m.Counts
		}
	}
	return f
}

// fillQueues fills the per-queue figures.
func (f *figures) fillQueues(c bench.Metrics, backlog []bench.BacklogSample) {
	f.Queues = map[string]queueFigures{}
	for q, n := range c.By("tendlc_messages_received_total", "queue", nil) {
		f.Queues[q] = queueFigures{Received: n,
			ScheduleToStart: c.HistogramLatency("tendlc_queue_wait_seconds", map[string]string{"queue": q})}
	}
	for _, b := range backlog {
		for q, dep := range b.Queues {
			qf := f.Queues[q]
			qf.BacklogMax = max(qf.BacklogMax, dep.Total())
			f.Queues[q] = qf
		}
	}
}

// fillAWS fills the request and capacity figures, per campaign of started.
func (f *figures) fillAWS(c bench.Metrics, started int) {
	per := func(v float64) float64 {
		if started == 0 {
			return 0
		}
		return v / float64(started)
	}
	requests := func(service string) requestCounts {
		by := c.By("tendlc_aws_requests_total", "operation", map[string]string{"service": service})
		r := requestCounts{ByOperation: by, PerCampaignByOperation: map[string]float64{}}
		for op, n := range by {
			r.Total += n
			r.PerCampaignByOperation[op] = per(n)
		}
		r.PerCampaign = per(r.Total)
		return r
	}
	f.AWS.SQS, f.AWS.DynamoDB = requests("sqs"), requests("dynamodb")
	capa := &f.AWS.Capacity
	capa.ByOperation = map[string]capacityUse{}
	reads := c.By("tendlc_dynamodb_consumed_read_capacity_units_total", "operation", nil)
	writes := c.By("tendlc_dynamodb_consumed_write_capacity_units_total", "operation", nil)
	for op, n := range c.By("tendlc_dynamodb_requests_total", "operation", nil) {
		capa.ByOperation[op] = capacityUse{Requests: n, ReadUnits: reads[op], WriteUnits: writes[op]}
		capa.ReadUnits += reads[op]
		capa.WriteUnits += writes[op]
	}
	capa.ReadUnitsPerCampaign, capa.WriteUnitsPerCampaign = per(capa.ReadUnits), per(capa.WriteUnits)
}

// downstreamNames returns the downstreams either side saw, sorted.
func downstreamNames(c bench.Metrics, sim tcrsim.Counters) []string {
	names := map[string]bool{}
	for name := range c.By("tendlc_downstream_calls_total", "downstream", nil) {
		names[name] = true
	}
	for g := range sim.Groups {
		names[string(g)] = true
	}
	return slices.Sorted(maps.Keys(names))
}

// faultChecks lists the faults of regd's --faults in sc with how often each
// was injected.
func faultChecks(sc bench.Scenario, injected map[string]float64) []bench.FaultCheck {
	v := bench.FlagValue(sc.Regd, "faults")
	if v == "" {
		return nil
	}
	cfg, err := fault.Parse(v)
	if err != nil {
		return nil
	}
	var out []bench.FaultCheck
	for _, p := range []struct {
		name string
		prob float64
	}{
		{fault.DuplicatedSends, cfg.DuplicateSend}, {fault.DelayedSends, cfg.DelaySend}, {fault.FailedSends, cfg.FailSend},
		{fault.DuplicatedReceives, cfg.DuplicateReceive}, {fault.Throttles, cfg.Throttle},
		{fault.ServerErrors, cfg.ServerError}, {fault.StaleReads, cfg.StaleRead},
	} {
		if p.prob > 0 {
			out = append(out, bench.FaultCheck{Fault: "regd " + p.name, Configured: strconv.FormatFloat(p.prob, 'g', -1, 64),
				Count: injected[p.name]})
		}
	}
	return out
}

// Faults returns what regd's fault layer injected and the checks of its
// --faults.
func (f *figures) Faults() (map[string]float64, []bench.FaultCheck) { return f.injected, f.checks }

// ScheduleToStart returns every queue's wait, from tendlc_queue_wait_seconds.
func (f *figures) ScheduleToStart() map[string]bench.Latency {
	out := map[string]bench.Latency{}
	for q, qf := range f.Queues {
		out[q] = qf.ScheduleToStart
	}
	return out
}

// BackingStoreRequests returns the requests regd sent to SQS and DynamoDB
// (aws.sqs_requests.total and aws.dynamodb_requests.total).
func (f *figures) BackingStoreRequests() map[string]float64 {
	return map[string]float64{"SQS": f.AWS.SQS.Total, "DynamoDB": f.AWS.DynamoDB.Total}
}

// WriteMarkdown writes the transitions after the time to ACTIVE; the
// queues, the cost per campaign, the retries and the downstreams after the
// faults; and the fsm matrix after the campaigns per interval.
func (f *figures) WriteMarkdown(b *strings.Builder, r bench.Report, part bench.Part) {
	switch part {
	case bench.PartCampaigns:
		var byKind []string
		for _, k := range statemachine.Kinds {
			byKind = append(byKind, fmt.Sprintf("%s %s", k, f0(f.Transitions.ByKind[k])))
		}
		fmt.Fprintf(b, "Transitions written: %s (%s per second): %s.\n", f0(f.Transitions.Total), f1(f.Transitions.PerSecond), strings.Join(byKind, ", "))
	case bench.PartSections:
		f.writeQueues(b, r)
		f.writeCost(b)
		f.writeReliability(b)
		f.writeDownstreams(b)
	case bench.PartAppendix:
		b.WriteString("\n## State machine decisions (fsm matrix)\n\n| kind | states | events | cells | transition | ignore | defer | reject |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, k := range statemachine.Kinds {
			m := f.FSM[k]
			fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", k, m.States, m.Events, m.Cells, m.Transition, m.Ignore, m.Defer, m.Reject)
		}
	}
}

func (f *figures) writeQueues(b *strings.Builder, r bench.Report) {
	b.WriteString("\n## Queues\n\nSchedule-to-start is the time from a message's send to its receive (SentTimestamp), " +
		"retry and deferral delays included; estimated from histogram buckets.\n\n")
	b.WriteString("| queue | received | schedule-to-start p50 | p95 | p99 | mean | backlog max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, q := range slices.Sorted(maps.Keys(f.Queues)) {
		qf := f.Queues[q]
		w := qf.ScheduleToStart
		if w.Count == 0 {
			fmt.Fprintf(b, "| %s | %s | – | – | – | – | %d |\n", q, f0(qf.Received), qf.BacklogMax)
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d |\n", q, f0(qf.Received),
			r.RunTime(w.P50, 2), r.RunTime(w.P95, 2), r.RunTime(w.P99, 2), r.RunTime(w.Mean, 2), qf.BacklogMax)
	}
}

func (f *figures) writeCost(b *strings.Builder) {
	b.WriteString("\n## Cost per campaign\n\nRequests regd sent (every attempt, the SDK's retries included), divided by the campaigns started; " +
		"brands and numbers are part of a campaign's cost.\n\n")
	b.WriteString("| SQS API | requests | per campaign |\n|---|---:|---:|\n")
	writeRequests(b, f.AWS.SQS)
	b.WriteString("\n| DynamoDB API | requests | per campaign |\n|---|---:|---:|\n")
	writeRequests(b, f.AWS.DynamoDB)
	c := f.AWS.Capacity
	fmt.Fprintf(b, "\nDynamoDB capacity (ReturnConsumedCapacity): %s RCU (%s per campaign), %s WCU (%s per campaign).\n\n",
		f1(c.ReadUnits), f2(c.ReadUnitsPerCampaign), f1(c.WriteUnits), f2(c.WriteUnitsPerCampaign))
	b.WriteString("| store operation | requests | RCU | WCU |\n|---|---:|---:|---:|\n")
	for _, op := range slices.Sorted(maps.Keys(c.ByOperation)) {
		u := c.ByOperation[op]
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", op, f0(u.Requests), f1(u.ReadUnits), f1(u.WriteUnits))
	}
}

func writeRequests(b *strings.Builder, r requestCounts) {
	for _, op := range slices.Sorted(maps.Keys(r.ByOperation)) {
		fmt.Fprintf(b, "| %s | %s | %s |\n", op, f0(r.ByOperation[op]), f2(r.PerCampaignByOperation[op]))
	}
	fmt.Fprintf(b, "| **total** | %s | %s |\n", f0(r.Total), f2(r.PerCampaign))
}

func (f *figures) writeReliability(b *strings.Builder) {
	r := f.Reliability
	b.WriteString("\n## Retries, duplicates, dead letters, sweeper\n\n| figure | count |\n|---|---:|\n")
	fmt.Fprintf(b, "| retries | %s |\n", f0(r.Retries))
	for _, cl := range slices.Sorted(maps.Keys(r.RetriesByClass)) {
		fmt.Fprintf(b, "| &nbsp;&nbsp;%s | %s |\n", cl, f0(r.RetriesByClass[cl]))
	}
	fmt.Fprintf(b, "| deferrals (event arrived early) | %s |\n| ignored (duplicate or stale event) | %s |\n| rejected | %s |\n",
		f0(r.Deferrals), f0(r.Ignored), f0(r.Rejected))
	fmt.Fprintf(b, "| dead letters | %s |\n", f0(r.DeadLetters))
	for _, reason := range slices.Sorted(maps.Keys(r.DeadLettersBy)) {
		fmt.Fprintf(b, "| &nbsp;&nbsp;%s | %s |\n", reason, f0(r.DeadLettersBy[reason]))
	}
	fmt.Fprintf(b, "| version conflicts | %s |\n| outbox replays | %s |\n| handler errors (left for redelivery) | %s |\n",
		f0(r.VersionConflicts), f0(r.OutboxReplays), f0(r.HandlerErrors))
	fmt.Fprintf(b, "| downstream submissions repeated (same key) | %s |\n| downstream submissions resubmitted (new key) | %s |\n| downstream submissions the simulator lost | %s |\n| 429s received by regd | %s |\n",
		f0(r.RepeatedSubmissions), f0(r.ResubmittedSubmissions), f0(r.LostSubmissions), f0(r.RateLimited))
	sw := f.Sweeper
	fmt.Fprintf(b, "| sweeper re-drives that re-sent | %s |\n", f0(sw.Redriven))
	for _, o := range slices.Sorted(maps.Keys(sw.ByOutcome)) {
		fmt.Fprintf(b, "| &nbsp;&nbsp;re-drives %s | %s |\n", o, f0(sw.ByOutcome[o]))
	}
	for _, o := range slices.Sorted(maps.Keys(sw.Lookups)) {
		fmt.Fprintf(b, "| sweeper look-ups %s | %s |\n", o, f0(sw.Lookups[o]))
	}
	fmt.Fprintf(b, "| sweeper gave up | %s |\n| sweeper items examined | %s |\n| sweeper read units | %s |\n| sweeps that ran | %s |\n",
		f0(sw.GaveUp), f0(sw.ExaminedItems), f1(sw.ReadUnits), f0(sw.Runs["ok"]))
}

func (f *figures) writeDownstreams(b *strings.Builder) {
	b.WriteString("\n## Downstreams\n\n| downstream | regd calls ok | 429 | 5xx | carriersim requests | 429 sent | 503 sent | repeated | resubmitted | max accepted/s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range slices.Sorted(maps.Keys(f.Downstreams)) {
		d := f.Downstreams[name]
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, f0(d.Calls["ok"]), f0(d.Calls["429"]), f0(d.Calls["5xx"]),
			f0(d.Requests), f0(d.RateLimited), f0(d.ServerErrors), f0(d.Repeated), f0(d.Resubmitted), f0(d.MaxAcceptedPerSecond))
	}
}

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
