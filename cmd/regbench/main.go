// Command regbench measures tendlc's moving parts against the SQS and
// DynamoDB endpoints of the standard AWS configuration (the local emulators
// in development: eval "$(infra/local/stack.sh env)"), and proves the runs it
// makes: `regbench run` ends every scenario with a checker that reads every
// record's audit and carriersim's journal (docs/checker.md), which `regbench
// check` also runs on its own. It holds the flags and the wiring: the engine
// is package bench (scenarios, runner, report), the checker bench/check,
// tendlc as the system under test and its component benchmarks bench/legacy,
// and the same flow on Temporal (`regbench run --system temporal`, driving
// the regtemporal binary of the nested module temporal/) bench/temporal.
// `regbench bare` is the limit of the event path (a transition's SDK calls in
// a bare loop); `regbench run` starts it as a process of its own after a run
// whose scenario asks for the limit (the ceiling profile). `regbench compare
// A B` sets two runs' reports side by side (two systems, or two runs of one)
// with each system's lines of code per concern.
//
// Usage:
//
//	regbench <subcommand> [flags]
//
// Without arguments it lists the subcommands; "regbench <subcommand> -h" lists
// a subcommand's flags. It exits 1 on an error and 2 on a bad command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/bench/hybrid"
	"github.com/tendlc/tendlc/bench/legacy"
	"github.com/tendlc/tendlc/bench/temporal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// subcommand is one benchmark. setup defines its flags on fs and returns the
// function that runs it with their values (and fs.Args(), the operands).
type subcommand struct {
	name    string
	summary string
	// operands: it takes arguments after its flags (fs.Args()), and says
	// which in its usage.
	operands bool
	setup    func(fs *flag.FlagSet) func(ctx context.Context, stdout io.Writer) error
}

// subcommands are regbench's subcommands, in the order the usage lists them.
var subcommands = []subcommand{
	{"bare", "the limit of the event path: a transition's SDK calls in a bare loop (no state machine, middleware or limiter), transitions/s and CPU", false, bareCommand},
	{"consumer", "the consumer runtime against a bare SDK receive-and-delete loop", false, consumerCommand},
	{"check", "prove a run from its records and carriersim's journal: legal histories, nothing applied twice, every downstream call accounted for", false, checkCommand},
	{"compare", "two runs' reports side by side (two systems, or two runs of one): compare.md and charts, lines of code per concern", true, compareCommand},
	{"run", "a scenario end to end: carriersim and the system under test (tendlc's webhook shim and regd replicas, or the Temporal side) as processes, a seeded load, progress and a summary", false, runCommand},
	{"sweeper", "the stuck-record sweep: waiting-index queries against a full table scan", false, sweeperCommand},
	{"webhook", "the webhook shim as a local server: signed webhooks from concurrent senders, throughput, latency, every accepted one counted on the queue", false, webhookCommand},
}

// systems are the systems under test `regbench run --system` drives: tendlc
// itself, and the same flow on Temporal (issue 17).
var systems = map[string]func() bench.System{
	"legacy":   func() bench.System { return &legacy.System{} },
	"temporal": func() bench.System { return &temporal.System{} },
	"hybrid":   func() bench.System { return &hybrid.System{} },
}

// newSystem returns the system under test named name. Its error wraps
// bench.ErrUsage for an unknown name.
func newSystem(name string) (bench.System, error) {
	s, ok := systems[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown system %q (want %s)", bench.ErrUsage, name, strings.Join(slices.Sorted(maps.Keys(systems)), " or "))
	}
	return s(), nil
}

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, sc := range subcommands {
		if sc.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("regbench "+sc.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		exec := sc.setup(fs)
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() > 0 && !sc.operands {
			fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
			fs.Usage()
			return 2
		}
		if err := exec(ctx, stdout); err != nil {
			fmt.Fprintf(stderr, "regbench %s: %v\n", sc.name, err)
			if errors.Is(err, bench.ErrUsage) {
				fs.Usage()
				return 2
			}
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "unknown subcommand %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: regbench <subcommand> [flags]\n\nsubcommands:")
	for _, sc := range subcommands {
		fmt.Fprintf(w, "  %-10s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w, "\nregbench <subcommand> -h lists its flags.")
}
