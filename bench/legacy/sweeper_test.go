package legacy

import (
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestBenchRecordsAreOnePercentStuck(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recs := benchRecords(1000, now)
	stuck := map[string]int{}
	ids := map[string]bool{}
	for _, r := range recs {
		key := string(r.Kind) + "#" + r.ID
		if ids[key] {
			t.Fatalf("%s seeded twice", key)
		}
		ids[key] = true
		if statemachine.IsWaiting(r.Kind, r.State) && now.Sub(r.StateEnteredAt) > 24*time.Hour {
			stuck[string(r.Kind)+" "+string(r.State)]++
		}
	}
	total := 0
	for _, n := range stuck {
		total += n
	}
	if total != 10 || len(stuck) != min(total, len(benchWaiting)) {
		t.Errorf("stuck records by state %v: want 10 spread over as many of the %d waiting states", stuck, len(benchWaiting))
	}
}
