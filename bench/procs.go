package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Proc is one child process of a run: the simulator, or a process of the
// system under test (for tendlc: the webhook shim or a regd replica). Its PID
// file lets the Makefile stop it even if regbench dies.
type Proc struct {
	Name   string   // of its log and PID files
	Bin    string   // the executable
	Args   []string // its arguments
	Env    []string // added to regbench's environment
	Health string   // URL that answers 200 once it serves
	// ReadyLine, when set, is what the process writes to its standard
	// output or error once it serves, for a process without a health URL
	// (the embedded Temporal server, which speaks gRPC only): Start waits
	// for it in what this start wrote, instead of polling Health.
	ReadyLine string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	killed bool // stopped or killed on purpose
}

// Supervisor starts and stops the processes of a run. Each runs in its own
// process group, so a Ctrl-C reaches regbench only and the stop order stays
// regbench's: the reverse of the start order (for tendlc: replicas first,
// then the simulator, then the shim). Its methods are safe for concurrent
// use on different processes: a system may restart one of its processes
// while the kill schedule restarts a replica.
type Supervisor struct {
	dir string // logs and PID files

	mu       sync.Mutex
	procs    []*Proc
	failures map[string]int // starts that failed, by process name
}

// NewSupervisor returns a supervisor that keeps its processes' logs and PID
// files in dir, creating it; the error is MkdirAll's.
func NewSupervisor(dir string) (*Supervisor, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &Supervisor{dir: dir, failures: map[string]int{}}, nil
}

// PIDFile is the file that holds the process ID of p's latest start, while
// it runs: the Makefile stops what it names, and a backing service started
// by the system (Serviced) is measured through it across restarts.
func (s *Supervisor) PIDFile(p *Proc) string { return filepath.Join(s.dir, p.Name+".pid") }

// LogFile is the file that holds p's standard output and error.
func (s *Supervisor) LogFile(p *Proc) string { return filepath.Join(s.dir, p.Name+".log") }

// Start starts p (again, after a kill) and waits until its health URL
// answers. It fails when p cannot start, exits while starting or is not
// healthy within 60 s: such a start counts as one of p's StartFailures,
// unless ctx ended.
func (s *Supervisor) Start(ctx context.Context, p *Proc) error {
	err := s.start(ctx, p)
	if err != nil && ctx.Err() == nil {
		s.mu.Lock()
		s.failures[p.Name]++
		s.mu.Unlock()
	}
	return err
}

// StartFailures returns how many starts of the process named name failed
// (Start).
func (s *Supervisor) StartFailures(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[name]
}

func (s *Supervisor) start(ctx context.Context, p *Proc) error {
	logf, err := os.OpenFile(s.LogFile(p), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	st, err := logf.Stat()
	if err != nil {
		logf.Close()
		return err
	}
	logFrom := st.Size() // where this start's output begins
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.killed = cmd, exited, false
	p.mu.Unlock()
	if err := os.WriteFile(s.PIDFile(p), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	s.mu.Lock()
	if !slices.Contains(s.procs, p) {
		s.procs = append(s.procs, p)
	}
	s.mu.Unlock()
	return s.waitHealthy(ctx, p, exited, logFrom)
}

// PID returns the process ID of p's latest start, or 0 if it never started.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// waitHealthy waits until p is healthy: its Health URL answers 200, or its
// log from offset logFrom on holds its ReadyLine.
func (s *Supervisor) waitHealthy(ctx context.Context, p *Proc, exited <-chan struct{}, logFrom int64) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if s.healthy(ctx, p, logFrom) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited while starting; the end of %s:\n%s", p.Name, s.LogFile(p), tail(s.LogFile(p), 2048))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling interval
		}
		if time.Now().After(deadline) {
			what := p.Health
			if p.ReadyLine != "" {
				what = fmt.Sprintf("(no %q in its output)", p.ReadyLine)
			}
			return fmt.Errorf("%s not healthy %s after 60 s; see %s", p.Name, what, s.LogFile(p))
		}
	}
}

// healthy reports whether p serves: it wrote its ReadyLine to its log after
// offset logFrom, or, without one, its Health URL answers 200.
func (s *Supervisor) healthy(ctx context.Context, p *Proc, logFrom int64) bool {
	if p.ReadyLine != "" {
		f, err := os.Open(s.LogFile(p))
		if err != nil {
			return false
		}
		defer f.Close()
		b, err := io.ReadAll(io.NewSectionReader(f, logFrom, 1<<30))
		return err == nil && bytes.Contains(b, []byte(p.ReadyLine))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Health, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Signal sends sig to p's process group and, for a stop, waits up to grace
// before killing it.
func (s *Supervisor) Signal(p *Proc, sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.killed = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	_ = os.Remove(s.PIDFile(p))
}

// Died reports the first process that exited without being told to.
func (s *Supervisor) Died() error {
	var errs []error
	for _, p := range s.all() {
		p.mu.Lock()
		exited, killed := p.exited, p.killed
		p.mu.Unlock()
		select {
		case <-exited:
			if !killed {
				errs = append(errs, fmt.Errorf("%s exited unexpectedly; see %s", p.Name, s.LogFile(p)))
			}
		default:
		}
	}
	return errors.Join(errs...)
}

// StopAll stops every process in reverse start order, gracefully.
func (s *Supervisor) StopAll() {
	procs := s.all()
	for i := len(procs) - 1; i >= 0; i-- {
		s.Signal(procs[i], syscall.SIGTERM, 20*time.Second)
	}
}

// all returns the processes started so far, in start order.
func (s *Supervisor) all() []*Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.procs)
}

// tail returns the last n bytes of a file, or why it cannot.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
