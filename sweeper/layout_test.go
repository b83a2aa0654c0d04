package sweeper

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestSweeperStaysBesideTheAdapters keeps the layout issue 15 set: the
// sweeper's ports speak domain types, so it imports no AWS package (its
// emulator test alone imports infra/dynamo), and no package of infra/
// imports it.
func TestSweeperStaysBesideTheAdapters(t *testing.T) {
	var aws []string
	for _, dep := range goList(t, "-deps", ".") {
		if strings.HasPrefix(dep, "github.com/aws/") {
			aws = append(aws, dep)
		}
	}
	if len(aws) > 0 {
		t.Errorf("the sweeper depends on %d AWS packages: %v", len(aws), aws)
	}
	self := goList(t, ".")[0]
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../infra/...") {
		pkg, imports, _ := strings.Cut(line, " ")
		for imp := range strings.FieldsSeq(imports) {
			if imp == self || strings.HasPrefix(imp, self+"/") {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// goList runs go list with args and returns its lines.
func goList(tb testing.TB, args ...string) []string {
	tb.Helper()
	out, err := exec.CommandContext(tb.Context(), "go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			tb.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		tb.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
