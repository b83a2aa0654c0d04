package temporal

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

func TestParseSeeded(t *testing.T) {
	tests := []struct {
		out               string
		started, existing int
		wantErr           bool
	}{
		{"seeded 12 (0 already registered)\n", 12, 0, false},
		{"seeded 3 (9 already registered)", 3, 9, false},
		{"seeded 12\n", 0, 0, true},
		{"started 12 (0 already registered)\n", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tt := range tests {
		started, existing, err := parseSeeded([]byte(tt.out))
		if started != tt.started || existing != tt.existing || (err != nil) != tt.wantErr {
			t.Errorf("parseSeeded(%q) = %d, %d, %v; want %d, %d, error %v", tt.out, started, existing, err, tt.started, tt.existing, tt.wantErr)
		}
	}
}

func TestParseCampaigns(t *testing.T) {
	out := `{"campaign-00000": {"state": "ACTIVE", "entered_at": "2026-12-04T18:00:05Z", "created_at": "2026-12-04T18:00:01.5Z"},
	         "campaign-00001": {"state": "IN_REVIEW", "created_at": "2026-12-04T18:00:01Z"},
	         "campaign-00002": {"state": "", "created_at": "2026-12-04T18:00:01Z"},
	         "campaign-00009": {"state": "REJECTED", "entered_at": "2026-12-04T18:00:04Z", "created_at": "2026-12-04T18:00:01Z"}}`
	got, err := parseCampaigns([]byte(out), []string{"campaign-00000", "campaign-00001", "campaign-00002", "campaign-00003"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bench.Campaign{
		"campaign-00000": {State: statemachine.Active, EnteredAt: time.Date(2026, 12, 4, 18, 0, 5, 0, time.UTC),
			CreatedAt: time.Date(2026, 12, 4, 18, 0, 1, 5e8, time.UTC)},
		"campaign-00001": {State: statemachine.InReview, CreatedAt: time.Date(2026, 12, 4, 18, 0, 1, 0, time.UTC)},
	}
	if !maps.EqualFunc(got, want, func(a, b bench.Campaign) bool {
		return a.State == b.State && a.EnteredAt.Equal(b.EnteredAt) && a.CreatedAt.Equal(b.CreatedAt)
	}) {
		t.Errorf("parseCampaigns = %+v, want %+v (the campaigns asked for, with a state)", got, want)
	}
	if _, err := parseCampaigns([]byte("campaigns: 3"), nil); err == nil {
		t.Error("an answer that is not JSON parsed")
	}
}

func TestParseHistory(t *testing.T) {
	out := `{"records": [
	  {"kind": "brand", "id": "brand-0000", "state": "VERIFIED", "version": 3, "created_at": "2026-12-04T18:00:00Z",
	   "state_entered_at": "2026-12-04T18:00:02Z", "last_message_id": "evt-2", "applied": ["producer-brand-0000", "evt-2"]},
	  {"kind": "campaign", "id": "campaign-00000", "parent_id": "brand-0000", "state": "REJECTED", "version": 5,
	   "reason": {"code": 30893, "description": "reviewer"}, "carriers": {"att": "PENDING"}, "numbers": {"+12020000000": "PENDING"}}]}`
	got, err := parseHistory([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	b, c := got[0], got[1]
	if b.Kind != statemachine.KindBrand || b.State != statemachine.Verified || b.LastMessageID != "evt-2" || len(b.Applied) != 2 ||
		!b.StateEnteredAt.Equal(time.Date(2026, 12, 4, 18, 0, 2, 0, time.UTC)) {
		t.Errorf("brand record %+v", b)
	}
	if c.ParentID != "brand-0000" || c.Reason == nil || c.Reason.Code != 30893 || c.Carriers[statemachine.CarrierATT] != statemachine.CarrierPending ||
		c.Numbers["+12020000000"] != statemachine.NumberPendingStatus {
		t.Errorf("campaign record %+v", c)
	}
	if _, err := parseHistory([]byte(`{"records": {}}`)); err == nil {
		t.Error("records that are not a list parsed")
	}
}

func TestParseBacklog(t *testing.T) {
	got, err := parseBacklog([]byte(`{"registrations": {"visible": 4, "in_flight": 0, "delayed": 0}, "downstream-registry": {"visible": 12}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bench.QueueDepth{"registrations": {Visible: 4}, "downstream-registry": {Visible: 12}}
	if !maps.Equal(got, want) {
		t.Errorf("parseBacklog = %v, want %v", got, want)
	}
	if _, err := parseBacklog([]byte("registrations 4")); err == nil {
		t.Error("an answer that is not JSON parsed")
	}
}

// TestCLIRunsSubcommands runs a stand-in for regtemporal that writes its
// arguments and standard input: a subcommand gets the server's address and
// namespace before its own arguments, seed gets one envelope per line, and
// a failure's error carries what the command wrote to its standard error.
func TestCLIRunsSubcommands(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "regtemporal")
	script := "#!/bin/sh\nif [ \"$1\" = fail ]; then echo 'dial 127.0.0.1:1: connection refused' >&2; exit 1; fi\necho \"$@\"\ncat\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := cli{bin: bin, address: "127.0.0.1:7233", namespace: "bench"}
	l := bench.Load{Envelopes: []statemachine.Envelope{
		{Type: statemachine.BrandRegister, EntityID: "brand-0000"}, {Type: statemachine.CampaignRegister, EntityID: "campaign-00000"}}}
	in, err := seedInput(l)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.run(t.Context(), in, "seed")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 3 || lines[0] != "seed --address 127.0.0.1:7233 --namespace bench" {
		t.Fatalf("the command saw %q, want its arguments and two envelopes", lines)
	}
	var ids []string
	for _, line := range lines[1:] {
		var env statemachine.Envelope
		if err := json.Unmarshal([]byte(line), &env); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, env.EntityID)
	}
	if want := []string{"brand-0000", "campaign-00000"}; !slices.Equal(ids, want) {
		t.Errorf("seeded %v, want %v in order", ids, want)
	}
	if _, err := c.read(t.Context(), "fail"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a failed subcommand's error %v does not say why", err)
	}
}
