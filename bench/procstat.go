package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// defaultClockTicks is USER_HZ on Linux: the unit of the CPU times in
// /proc/<pid>/stat when getconf cannot tell.
const defaultClockTicks = 100

// clockTicks returns the clock ticks per second of the CPU times in /proc
// (getconf CLK_TCK).
func clockTicks() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return defaultClockTicks
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n <= 0 {
		return defaultClockTicks
	}
	return float64(n)
}

// procUsage is what a process has used so far.
type procUsage struct {
	cpuSeconds   float64 // user and system time
	peakRSSBytes int64   // resident set high-water mark (VmHWM)
}

// readUsage reads the usage of process pid from /proc, with ticks clock
// ticks per second.
func readUsage(pid int, ticks float64) (procUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procUsage{}, err
	}
	cpu, err := parseStatCPU(stat, ticks)
	if err != nil {
		return procUsage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procUsage{}, err
	}
	hwm, err := parseStatusHWM(status)
	if err != nil {
		return procUsage{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return procUsage{cpuSeconds: cpu, peakRSSBytes: hwm}, nil
}

// parseStatCPU returns utime+stime of a /proc/<pid>/stat line in seconds.
// The command name, in parentheses, may hold spaces: the fields are counted
// from the last ')'. utime and stime are fields 14 and 15.
func parseStatCPU(stat []byte, ticks float64) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	fields := strings.Fields(string(stat[i+1:])) // from field 3, the state
	if len(fields) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(fields))
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q, stime %q: not numbers", fields[11], fields[12])
	}
	return float64(utime+stime) / ticks, nil
}

// parseStatusHWM returns the VmHWM line of /proc/<pid>/status in bytes.
func parseStatusHWM(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmHWM %q: want a number of kB", rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM line")
}
