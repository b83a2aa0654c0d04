package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

func TestRedriveByID(t *testing.T) {
	s, db, q := deployment(t)
	store := newStore(t, db, s)
	now := time.Now().UTC()
	seed(t, store, waitingRecord(statemachine.KindBrand, "b-stuck", statemachine.Submitted, now.Add(-2*time.Hour)))
	seed(t, store, waitingRecord(statemachine.KindBrand, "b-verified", statemachine.Verified, now.Add(-48*time.Hour)))

	// The registry has no record of the submission: the re-drive sends it
	// again.
	down := "--downstream-url=" + lostRegistry(t).URL
	// A dry run sends and writes nothing.
	r := run(t, nil, nil, withPrefix(s, "redrive", "b-stuck", down, "--dry-run", "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("redrive --dry-run: exit %d: %s", r.code, r.stderr)
	}
	var rep sweeper.Report
	decodeJSON(t, r.stdout, &rep)
	if len(rep.Planned) != 1 || rep.Planned[0].ID != "b-stuck" || rep.Planned[0].Emit[0].Envelope.Type != statemachine.CmdSubmitBrand {
		t.Fatalf("dry run planned %+v, want registry.submit_brand for b-stuck", rep.Planned)
	}

	// Stuck for 2 hours only, but named: re-driven.
	r = run(t, nil, nil, withPrefix(s, "redrive", "b-stuck", down, "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("redrive: exit %d: %s", r.code, r.stderr)
	}
	rep = sweeper.Report{}
	decodeJSON(t, r.stdout, &rep)
	if rep.Stuck != 1 || rep.Redriven != 1 || rep.DryRun {
		t.Errorf("report %+v, want b-stuck re-driven", rep)
	}
	envs := envelopes(t, receive(t, q, queueURL(t, q, s, string(statemachine.ToRegistry)), 1))
	if e := envs[0]; e.Type != statemachine.CmdSubmitBrand || e.EntityID != "b-stuck" || e.Actor != statemachine.SweeperActor ||
		e.CorrelationID != "corr-b-stuck" {
		t.Errorf("registry queue got %s for %s by %s (correlation %s), want registry.submit_brand for b-stuck by the sweeper",
			e.Type, e.EntityID, e.Actor, e.CorrelationID)
	}
	got, err := store.Get(t.Context(), statemachine.KindBrand, "b-stuck")
	if err != nil {
		t.Fatal(err)
	}
	if got.Redrives != 1 {
		t.Errorf("stored re-drives %d, want 1", got.Redrives)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"not waiting", []string{"redrive", "b-verified", down}, exitFailure, "brand b-verified in VERIFIED: record is not in a waiting state"},
		{"absent", []string{"redrive", "b-stuck", "b-404"}, exitFailure, `nothing re-driven: no campaign, brand or number "b-404"`},
		{"wrong kind", []string{"redrive", "--kind", "number", "b-stuck"}, exitFailure, `no number "b-stuck"`},
		{"nothing named", []string{"redrive"}, exitUsage, "give record ids, or --stuck"},
		{"ids and --stuck", []string{"redrive", "--stuck", "b-stuck"}, exitUsage, "--stuck excludes record ids"},
		{"--older-than without --stuck", []string{"redrive", "b-stuck", "--older-than", "1h"}, exitUsage, "--older-than goes with --stuck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, withPrefix(s, tt.args...)...)
			if got, want := r.code, tt.code; got != want {
				t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.stderr)
			}
		})
	}
	if got, err := store.Get(t.Context(), statemachine.KindBrand, "b-stuck"); err != nil || got.Redrives != 1 {
		t.Errorf("b-stuck after the failed commands: %+v, %v; want it re-driven once", got, err)
	}
	if visible, inFlight, _ := depth(t, q, queueURL(t, q, s, string(statemachine.ToRegistry))); visible != "0" || inFlight != "1" {
		t.Errorf("registry queue: %s visible, %s in flight; want only the one re-drive", visible, inFlight)
	}
}

func TestRedriveStuck(t *testing.T) {
	s, db, q := deployment(t)
	store := newStore(t, db, s)
	now := time.Now().UTC()
	seed(t, store, waitingRecord(statemachine.KindNumber, "+12025550101", statemachine.Registering, now.Add(-3*time.Hour)))
	seed(t, store, waitingRecord(statemachine.KindNumber, "+12025550102", statemachine.Registering, now.Add(-time.Hour)))

	var rep sweeper.Report
	for deadline := time.Now().Add(5 * time.Second); rep.Stuck == 0 && time.Now().Before(deadline); {
		r := run(t, nil, nil, withPrefix(s, "redrive", "--stuck", "--older-than", "2h", "--downstream-url", lostRegistry(t).URL, "-o", "json")...)
		if r.code != exitOK {
			t.Fatalf("redrive --stuck: exit %d: %s", r.code, r.stderr)
		}
		decodeJSON(t, r.stdout, &rep)
	}
	if rep.Mode != sweeper.ModeIndex || rep.Stuck != 1 || rep.Redriven != 1 {
		t.Errorf("report %+v, want an index sweep that re-drove the one number past 2 hours", rep)
	}
	envs := envelopes(t, receive(t, q, queueURL(t, q, s, string(statemachine.ToNumbers)), 1))
	if e := envs[0]; e.Type != statemachine.CmdRegisterNumber || e.EntityID != "+12025550101" {
		t.Errorf("numbers queue got %s for %s, want numbers.register for +12025550101", e.Type, e.EntityID)
	}
}
