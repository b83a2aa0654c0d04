package devserver

import (
	"strings"
	"testing"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		errs []string // what the error holds; none: valid
	}{
		{"defaults", Config{DBPath: "x.db"}, nil},
		{"no file", Config{}, []string{"DBPath is required"}},
		{"every problem", Config{Port: -1}, []string{"DBPath is required", "port -1 is not a TCP port"}},
		{"port too high", Config{DBPath: "x.db", Port: 65536}, []string{"port 65536"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got, want := s.Namespace(), DefaultNamespace; got != want {
					t.Errorf("namespace %q, want %q", got, want)
				}
				if s.cfg.Logger == nil {
					t.Error("no default logger")
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.errs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
