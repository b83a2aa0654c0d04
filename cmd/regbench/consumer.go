package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/tendlc/tendlc/bench/legacy"
)

func consumerCommand(fs *flag.FlagSet) func(context.Context, io.Writer) error {
	b := &legacy.ConsumerBench{}
	fs.IntVar(&b.Messages, "messages", 20000, "messages per drain")
	fs.IntVar(&b.Pollers, "pollers", 4, "receive loops; the runtime gets Concurrency = 10 x pollers")
	fs.IntVar(&b.Rounds, "rounds", 3, "rounds, each draining once with the runtime and once with the bare loop")
	fs.DurationVar(&b.Timeout, "timeout", 5*time.Minute, "longest time one drain may take")
	return b.Run
}
