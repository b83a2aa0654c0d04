package statemachine

import (
	"fmt"
	"slices"
	"strings"
)

// Step names a step of the flow that a replica may delegate to a Temporal
// workflow (regd --delegate): the replica then sends the step's command to
// the bridge's queue ([ToTemporal]) instead of the downstream's, and the
// step's result comes back as the same events as without delegation.
type Step string

// StepEvidence is flow v2's review of a campaign's opt-in evidence
// (EVIDENCE_REVIEW): delegated, campaign.review_approved sends
// temporal.evidence_review ([CmdDelegateEvidence]) to ToTemporal instead of
// registry.submit_evidence to the registry.
const StepEvidence Step = "evidence"

// Steps lists every step a replica may delegate.
var Steps = []Step{StepEvidence}

// ParseSteps reads a comma list of steps ("evidence"), or returns an error
// naming the known steps.
func ParseSteps(s string) ([]Step, error) {
	var out []Step
	for part := range strings.SplitSeq(s, ",") {
		st := Step(strings.TrimSpace(part))
		if !slices.Contains(Steps, st) {
			return nil, fmt.Errorf("unknown step %q (want evidence)", part)
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// Delegated reports whether rec waits on a delegated step: the command of
// its current stay in its state went to the bridge. The record, not the
// deciding replica, says so: a replica that delegates nothing re-drives the
// step through the bridge as well.
func Delegated(rec Record) bool {
	ref, ok := rec.Commands[ToTemporal]
	return ok && !ref.SentAt.Before(rec.StateEnteredAt)
}

// evidenceReviewer is where the review of rec's opt-in evidence is: the
// bridge when the step was delegated, the registry otherwise.
func evidenceReviewer(rec Record) Destination {
	if Delegated(rec) {
		return ToTemporal
	}
	return ToRegistry
}
