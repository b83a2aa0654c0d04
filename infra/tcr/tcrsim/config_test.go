package tcrsim

import (
	"maps"
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	d := Config{RateLimits: map[Group]int{GroupATT: 7}}.withDefaults()
	if d.Addr != DefaultAddr || d.RateLimits[GroupVerizon] != DefaultRateLimit || d.RateLimits[GroupATT] != 7 ||
		d.Latencies[StepReviewer] != DefaultLatencies[StepReviewer] || d.RetryFor != DefaultRetryFor {
		t.Errorf("defaults not filled: %+v", d)
	}
	err := Config{Drop: 2}.Validate()
	for _, want := range []string{"webhook URL is required", "webhook secret is required", "drop rate 2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %q", err, want)
		}
	}
}

// A program running the simulator in-process reads what GET /journal and
// GET /counters answer without HTTP.
func TestJournalAndCountersInProcess(t *testing.T) {
	s, err := New(Config{WebhookURL: "http://receiver.test/webhooks", Secret: []byte("s"), RateLimits: map[Group]int{GroupNumbers: 9}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := s.Journal().Rates, (map[Group]int{GroupRegistry: 2, GroupATT: 2, GroupTMobile: 2, GroupVerizon: 2, GroupNumbers: 9}); !maps.Equal(got, want) {
		t.Errorf("Journal().Rates = %v, want %v", got, want)
	}
	c := s.Counters()
	if got, want := len(c.Groups), len(Groups()); got != want {
		t.Errorf("Counters() has %d groups, want %d", got, want)
	}
	if _, ok := c.Endpoints["POST /registry/brands/{id}"]; !ok {
		t.Errorf("Counters().Endpoints lacks POST /registry/brands/{id}: %v", c.Endpoints)
	}
}
