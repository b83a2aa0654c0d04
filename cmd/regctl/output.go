package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Output formats of the -o flag.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

// outputFlag declares -o on fs with the formats a command prints, the first
// being the default.
func outputFlag(fs *flag.FlagSet, formats ...string) *string {
	return fs.String("o", formats[0], "print the output as `FORMAT`: "+orList(formats))
}

// checkOutput returns a usage error unless format is one of formats.
func checkOutput(format string, formats ...string) error {
	if !slices.Contains(formats, format) {
		return usageErrorf("-o %q: want %s", format, orList(formats))
	}
	return nil
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// printJSON writes v as indented JSON and a newline, without HTML escaping.
func printJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// newTable returns a writer aligning tab-separated columns two spaces apart.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// stamp formats t for a table: RFC 3339 in UTC to the second, "-" if zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// seconds returns n seconds as a duration.
func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// orDash returns s, or "-" for an empty s, so that table cells are never
// blank.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// positional parses the flags that follow positional arguments, which the
// flag package leaves unparsed, so that `regctl show c1 --kind campaign`
// works like `regctl show --kind campaign c1`. It returns the positional
// arguments, or a usage error.
func positional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		pos = append(pos, args[0])
		if err := fs.Parse(args[1:]); err != nil {
			return nil, usageErrorf("%v", err)
		}
		args = fs.Args()
	}
	return pos, nil
}
