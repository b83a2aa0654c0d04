package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench/check"
)

// stubSystem is a System whose History fails with errHistory; its other
// methods are not called by the checker.
type stubSystem struct{ System }

var errHistory = errors.New("no records")

func (stubSystem) History(context.Context) (check.History, error) { return check.History{}, errHistory }

// rateLimitedStub is a stubSystem whose rate limits cannot be read.
type rateLimitedStub struct{ stubSystem }

func (rateLimitedStub) Rates(Scenario) (map[string]float64, error) {
	return nil, errors.New("bad --rate")
}

// TestCheckRunTakesRatesOnlyFromARateLimitedSystem: the checker reads the
// history of a system without rate limits of its own, and a RateLimited
// system's limits fail the check before anything is read when they cannot
// be read.
func TestCheckRunTakesRatesOnlyFromARateLimitedSystem(t *testing.T) {
	tests := []struct {
		name   string
		system System
		want   string
	}{
		{"without rate limits, the history is read", stubSystem{}, errHistory.Error()},
		{"a RateLimited system's limits come first", rateLimitedStub{}, "bad --rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, _ := Runner{System: tt.system}.checkRun(t.Context(), "http://127.0.0.1:1")
			if res == nil || res.Passed || !strings.Contains(res.Error, tt.want) {
				t.Errorf("checkRun = %+v, want a failed check that says %q", res, tt.want)
			}
		})
	}
}

// A scenario that kills replicas needs every replica to restart; one without
// Restart is refused before the run, not at its first kill.
func TestRunnerRefusesReplicasItCannotRestart(t *testing.T) {
	v := Replica{Proc: &Proc{Name: "worker-1"}}
	if err := restartable([]Replica{v}, Scenario{Name: "s"}); err != nil {
		t.Errorf("no kills: %v", err)
	}
	kills := Scenario{Name: "s", KillEvery: Duration(20 * time.Second)}
	if err := restartable([]Replica{v}, kills); err == nil || !strings.Contains(err.Error(), "worker-1 has no Restart") {
		t.Errorf("kills, no Restart: error %v, want one naming the replica", err)
	}
	v.Restart = func(context.Context) error { return nil }
	if err := restartable([]Replica{v}, kills); err != nil {
		t.Errorf("kills, Restart given: %v", err)
	}
}
