package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/tendlc/tendlc/bench"
)

// compareCommand sets two runs' reports or more side by side: the legacy
// system and others (the Temporal side, the hybrid), or runs of one system.
func compareCommand(fset *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error {
	var out, src string
	fset.StringVar(&out, "out", "", "directory of compare.md, latency-cdf.svg, completed.svg and, for two runs with a rollout, rollout-latency.svg (default reports/compare-<UTC time>)")
	fset.StringVar(&src, "src", ".", "the repository whose "+bench.ConcernsFile+" maps the files whose lines of code the comparison counts")
	fset.Usage = func() {
		fmt.Fprintf(fset.Output(), "usage: regbench compare [--out DIR] [--src DIR] A B [C...]\n\n"+
			"A, B... are run directories of `regbench run` or their report.json files, one column each.\n\nflags:\n")
		fset.PrintDefaults()
	}
	return func(_ context.Context, stdout io.Writer) error {
		if fset.NArg() < 2 {
			return fmt.Errorf("%w: want two reports or more, A B [C...], got %d arguments", bench.ErrUsage, fset.NArg())
		}
		var c bench.Comparison
		for _, path := range fset.Args() {
			run, err := bench.ReadReport(path)
			if err != nil {
				return fmt.Errorf("%w: %w", bench.ErrUsage, err)
			}
			c.Runs = append(c.Runs, run)
		}
		c.CodeRoot = src
		code, err := bench.CountCode(os.DirFS(src))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.CodeError = fmt.Sprintf("%s has no %s (--src names the repository)", src, bench.ConcernsFile)
		case err != nil:
			c.CodeError = err.Error()
		default:
			c.Code = code
		}
		if out == "" {
			out = bench.DefaultCompareDir(time.Now())
		}
		if err := c.WriteFiles(out); err != nil {
			return fmt.Errorf("write the comparison: %w", err)
		}
		if err := c.WriteMarkdown(stdout); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "\nregbench: comparison in %s: compare.md, latency-cdf.svg, completed.svg\n", out)
		return err
	}
}
