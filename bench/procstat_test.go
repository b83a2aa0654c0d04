package bench

import (
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    float64
		wantErr bool
	}{
		{"utime and stime are fields 14 and 15",
			"4242 (regd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 12 0 100 1000000 2000 18446744073709551615", 3, false},
		{"a command name with spaces and parentheses",
			"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 0.03, false},
		{"truncated", "7 (x) R 1 7", 0, true},
		{"no command", "garbage", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat), 100)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("cpu = %v s, want %v s", got, tt.want)
			}
		})
	}
}

func TestParseStatusHWM(t *testing.T) {
	status := "Name:\tregd\nVmPeak:\t 1300000 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   30000 kB\n"
	if got, err := parseStatusHWM([]byte(status)); err != nil || got != 40960*1024 {
		t.Errorf("parseStatusHWM = %d, %v; want %d", got, err, 40960*1024)
	}
	if _, err := parseStatusHWM([]byte("Name:\tregd\n")); err == nil {
		t.Error("no VmHWM line: no error")
	}
}

// TestReadUsageOfThisProcess reads /proc for the test process itself.
func TestReadUsageOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	u, err := readUsage(os.Getpid(), clockTicks())
	if err != nil {
		t.Fatal(err)
	}
	if u.peakRSSBytes < 1<<20 || u.cpuSeconds < 0 {
		t.Errorf("usage %+v: want a peak RSS of at least 1 MiB", u)
	}
}
