package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of a run: carriersim, the webhook shim or a regd
// replica. Its PID file lets the Makefile stop it even if regbench dies.
type proc struct {
	name   string
	bin    string
	args   []string
	env    []string
	health string // URL that answers 200 once it serves

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	killed bool // stopped or killed on purpose
}

// supervisor starts and stops the processes of a run. Each runs in its own
// process group, so a Ctrl-C reaches regbench only and the stop order stays
// regbench's: replicas first, then the shim, then the simulator.
type supervisor struct {
	dir   string // logs and PID files
	procs []*proc
}

func newSupervisor(dir string) (*supervisor, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &supervisor{dir: dir}, nil
}

func (s *supervisor) pidFile(p *proc) string { return filepath.Join(s.dir, p.name+".pid") }
func (s *supervisor) logFile(p *proc) string { return filepath.Join(s.dir, p.name+".log") }

// webhookSecretEnv writes the webhook shim's secret to a 0600 file in the
// run's directory and returns the environment entry that points the shim at
// it: the secret never appears in a process's arguments or environment.
func (s *supervisor) webhookSecretEnv(secret string) (string, error) {
	path := filepath.Join(s.dir, "webhook-secret")
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		return "", err
	}
	return "TENDLC_WEBHOOK_SECRET_FILE=" + path, nil
}

// start starts p (again, after a kill) and waits until its health URL answers.
func (s *supervisor) start(ctx context.Context, p *proc) error {
	logf, err := os.OpenFile(s.logFile(p), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.killed = cmd, exited, false
	p.mu.Unlock()
	if err := os.WriteFile(s.pidFile(p), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	if !contains(s.procs, p) {
		s.procs = append(s.procs, p)
	}
	return s.waitHealthy(ctx, p, exited)
}

// pid returns the process ID of p's latest start, or 0 if it never started.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func contains(ps []*proc, p *proc) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func (s *supervisor) waitHealthy(ctx context.Context, p *proc, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.health, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited while starting; the end of %s:\n%s", p.name, s.logFile(p), tail(s.logFile(p), 2048))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling interval
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy at %s after 60 s; see %s", p.name, p.health, s.logFile(p))
		}
	}
}

// signal sends sig to p's process group and, for a stop, waits up to grace
// before killing it.
func (s *supervisor) signal(p *proc, sig syscall.Signal, grace time.Duration) {
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
	_ = os.Remove(s.pidFile(p))
}

// died reports the first process that exited without being told to.
func (s *supervisor) died() error {
	var errs []error
	for _, p := range s.procs {
		p.mu.Lock()
		exited, killed := p.exited, p.killed
		p.mu.Unlock()
		select {
		case <-exited:
			if !killed {
				errs = append(errs, fmt.Errorf("%s exited unexpectedly; see %s", p.name, s.logFile(p)))
			}
		default:
		}
	}
	return errors.Join(errs...)
}

// stopAll stops every process in reverse start order, gracefully.
func (s *supervisor) stopAll() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.signal(s.procs[i], syscall.SIGTERM, 20*time.Second)
	}
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
