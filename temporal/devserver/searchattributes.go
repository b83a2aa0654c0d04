package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/tendlc/tendlc/temporal/flow"
)

// searchAttributes are the custom search attributes every namespace of the
// server has: the record's state, which the flow's workflows keep current
// (flow.AttrState).
var searchAttributes = map[string]enumspb.IndexedValueType{
	flow.AttrState: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// ensureSearchAttributes waits, within ctx, until the frontend at hostPort
// answers, then adds those of searchAttributes that namespace lacks (a
// namespace created before they were declared). It returns an error when
// one exists with another type.
//
// Each service learns of added attributes when it next refreshes its
// namespace cache, and refuses them until then; so after adding some it
// waits two refresh intervals, as the server's own integration tests do
// after changing a namespace.
func ensureSearchAttributes(ctx context.Context, hostPort, namespace string, logger *slog.Logger) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	})
	if err != nil {
		return fmt.Errorf("dial frontend %s: %w", hostPort, err)
	}
	defer c.Close()
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, want := range searchAttributes {
		got, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = want
		case got != want:
			return fmt.Errorf("search attribute %s of %s is a %s, want a %s", name, namespace, got, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("add search attributes to %s: %w", namespace, err)
	}
	wait := time.NewTimer(2 * namespaceCacheRefresh)
	defer wait.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait for search attributes of %s: %w", namespace, context.Cause(ctx))
	case <-wait.C:
		return nil
	}
}
