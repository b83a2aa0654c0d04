package hybrid

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// delegated is one DelegatedEvidence run, as `regtemporal delegated`
// prints it.
type delegated struct {
	WorkflowID string     `json:"workflow_id"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

// completed is the status of a workflow that returned its result.
const completed = "Completed"

// parseDelegated reads the output of `regtemporal delegated`.
func parseDelegated(out []byte) ([]delegated, error) {
	var ws []delegated
	if err := json.Unmarshal(out, &ws); err != nil {
		return nil, fmt.Errorf("read regtemporal delegated: %w", err)
	}
	return ws, nil
}

// campaignOf returns the campaign of a DelegatedEvidence workflow id,
// evidence/<campaign>/<command event id>.
func campaignOf(workflowID string) string {
	_, rest, _ := strings.Cut(workflowID, "/")
	c, _, _ := strings.Cut(rest, "/")
	return c
}

// resultEvents are the events that end a delegated evidence review.
var resultEvents = []statemachine.EventType{statemachine.CampaignEvidenceApproved, statemachine.CampaignEvidenceRejected,
	statemachine.CampaignFailed}

// handoffInput is what the run left for the hand-off's figures.
type handoffInput struct {
	audit     []statemachine.AuditEntry
	workflows []delegated
	kills     map[string]int
	errs      []string
}

// stay is one stay of a campaign in EVIDENCE_REVIEW: the audit entries
// that began and ended it (end nil while it lasts), and the workflows
// started for it.
type stay struct {
	begin     statemachine.AuditEntry
	end       *statemachine.AuditEntry
	workflows []delegated
}

// figures pairs every campaign's stays in EVIDENCE_REVIEW (every replica
// delegates, so every stay is handed off) with the workflows started in
// it (the last stay that began before the workflow's start), and measures
// the hand-off both ways.
func (in handoffInput) figures() *bench.Handoff {
	h := &bench.Handoff{Step: string(statemachine.StepEvidence), WorkflowsPerCommand: map[int]int{}, BoundaryKills: in.kills,
		Workflows: len(in.workflows),
		Estimates: []string{
			"Command sent to workflow started: from the audit entry into EVIDENCE_REVIEW (the decision that put the command in the record's outbox; " +
				"the send follows the record's write) to the start time of the campaign's first DelegatedEvidence workflow started after it, from visibility.",
			"Result sent to record transition: from the workflow's close time (its last activity, ReportResult, sent the result just before; " +
				"so the figure is short by the workflow task that closes it) to the audit entry leaving EVIDENCE_REVIEW by a result event. " +
				"Negative when the sweeper's look-up through the bridge applied the decision before the workflow closed.",
		}}
	h.Estimates = append(h.Estimates, in.errs...)
	stays := map[string][]*stay{}
	byID := map[string]int{}
	for _, a := range in.audit {
		if a.Kind != statemachine.KindCampaign {
			continue
		}
		if a.To == statemachine.EvidenceReview && a.From != statemachine.EvidenceReview {
			stays[a.RecordID] = append(stays[a.RecordID], &stay{begin: a})
		}
		if a.From == statemachine.EvidenceReview && slices.Contains(resultEvents, a.Event) {
			h.ResultsApplied++
			byID[a.MessageID]++
			if ss := stays[a.RecordID]; len(ss) > 0 && ss[len(ss)-1].end == nil {
				ss[len(ss)-1].end = &a
			}
		}
	}
	for _, n := range byID {
		if n > 1 {
			h.AppliedTwice += n - 1
		}
	}
	ws := slices.SortedFunc(slices.Values(in.workflows), func(a, b delegated) int { return a.StartedAt.Compare(b.StartedAt) })
	for _, w := range ws {
		if w.Status == completed {
			h.Results++
		}
		ss := stays[campaignOf(w.WorkflowID)]
		if len(ss) == 0 {
			continue
		}
		i := 0 // a workflow started before the first stay began (clocks apart) belongs to it
		for j, s := range ss {
			if !s.begin.At.After(w.StartedAt) {
				i = j
			}
		}
		ss[i].workflows = append(ss[i].workflows, w)
	}
	var toStart, toTransition []float64
	for _, id := range slices.Sorted(maps.Keys(stays)) {
		for _, s := range stays[id] {
			h.Commands++
			h.WorkflowsPerCommand[len(s.workflows)]++
			if len(s.workflows) == 0 {
				continue
			}
			first := slices.MinFunc(s.workflows, func(a, b delegated) int { return a.StartedAt.Compare(b.StartedAt) })
			toStart = append(toStart, first.StartedAt.Sub(s.begin.At).Seconds())
			if s.end == nil {
				continue
			}
			var closed []time.Time
			for _, w := range s.workflows {
				if w.ClosedAt != nil && w.Status == completed {
					closed = append(closed, *w.ClosedAt)
				}
			}
			if len(closed) > 0 {
				toTransition = append(toTransition, s.end.At.Sub(slices.MinFunc(closed, func(a, b time.Time) int { return cmp.Compare(a.UnixNano(), b.UnixNano()) })).Seconds())
			}
		}
	}
	h.CommandToStart, h.ResultToTransition = bench.LatencyOf(toStart), bench.LatencyOf(toTransition)
	return h
}
