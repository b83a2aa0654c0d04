package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
)

// seedStuck writes records around the 24-hour threshold as of asOf, and
// returns the ids of the five stuck ones, oldest first.
func seedStuck(tb testing.TB, store *dynamo.Store) []string {
	tb.Helper()
	ago := func(d time.Duration) time.Time { return asOf.Add(-d) }
	carrierReview := waitingRecord(statemachine.KindCampaign, "c-carriers", statemachine.CarrierReview, ago(26*time.Hour+30*time.Minute))
	carrierReview.rec.Redrives = 1
	carrierReview.rec.ExternalID = "CX4F2A1"
	for _, s := range []step{
		waitingRecord(statemachine.KindCampaign, "c-tcr", statemachine.TCRPending, ago(5*24*time.Hour)),
		waitingRecord(statemachine.KindBrand, "b-submitted", statemachine.Submitted, ago(50*time.Hour)),
		carrierReview,
		waitingRecord(statemachine.KindNumber, "+12025550101", statemachine.Registering, ago(25*time.Hour)),
		waitingRecord(statemachine.KindNumber, "+12025550102", statemachine.Pending, ago(24*time.Hour)), // at the cutoff: stuck
		waitingRecord(statemachine.KindNumber, "+12025550103", statemachine.Pending, ago(24*time.Hour-time.Second)),
		waitingRecord(statemachine.KindBrand, "b-recent", statemachine.Submitted, ago(6*time.Hour)),
		waitingRecord(statemachine.KindBrand, "b-verified", statemachine.Verified, ago(30*24*time.Hour)), // not waiting
	} {
		seed(tb, store, s)
	}
	return []string{"c-tcr", "b-submitted", "c-carriers", "+12025550101", "+12025550102"}
}

// stuckJSON runs stuck -o json with args until the waiting index, which is
// eventually consistent, lists want records, and returns the report.
func stuckJSON(tb testing.TB, prefix string, want int, args ...string) (stuckReport, result) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := run(tb, nil, fixedEnv, append([]string{"--prefix", prefix, "stuck", "-o", "json", "--older-than", "24h"}, args...)...)
		if r.code != exitOK {
			tb.Fatalf("regctl stuck %v: exit %d: %s", args, r.code, r.stderr)
		}
		var rep stuckReport
		decodeJSON(tb, r.stdout, &rep)
		if rep.Total == want || time.Now().After(deadline) {
			return rep, r
		}
	}
}

func TestStuckGolden(t *testing.T) {
	s, db, _ := deployment(t)
	wantIDs := seedStuck(t, newStore(t, db, s))
	rep, _ := stuckJSON(t, s.Prefix, len(wantIDs))
	var ids []string
	for _, r := range rep.Records {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("stuck records %v, want %v, oldest first", ids, wantIDs)
	}

	tests := []struct {
		golden string
		args   []string
	}{
		{"stuck.txt", []string{"--older-than", "24h"}},
		{"stuck.json", []string{"--older-than", "24h", "-o", "json"}},
		{"stuck.csv", []string{"--older-than", "24h", "-o", "csv"}},
		{"stuck-numbers-pending.txt", []string{"--kind", "number", "--state", "PENDING", "--older-than", "23h"}},
		// The production policy: a brand waits an hour in SUBMITTED, a
		// campaign three days in CARRIER_REVIEW.
		{"stuck-policy.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := run(t, nil, fixedEnv, withPrefix(s, append([]string{"stuck"}, tt.args...)...)...)
			if got, want := r.code, exitOK; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			golden(t, tt.golden, []byte(r.stdout))
			if !strings.Contains(r.stderr, "pages read: ") {
				t.Errorf("stderr %q, want progress", r.stderr)
			}
			if json := slices.Contains(tt.args, "json"); strings.Contains(r.stderr, "read capacity units") == json {
				t.Errorf("stderr %q: want the read capacity on stderr unless the output is JSON", r.stderr)
			}
		})
	}
}

func TestStuckReportsWhatItRead(t *testing.T) {
	s, db, _ := deployment(t)
	seedStuck(t, newStore(t, db, s))
	rep, r := stuckJSON(t, s.Prefix, 2, "--kind", "number")

	if got, want := len(rep.Totals), len(statemachine.WatchedStates(statemachine.KindNumber)); got != want {
		t.Errorf("%d totals, want one per watched state of numbers (%d)", got, want)
	}
	if rep.Pages != len(rep.Totals) || rep.Examined != 2 {
		t.Errorf("read %d pages, examined %d; want a page per state and the 2 stuck numbers only", rep.Pages, rep.Examined)
	}
	if rep.ReadUnits <= 0 {
		t.Errorf("read units %v, want the capacity DynamoDB reported", rep.ReadUnits)
	}
	if got, want := strings.Count(r.stderr, "pages read: "), rep.Pages; got != want {
		t.Errorf("%d progress lines, want one per page (%d):\n%s", got, want, r.stderr)
	}
}

func TestStuckUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"state not waiting", nil, []string{"stuck", "--state", "VERIFIED"}, "--state VERIFIED is not a watched state"},
		{"state not waiting for the kind", nil, []string{"stuck", "--kind", "campaign", "--state", "SUBMITTED"},
			"watched states are: campaign TCR_PENDING, campaign IN_REVIEW"},
		{"unknown kind", nil, []string{"stuck", "--kind", "person"}, `unknown kind "person"`},
		{"negative threshold", nil, []string{"stuck", "--older-than", "-1s"}, "want a positive duration"},
		{"policy file", nil, []string{"stuck", "--recovery", "/nonexistent/policy.json"}, "--recovery: recovery policy"},
		{"output", nil, []string{"stuck", "-o", "yaml"}, `-o "yaml": want table, json or csv`},
		{"arguments", nil, []string{"stuck", "brand"}, "unexpected arguments: brand"},
		{"clock", map[string]string{envNow: "yesterday"}, []string{"stuck"}, `REGCTL_NOW="yesterday": want an RFC 3339 time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, tt.env, tt.args...)
			if got, want := r.code, exitUsage; got != want {
				t.Errorf("exit code %d, want %d", got, want)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.stderr)
			}
		})
	}
}
