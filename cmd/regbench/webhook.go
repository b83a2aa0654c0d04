package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/tendlc/tendlc/bench/legacy"
)

func webhookCommand(fs *flag.FlagSet) func(context.Context, io.Writer) error {
	b := &legacy.WebhookBench{}
	fs.IntVar(&b.Webhooks, "n", 2000, "webhooks to send")
	fs.IntVar(&b.Senders, "c", 16, "concurrent senders")
	fs.StringVar(&b.Addr, "addr", "127.0.0.1:29500", "listen address of the shim")
	fs.StringVar(&b.Bin, "bin", "", "directory of the webhook binary (default: regbench's own)")
	fs.StringVar(&b.Dir, "dir", ".tools/run/regbench-webhook", "directory for the shim's log and PID file")
	fs.DurationVar(&b.Timeout, "timeout", 2*time.Minute, "longest time the sends, and then the drain, may take")
	return b.Run
}
