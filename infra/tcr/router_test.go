package tcr_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// pathServer answers every request with 404 and records its path.
type pathServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newPathServer(t *testing.T) *pathServer {
	s := &pathServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pathServer) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

func TestRouterAsksTheBridgeAboutDelegatedSteps(t *testing.T) {
	delegated := statemachine.Lookup{To: statemachine.ToTemporal, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence, Ref: "cmd1"}
	registry := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c1", Of: statemachine.LookupEvidence}
	tests := []struct {
		name               string
		downstream, bridge bool // configured
		lookup             statemachine.Lookup
		wantDownstream     []string
		wantBridge         []string
		wantNoRoute        bool
	}{
		{name: "a delegated step at the bridge", downstream: true, bridge: true, lookup: delegated, wantBridge: []string{"/delegated/evidence/c1/cmd1"}},
		{name: "the registry's review at the registry", downstream: true, bridge: true, lookup: registry, wantDownstream: []string{"/registry/campaigns/c1/evidence"}},
		{name: "no bridge", downstream: true, lookup: delegated, wantNoRoute: true},
		{name: "the bridge alone", bridge: true, lookup: registry, wantNoRoute: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			down, bridge := newPathServer(t), newPathServer(t)
			var downURL, bridgeURL string
			if tt.downstream {
				downURL = down.URL
			}
			if tt.bridge {
				bridgeURL = bridge.URL
			}
			r, err := tcr.NewRouter(downURL, bridgeURL)
			if err != nil {
				t.Fatal(err)
			}
			o, err := r.Lookup(context.Background(), tt.lookup)
			if got := errors.Is(err, tcr.ErrNoRoute); got != tt.wantNoRoute || (err != nil && !got) {
				t.Fatalf("Lookup = %+v, %v; want no route %v", o, err, tt.wantNoRoute)
			}
			if !tt.wantNoRoute && (o.Found || o.Lookup != tt.lookup) {
				t.Errorf("observation %+v, want %v not found", o, tt.lookup)
			}
			if !slices.Equal(down.asked(), tt.wantDownstream) || !slices.Equal(bridge.asked(), tt.wantBridge) {
				t.Errorf("asked the downstreams %v and the bridge %v, want %v and %v", down.asked(), bridge.asked(), tt.wantDownstream, tt.wantBridge)
			}
		})
	}
	if _, err := tcr.NewRouter("", "bridge:9500"); err == nil {
		t.Errorf("NewRouter with a bridge URL that is not http(s): no error")
	}
}
