package hybrid

import (
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestHandoffFigures(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ptr := func(s float64) *time.Time { v := at(s); return &v }
	into := func(id string, s float64) statemachine.AuditEntry {
		return statemachine.AuditEntry{Kind: statemachine.KindCampaign, RecordID: id, From: statemachine.InReview,
			To: statemachine.EvidenceReview, Event: statemachine.CampaignReviewApproved, At: at(s)}
	}
	out := func(id, msg string, ev statemachine.EventType, s float64) statemachine.AuditEntry {
		return statemachine.AuditEntry{Kind: statemachine.KindCampaign, RecordID: id, From: statemachine.EvidenceReview,
			To: statemachine.CarrierReview, Event: ev, MessageID: msg, At: at(s)}
	}
	in := handoffInput{
		audit: []statemachine.AuditEntry{
			into("c1", 1), out("c1", "r1", statemachine.CampaignEvidenceApproved, 5),
			into("c2", 2), out("c2", "r2", statemachine.CampaignEvidenceRejected, 9),
			into("c3", 3), // never started, never decided
		},
		workflows: []delegated{
			{WorkflowID: "evidence/c1/cmd1", Status: completed, StartedAt: at(1.5), ClosedAt: ptr(4)},
			{WorkflowID: "evidence/c2/cmd2", Status: completed, StartedAt: at(2.25), ClosedAt: ptr(8)},
			{WorkflowID: "evidence/c2/cmd2b", Status: "Running", StartedAt: at(3)}, // a duplicate start
		},
		kills: map[string]int{"bridge": 2},
	}
	h := in.figures()
	if h.Commands != 3 || h.Workflows != 3 || h.WorkflowsPerCommand[0] != 1 || h.WorkflowsPerCommand[1] != 1 || h.WorkflowsPerCommand[2] != 1 {
		t.Errorf("commands %d, workflows %d, per command %v; want 3, 3, one command each with 0, 1 and 2", h.Commands, h.Workflows, h.WorkflowsPerCommand)
	}
	if h.DuplicateStarts() != 1 || h.Results != 2 || h.ResultsApplied != 2 || h.AppliedTwice != 0 {
		t.Errorf("duplicates %d, results %d, applied %d, twice %d; want 1, 2, 2, 0", h.DuplicateStarts(), h.Results, h.ResultsApplied, h.AppliedTwice)
	}
	if l := h.CommandToStart; l.Count != 2 || l.Max != 0.5 {
		t.Errorf("command to start %+v, want 2 samples, max 0.5 s", l)
	}
	if l := h.ResultToTransition; l.Count != 2 || l.Max != 1 {
		t.Errorf("result to transition %+v, want 2 samples, max 1 s", l)
	}
	if h.BoundaryKills["bridge"] != 2 {
		t.Errorf("kills %v", h.BoundaryKills)
	}
}

func TestHandoffCountsAResultAppliedTwice(t *testing.T) {
	e := statemachine.AuditEntry{Kind: statemachine.KindCampaign, RecordID: "c1", From: statemachine.EvidenceReview,
		To: statemachine.CarrierReview, Event: statemachine.CampaignEvidenceApproved, MessageID: "r1"}
	if h := (handoffInput{audit: []statemachine.AuditEntry{e, e}}).figures(); h.AppliedTwice != 1 {
		t.Errorf("applied twice %d, want 1", h.AppliedTwice)
	}
}

func TestSplitRegistryRate(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		regd, worker string
	}{
		{"all", []string{"--rate", "all=10"}, "all=10,registry=8", "all=10,registry=2"},
		{"registry named", []string{"--rate=registry=5,att=1"}, "registry=5,att=1,registry=4", "registry=5,att=1,registry=1"},
		{"default", nil, "registry=0.8", "registry=0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regd, worker, err := splitRegistryRate(tt.args)
			if err != nil || regd != tt.regd || worker != tt.worker {
				t.Errorf("got %q, %q, %v; want %q, %q", regd, worker, err, tt.regd, tt.worker)
			}
		})
	}
}
