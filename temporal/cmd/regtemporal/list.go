package main

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

// listRecords returns the latest run of every workflow of the kinds given
// (all kinds when none), by record key "kind/id", from visibility.
func listRecords(ctx context.Context, c client.Client, kinds ...statemachine.Kind) (map[string]*workflowpb.WorkflowExecutionInfo, error) {
	var types []string
	for _, k := range kinds {
		types = append(types, fmt.Sprintf("WorkflowType = '%s'", workflowType(k)))
	}
	req := &workflowservice.ListWorkflowExecutionsRequest{Query: strings.Join(types, " OR "), PageSize: 1000}
	out := map[string]*workflowpb.WorkflowExecutionInfo{}
	for {
		resp, err := c.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list workflows: %w", err)
		}
		for _, info := range resp.GetExecutions() {
			id := info.GetExecution().GetWorkflowId()
			if prev, ok := out[id]; !ok || info.GetStartTime().AsTime().After(prev.GetStartTime().AsTime()) {
				out[id] = info
			}
		}
		if len(resp.GetNextPageToken()) == 0 {
			return out, nil
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
}

// workflowType is the workflow type of a kind's records.
func workflowType(k statemachine.Kind) string {
	switch k {
	case statemachine.KindBrand:
		return flow.BrandWorkflow
	case statemachine.KindCampaign:
		return flow.CampaignWorkflow
	}
	return flow.NumberWorkflow
}

// stateOf returns the record state a workflow's search attribute holds.
func stateOf(info *workflowpb.WorkflowExecutionInfo) statemachine.State {
	var s string
	if p, ok := info.GetSearchAttributes().GetIndexedFields()[flow.AttrState]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &s)
	}
	return statemachine.State(s)
}

// flowOf returns the flow of a campaign's workflow, from the
// TemporalChangeVersion search attribute its GetVersion call keeps.
func flowOf(info *workflowpb.WorkflowExecutionInfo) statemachine.Flow {
	var versions []string
	if p, ok := info.GetSearchAttributes().GetIndexedFields()[changeVersionAttr]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &versions)
	}
	return flow.FlowOf(versions)
}

// changeVersionAttr is the search attribute in which the SDK lists the
// versions a workflow's workflow.GetVersion calls recorded.
const changeVersionAttr = "TemporalChangeVersion"

// closed reports whether a workflow ended.
func closed(info *workflowpb.WorkflowExecutionInfo) bool {
	return info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
}
