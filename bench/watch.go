package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Campaign is what the engine knows of one campaign of the load.
type Campaign struct {
	State     statemachine.State // "" while the record does not exist
	EnteredAt time.Time          // when it entered State
	CreatedAt time.Time          // when the record was created
}

// watcher follows the campaigns of a run, reading them from the system
// under test until each reaches a terminal state.
type watcher struct {
	read func(ctx context.Context, ids []string) (map[string]Campaign, error) // System.Campaigns
	ids  []string
	seen map[string]Campaign
}

func newWatcher(read func(ctx context.Context, ids []string) (map[string]Campaign, error), ids []string) *watcher {
	return &watcher{read: read, ids: ids, seen: map[string]Campaign{}}
}

// poll reads every campaign not yet terminal.
func (w *watcher) poll(ctx context.Context) error {
	var open []string
	for _, id := range w.ids {
		if !statemachine.IsTerminal(statemachine.KindCampaign, w.seen[id].State) {
			open = append(open, id)
		}
	}
	read, err := w.read(ctx, open)
	for id, c := range read {
		w.seen[id] = c
	}
	return err
}

// counts returns how many campaigns are in each state ("" for absent).
func (w *watcher) counts() map[statemachine.State]int {
	c := map[statemachine.State]int{}
	for _, id := range w.ids {
		c[w.seen[id].State]++
	}
	return c
}

// done reports whether every campaign reached a terminal state.
func (w *watcher) done() bool {
	for _, id := range w.ids {
		if !statemachine.IsTerminal(statemachine.KindCampaign, w.seen[id].State) {
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
