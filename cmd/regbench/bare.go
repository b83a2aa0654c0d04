package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tendlc/tendlc/bench/legacy"
	"github.com/tendlc/tendlc/infra/gc"
)

func bareCommand(fs *flag.FlagSet) func(context.Context, io.Writer) error {
	b := &legacy.BareLoop{}
	fs.IntVar(&b.Transitions, "transitions", 10000, "events seeded, one transition each")
	fs.IntVar(&b.Concurrency, "concurrency", 32, "transitions in flight: regd's replicas x --concurrency (2 x 16)")
	fs.StringVar(&b.Prefix, "prefix", "", "name prefix of its table and queues, deleted at the end (default: a fresh regbench-bare-<random>- prefix)")
	fs.DurationVar(&b.Timeout, "timeout", 10*time.Minute, "longest time the loop may take, setup and seeding excluded")
	asJSON := fs.Bool("json", false, "print the result as one JSON object (what regbench run reads)")
	return func(ctx context.Context, stdout io.Writer) error {
		gc.SetDefault(os.LookupEnv) // as regd collects, so that the loop's CPU compares with regd's
		res, err := b.Run(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(res)
		}
		fmt.Fprintf(stdout, "bare: %d transitions, %d in flight, in %.1f s: %.1f transitions/s; CPU %.2f s, %.3f ms per transition (this process, the loop alone)\n",
			res.Transitions, res.Concurrency, res.Seconds, float64(res.Transitions)/res.Seconds, res.CPUSeconds, 1000*res.CPUSeconds/float64(res.Transitions))
		return nil
	}
}
