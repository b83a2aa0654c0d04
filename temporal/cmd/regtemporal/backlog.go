package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "backlog", summary: "print every task queue's backlog as JSON",
	usage: `regtemporal backlog [flags]

Prints one JSON object: for the workflows' task queue and each downstream's,
its approximate backlog (tasks waiting for a worker) as "visible", the
shape of the baseline's queue depths.`,
	setup: backlogCommand})

// depth is one task queue's backlog, shaped as the baseline's queue depth.
type depth struct {
	Visible  int64 `json:"visible"`
	InFlight int64 `json:"in_flight"`
	Delayed  int64 `json:"delayed"`
}

func backlogCommand(fs *flag.FlagSet, m *Main) runFunc {
	return clientCommand(fs, m, func(ctx context.Context, cl client.Client, namespace string) error {
		queues := map[string]enums.TaskQueueType{flow.TaskQueue: enums.TASK_QUEUE_TYPE_WORKFLOW}
		for _, d := range tcr.Downstreams {
			queues[flow.ActivityQueue(d)] = enums.TASK_QUEUE_TYPE_ACTIVITY
		}
		out := map[string]depth{}
		for name, typ := range queues {
			resp, err := cl.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace: namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: name, Kind: enums.TASK_QUEUE_KIND_NORMAL},
				TaskQueueType: typ, ReportStats: true})
			if err != nil {
				return fmt.Errorf("describe task queue %s: %w", name, err)
			}
			out[name] = depth{Visible: resp.GetStats().GetApproximateBacklogCount()}
		}
		return json.NewEncoder(m.Stdout).Encode(out)
	})
}
