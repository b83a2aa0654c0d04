package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/spec"
	"github.com/tendlc/tendlc/statemachine"
)

// campaign is what the watcher knows of one campaign.
type campaign struct {
	state     statemachine.State // "" while the record does not exist
	enteredAt time.Time          // when it entered state
	createdAt time.Time          // when the record was created
}

// watcher follows the campaigns of a run by reading their records, in
// batches, until each reaches a terminal state.
type watcher struct {
	api   *dynamodb.Client
	table string
	ids   []string
	seen  map[string]campaign
}

func newWatcher(api *dynamodb.Client, table string, ids []string) *watcher {
	return &watcher{api: api, table: table, ids: ids, seen: map[string]campaign{}}
}

// poll reads every campaign not yet terminal.
func (w *watcher) poll(ctx context.Context) error {
	var open []string
	for _, id := range w.ids {
		if !statemachine.IsTerminal(statemachine.KindCampaign, w.seen[id].state) {
			open = append(open, id)
		}
	}
	for batch := range slices.Chunk(open, 100) {
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, id := range batch {
			keys[i] = map[string]types.AttributeValue{
				spec.AttrPK: &types.AttributeValueMemberS{Value: string(statemachine.KindCampaign) + "#" + id},
				spec.AttrSK: &types.AttributeValueMemberS{Value: "record"},
			}
		}
		req := map[string]types.KeysAndAttributes{w.table: {Keys: keys, ConsistentRead: aws.Bool(true),
			ProjectionExpression:     aws.String("id, #s, created_at, " + spec.AttrStateEntered),
			ExpressionAttributeNames: map[string]string{"#s": "state"}}}
		for len(req) > 0 {
			out, err := w.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("read campaigns: %w", err)
			}
			for _, item := range out.Responses[w.table] {
				id, _ := item["id"].(*types.AttributeValueMemberS)
				st, _ := item["state"].(*types.AttributeValueMemberS)
				ms, _ := item[spec.AttrStateEntered].(*types.AttributeValueMemberN)
				created, _ := item["created_at"].(*types.AttributeValueMemberS)
				if id == nil || st == nil || ms == nil || created == nil {
					continue
				}
				n, _ := strconv.ParseInt(ms.Value, 10, 64)
				c := campaign{state: statemachine.State(st.Value), enteredAt: time.UnixMilli(n)}
				c.createdAt, _ = time.Parse(time.RFC3339Nano, created.Value)
				w.seen[id.Value] = c
			}
			req = out.UnprocessedKeys
		}
	}
	return nil
}

// counts returns how many campaigns are in each state ("" for absent).
func (w *watcher) counts() map[statemachine.State]int {
	c := map[statemachine.State]int{}
	for _, id := range w.ids {
		c[w.seen[id].state]++
	}
	return c
}

// done reports whether every campaign reached a terminal state.
func (w *watcher) done() bool {
	for _, id := range w.ids {
		if !statemachine.IsTerminal(statemachine.KindCampaign, w.seen[id].state) {
			return false
		}
	}
	return true
}

// progress is one line of counts per state, in the state machine's order.
func (w *watcher) progress(elapsed time.Duration) string {
	c := w.counts()
	var parts []string
	if n := c[""]; n > 0 {
		parts = append(parts, fmt.Sprintf("not yet created %d", n))
	}
	finished := 0
	for _, s := range statemachine.States(statemachine.KindCampaign) {
		if n := c[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
			if statemachine.IsTerminal(statemachine.KindCampaign, s) {
				finished += n
			}
		}
	}
	return fmt.Sprintf("[%5.0fs] campaigns done %d/%d | %s", elapsed.Seconds(), finished, len(w.ids), strings.Join(parts, " · "))
}
