package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// A replica stopped for a deploy is read until it exits: what it counted
// while it finished its work is in the run's counters, and its stop is no
// kill.
func TestFollowReadsAReplicaUntilItStops(t *testing.T) {
	var deferred atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE tendlc_flow_deferrals_total counter\ntendlc_flow_deferrals_total %d\n", deferred.Load())
	}))
	defer srv.Close()
	col := newCollector(func(context.Context) map[string]QueueDepth { return nil }, time.Now())
	col.add("regd-1", srv.URL, os.Getpid())
	r := col.replica("regd-1")
	deferred.Store(3)
	r.scrape(t.Context(), col.client)

	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		col.follow(t.Context(), "regd-1", time.Millisecond, stopped)
	}()
	deferred.Store(5) // counted while it shuts down
	deadline := time.Now().Add(10 * time.Second)
	for col.counters().Sum("tendlc_flow_deferrals_total", nil) != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("counted %v before the exit, want 5", col.counters().Sum("tendlc_flow_deferrals_total", nil))
		}
		time.Sleep(time.Millisecond) // polling the collector's own goroutine, not waiting for time
	}
	close(stopped)
	<-done
	if r.pid != 0 || r.kills != 0 {
		t.Errorf("after the stop: pid %d, kills %d; want the incarnation ended and no kill", r.pid, r.kills)
	}
	col.up("regd-1", os.Getpid())
	deferred.Store(1) // the new incarnation counts from 0
	r.scrape(t.Context(), col.client)
	if got := col.counters().Sum("tendlc_flow_deferrals_total", nil); got != 6 {
		t.Errorf("counted %v over two incarnations, want 5 + 1", got)
	}
}
