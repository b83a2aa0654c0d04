package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseService(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Service
		ok   bool
	}{
		{"dynamodb=.tools/run/bench/dynamodb.pid", Service{"dynamodb", ".tools/run/bench/dynamodb.pid"}, true},
		{"sqs=a=b.pid", Service{"sqs", "a=b.pid"}, true},
		{"dynamodb", Service{}, false},
		{"=x.pid", Service{}, false},
		{"dynamodb=", Service{}, false},
	} {
		got, err := ParseService(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseService(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestServiceCountsItsCPUFromTheStart: a process running at the seeding
// counts from there, one started later (a restart under another PID) from
// its start; the peak RSS is the highest seen.
func TestServiceCountsItsCPUFromTheStart(t *testing.T) {
	s := newServiceStats(Service{Name: "server"})
	for _, o := range []struct {
		pid     int
		cpu     float64
		rss     int64
		atStart bool
	}{
		{100, 50, 300 << 20, true}, // 50 s before the run: not counted
		{100, 52, 310 << 20, false},
		{100, 55, 320 << 20, false}, // 5 s during the run
		{200, 1, 100 << 20, false},  // restarted: from its start
		{200, 3, 120 << 20, false},  // 3 s more
	} {
		s.observe(o.pid, procUsage{cpuSeconds: o.cpu, peakRSSBytes: o.rss}, o.atStart)
	}
	got := s.figures()
	if want := (ServiceFigures{Name: "server", Processes: 2, CPUSeconds: 8, PeakRSSBytes: 320 << 20}); got != want {
		t.Errorf("figures %+v, want %+v", got, want)
	}
	if got := newServiceStats(Service{Name: "never read"}).figures(); got.Processes != 0 || got.CPUSeconds != 0 {
		t.Errorf("a service never read: %+v, want no process", got)
	}
}

// TestServiceSamplesTheProcessOfItsPIDFile: this test's own process,
// through a PID file; a missing or bad PID file is skipped.
func TestServiceSamplesTheProcessOfItsPIDFile(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "self.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newServiceStats(Service{Name: "self", PIDFile: pidFile})
	s.sample(clockTicks(), true)
	s.sample(clockTicks(), false)
	if got := s.figures(); got.Processes != 1 || got.CPUSeconds < 0 || got.PeakRSSBytes <= 0 {
		t.Errorf("figures %+v, want one process with memory", got)
	}
	for _, content := range []string{"", "nope", "-3"} {
		if err := os.WriteFile(pidFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readPIDFile(pidFile); err == nil {
			t.Errorf("PID file %q read", content)
		}
	}
	missing := newServiceStats(Service{Name: "gone", PIDFile: filepath.Join(dir, "gone.pid")})
	missing.sample(clockTicks(), true)
	if got := missing.figures(); got.Processes != 0 {
		t.Errorf("a missing PID file: %+v", got)
	}
}

func TestSummaryListsTheBackingServices(t *testing.T) {
	d := fixtureRun(t)
	var b bytes.Buffer
	if err := Summarize(d, nil).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "## Backing services") {
		t.Error("a run without backing services lists them")
	}
	d.Services = []ServiceFigures{{Name: "dynamodb", Processes: 1, CPUSeconds: 12.25, PeakRSSBytes: 400 << 20}}
	b.Reset()
	if err := Summarize(d, nil).WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if want := "| dynamodb | 1 | 12.2 | 400.0 MiB |\n"; !strings.Contains(b.String(), want) {
		t.Errorf("summary.md has no %q:\n%s", want, b.String())
	}
}
