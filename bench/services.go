package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Service is a backing service of the system under test, such as an
// emulator or a workflow server: a process the run measures but neither
// starts nor kills, named by a PID file that may name another process after a
// restart.
type Service struct {
	Name    string
	PIDFile string
}

// ParseService reads a Service from "NAME=PIDFILE". It fails when s has
// no name or no PID file.
func ParseService(s string) (Service, error) {
	name, file, _ := strings.Cut(s, "=")
	if name == "" || file == "" {
		return Service{}, fmt.Errorf("service %q: want NAME=PIDFILE", s)
	}
	return Service{Name: name, PIDFile: file}, nil
}

// ServiceFigures are what one backing service used during the run.
type ServiceFigures struct {
	Name string `json:"name"`
	// Processes counts the processes the PID file named while the run was
	// sampled (more than one after a restart); 0: it was never read.
	Processes int `json:"processes"`
	// CPUSeconds is the user and system time of those processes from the
	// seeding on: a process that was running then counts from there, one
	// started later from its start.
	CPUSeconds float64 `json:"cpu_seconds"`
	// PeakRSSBytes is the highest VmHWM of those processes, which for one
	// that was running before the run includes what it used before.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// serviceStats is what the collector knows of one backing service.
type serviceStats struct {
	svc Service

	mu      sync.Mutex
	cpu     map[int]*cpuSpan // by PID
	peakRSS int64
}

// cpuSpan is the CPU time of one process at the start of its measurement
// and at its last sample.
type cpuSpan struct{ from, to float64 }

func newServiceStats(svc Service) *serviceStats {
	return &serviceStats{svc: svc, cpu: map[int]*cpuSpan{}}
}

// sample reads the service's PID file and the usage of the process it
// names. atStart is the sample taken at the seeding, which the CPU time is
// counted from. A PID file or process that cannot be read is skipped: the
// service may be restarting.
func (s *serviceStats) sample(ticks float64, atStart bool) {
	pid, err := readPIDFile(s.svc.PIDFile)
	if err != nil {
		return
	}
	u, err := readUsage(pid, ticks)
	if err != nil {
		return
	}
	s.observe(pid, u, atStart)
}

// observe adds a sample of process pid.
func (s *serviceStats) observe(pid int, u procUsage, atStart bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	span, ok := s.cpu[pid]
	if !ok {
		span = &cpuSpan{}
		if atStart {
			span.from = u.cpuSeconds
		}
		s.cpu[pid] = span
	}
	span.to = u.cpuSeconds
	s.peakRSS = max(s.peakRSS, u.peakRSSBytes)
}

// figures returns what the service used.
func (s *serviceStats) figures() ServiceFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := ServiceFigures{Name: s.svc.Name, Processes: len(s.cpu), PeakRSSBytes: s.peakRSS}
	for _, span := range s.cpu {
		f.CPUSeconds += span.to - span.from
	}
	return f
}

// readPIDFile returns the process ID a PID file holds.
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, errors.New(path + ": not a process ID")
	}
	return pid, nil
}
