package fault

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// maxRemembered bounds how many items the stale-read fault remembers.
const maxRemembered = 100_000

// versions keeps the last two distinct states of an item.
type versions struct {
	latest, previous map[string]types.AttributeValue
}

// DynamoDB returns the client option that injects i's faults into DynamoDB
// calls.
func (i *Injector) DynamoDB() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("tendlc-fault", i.dynamo), middleware.Before)
		})
	}
}

func (i *Injector) dynamo(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if err := i.answerError(); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	out, md, err := next.HandleInitialize(ctx, in)
	get, ok := in.Parameters.(*dynamodb.GetItemInput)
	if err != nil || !ok || i.cfg.StaleRead <= 0 {
		return out, md, err
	}
	res := out.Result.(*dynamodb.GetItemOutput)
	key := itemKey(get)
	i.mu.Lock()
	v := i.items[key]
	if res.Item != nil && !reflect.DeepEqual(res.Item, v.latest) {
		if len(i.items) >= maxRemembered {
			clear(i.items) // a long run forgets, rather than grows without bound
		}
		v = versions{latest: res.Item, previous: v.latest}
		i.items[key] = v
	}
	i.mu.Unlock()
	if v.previous != nil && i.hit(StaleReads, i.cfg.StaleRead) {
		stale := *res
		stale.Item = v.previous
		out.Result = &stale
	}
	return out, md, nil
}

// itemKey names an item by table and key attribute values.
func itemKey(in *dynamodb.GetItemInput) string {
	var b strings.Builder
	b.WriteString(aws.ToString(in.TableName))
	for _, k := range slices.Sorted(maps.Keys(in.Key)) {
		if s, ok := in.Key[k].(*types.AttributeValueMemberS); ok {
			b.WriteString("|" + k + "=" + s.Value)
		}
	}
	return b.String()
}
