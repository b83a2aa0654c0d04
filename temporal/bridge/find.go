package bridge

import (
	"context"
	"fmt"
	"strings"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/temporal/flow"
)

// Client is the part of client.Client the bridge uses.
type Client interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
		options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	GetWorkflow(ctx context.Context, workflowID, runID string) client.WorkflowRun
	ListWorkflow(ctx context.Context, request *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

var _ Client = client.Client(nil)

// latest returns the newest delegated evidence review of campaign (only a
// running one when running is set), nil when there is none. It asks
// visibility, which learns of a workflow shortly after its start.
func latest(ctx context.Context, c Client, namespace, campaign string, running bool) (*workflowpb.WorkflowExecutionInfo, error) {
	if strings.ContainsAny(campaign, `'"\`) {
		return nil, nil // no command names such a campaign: its id is not a query literal
	}
	q := fmt.Sprintf("WorkflowType = '%s' AND WorkflowId STARTS_WITH '%s'", flow.DelegatedEvidenceWorkflow, flow.DelegatedEvidencePrefix(campaign))
	if running {
		q += " AND ExecutionStatus = 'Running'"
	}
	out, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: q})
	if err != nil {
		return nil, fmt.Errorf("list the delegated evidence reviews of %s: %w", campaign, err)
	}
	var newest *workflowpb.WorkflowExecutionInfo
	for _, e := range out.GetExecutions() {
		if newest == nil || e.GetStartTime().AsTime().After(newest.GetStartTime().AsTime()) {
			newest = e
		}
	}
	return newest, nil
}
