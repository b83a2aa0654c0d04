package flow

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// The workflow types, as the workers register them: the names that starts,
// signals and recorded histories use.
const (
	BrandWorkflow    = "Brand"
	CampaignWorkflow = "Campaign"
	NumberWorkflow   = "Number"
)

// ChangeOptInEvidence is the change id of flow v2 (the registry's review of
// a campaign's opt-in evidence) in the campaign workflow's
// workflow.GetVersion. Its version marker is in the history of every
// campaign started by this code, and the TemporalChangeVersion search
// attribute lists it (FlowOf).
const ChangeOptInEvidence = "opt-in-evidence"

// VersionOptInEvidence is the version of ChangeOptInEvidence that runs flow
// v2; workflow.DefaultVersion runs flow v1.
const VersionOptInEvidence workflow.Version = 1

// Workflows are the flow's workflows as one worker runs them. Flow is the
// flow of the campaigns the worker starts, the newest version of the
// campaign workflow it supports: the worker's code version, never an input
// of a workflow, so that a campaign keeps the flow its first workflow task
// recorded whichever worker runs it later.
type Workflows struct {
	Flow statemachine.Flow
}

// Registry takes workflows to run: a worker.Worker, a
// worker.WorkflowReplayer or a test environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers the brand, campaign and number workflows and the
// delegated evidence review with r under their workflow types.
func (w Workflows) Register(r Registry) {
	r.RegisterWorkflowWithOptions(Brand, workflow.RegisterOptions{Name: BrandWorkflow})
	r.RegisterWorkflowWithOptions(w.Campaign, workflow.RegisterOptions{Name: CampaignWorkflow})
	r.RegisterWorkflowWithOptions(Number, workflow.RegisterOptions{Name: NumberWorkflow})
	r.RegisterWorkflowWithOptions(DelegatedEvidence, workflow.RegisterOptions{Name: DelegatedEvidenceWorkflow})
}

// maxVersion is the newest version of ChangeOptInEvidence the worker runs.
func (w Workflows) maxVersion() workflow.Version {
	if w.Flow.OrV1() >= statemachine.FlowV2 {
		return VersionOptInEvidence
	}
	return workflow.DefaultVersion
}

// flowVersion returns the flow a campaign runs: the version of
// ChangeOptInEvidence its history holds, or the worker's newest for a
// campaign starting now. A v1 worker that meets a campaign on flow v2 fails
// here (the SDK panics on a version above maxVersion): its workflow task
// fails and the server hands the task to another worker.
func (w Workflows) flowVersion(ctx workflow.Context) statemachine.Flow {
	if workflow.GetVersion(ctx, ChangeOptInEvidence, workflow.DefaultVersion, w.maxVersion()) >= VersionOptInEvidence {
		return statemachine.FlowV2
	}
	return statemachine.FlowV1
}

// FlowOf returns the flow of a campaign whose TemporalChangeVersion search
// attribute holds changeVersions ("<change id>-<version>" each): v2 when it
// lists ChangeOptInEvidence at VersionOptInEvidence, v1 otherwise (also for
// a campaign started before the flow was versioned, which lists nothing).
func FlowOf(changeVersions []string) statemachine.Flow {
	for _, cv := range changeVersions {
		if cv == fmt.Sprintf("%s-%d", ChangeOptInEvidence, VersionOptInEvidence) {
			return statemachine.FlowV2
		}
	}
	return statemachine.FlowV1
}
