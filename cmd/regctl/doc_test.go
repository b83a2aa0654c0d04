package main

import (
	"fmt"
	"go/parser"
	"go/token"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestPackageDocListsEveryCommand keeps the package doc's list of commands
// the dispatcher's: every registered command with its summary, and no other.
func TestPackageDocListsEveryCommand(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("doc.go has no package doc")
	}
	// The list is the indented lines of the form "path  summary".
	listed := map[string]string{}
	for line := range strings.Lines(f.Doc.Text()) {
		path, summary, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if path, indented := strings.CutPrefix(path, "\t"); indented && ok {
			listed[path] = strings.TrimSpace(summary)
		}
	}
	want := map[string]string{}
	for _, c := range registered.commands {
		want[c.Path] = c.Summary
	}
	if !maps.Equal(listed, want) {
		var b strings.Builder
		for _, p := range slices.Sorted(maps.Keys(want)) {
			fmt.Fprintf(&b, "//\t%-14s  %s\n", p, want[p])
		}
		t.Errorf("the package doc lists %d commands, the dispatcher knows %d; list them as:\n%s", len(listed), len(want), b.String())
	}
}
