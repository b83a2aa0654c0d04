package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tendlc/tendlc/infra/cfn"
	"github.com/tendlc/tendlc/infra/resources"
)

func TestInfraTemplateGolden(t *testing.T) {
	r := run(t, nil, map[string]string{"TENDLC_PREFIX": "demo-"}, "infra", "template")
	if got, want := r.code, exitOK; got != want {
		t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
	}
	golden(t, "infra-template.json", []byte(r.stdout))
	want, err := cfn.Template(resources.Default("demo-"))
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Error("output is not cfn.Template(resources.Default(\"demo-\"))")
	}
}

func TestInfraTemplateHelpGolden(t *testing.T) {
	r := run(t, nil, nil, "infra", "template", "--help")
	if got, want := r.code, exitOK; got != want {
		t.Errorf("exit code %d, want %d", got, want)
	}
	golden(t, "infra-template-help.txt", []byte(r.stdout))
}

// eventsQueueName returns the name of the events queue in a template.
func eventsQueueName(tb testing.TB, template []byte) string {
	tb.Helper()
	var doc struct {
		Resources map[string]struct{ Properties struct{ QueueName string } }
	}
	if err := json.Unmarshal(template, &doc); err != nil {
		tb.Fatalf("output is not JSON: %v", err)
	}
	return doc.Resources["EventsQueue"].Properties.QueueName
}

func TestInfraTemplatePrefix(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, []string{"infra", "template"}, "tendlc-events"},
		{"environment", map[string]string{"TENDLC_PREFIX": "env-"}, []string{"infra", "template"}, "env-events"},
		{"global flag", map[string]string{"TENDLC_PREFIX": "env-"}, []string{"--prefix", "g-", "infra", "template"}, "g-events"},
		{"command flag", nil, []string{"--prefix", "g-", "infra", "template", "--prefix", "c-"}, "c-events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, tt.env, tt.args...)
			if got, want := r.code, exitOK; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if got := eventsQueueName(t, []byte(r.stdout)); got != tt.want {
				t.Errorf("events queue %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInfraTemplateToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	r := run(t, nil, nil, "infra", "template", "--prefix", "f-", "-o", path)
	if got, want := r.code, exitOK; got != want {
		t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing: the template went to the file", r.stdout)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := cfn.Template(resources.Default("f-"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("file is not the template of prefix f-")
	}
}

func TestInfraTemplateFailures(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unwritable output", []string{"infra", "template", "-o", filepath.Join(t.TempDir(), "missing", "t.json")}, exitFailure},
		{"invalid prefix", []string{"infra", "template", "--prefix", "no spaces-"}, exitFailure},
		{"stray argument", []string{"infra", "template", "extra"}, exitUsage},
		{"-o without a file", []string{"infra", "template", "-o"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, tt.code; got != want {
				t.Errorf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if r.stdout != "" || r.stderr == "" {
				t.Errorf("stdout %q, stderr %q: want the error on stderr only", r.stdout, r.stderr)
			}
		})
	}
}
