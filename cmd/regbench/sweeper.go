package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/legacy"
)

func sweeperCommand(fs *flag.FlagSet) func(context.Context, io.Writer) error {
	b := &legacy.SweeperBench{}
	records := fs.String("records", "10000,100000", "comma-separated table sizes, in records")
	fs.IntVar(&b.Writers, "writers", 8, "goroutines seeding a table with BatchWriteItem")
	fs.DurationVar(&b.Timeout, "timeout", 10*time.Minute, "longest time one table size may take, seeding included")
	return func(ctx context.Context, stdout io.Writer) error {
		for _, f := range strings.Split(*records, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < legacy.StuckEvery {
				return fmt.Errorf("%w: -records %q: want sizes of at least %d", bench.ErrUsage, *records, legacy.StuckEvery)
			}
			b.Sizes = append(b.Sizes, n)
		}
		return b.Run(ctx, stdout)
	}
}
