// Command regtemporal is the Temporal side of tendlc's comparison: the
// registration flow of the baseline (brand, campaign, numbers) as Temporal
// workflows, and what runs and drives them. Each subcommand lives in a file
// of its own and registers itself; `regtemporal server` is the embedded
// Temporal server the benchmark runs against.
//
// Usage:
//
//	regtemporal <command> [flags] [arguments]
//
// Without arguments, or with "help", it lists the commands; "regtemporal help
// <command>" and "regtemporal <command> -h" describe one. It exits 0 on
// success, 1 when the command failed and 2 on a bad command line.
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
	"text/tabwriter"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{Stdout: os.Stdout, Stderr: os.Stderr}).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes of [Main.Run].
const (
	exitOK      = 0
	exitFailure = 1 // the command failed
	exitUsage   = 2 // the command line was wrong
)

// Main is regtemporal with its output injected, so tests drive the real
// command line in-process.
type Main struct {
	Stdout, Stderr io.Writer
}

// Run runs the command line args (without the program name) and returns the
// exit code: 0 on success, 1 when the command failed (the error is on
// stderr), 2 on a usage error (the usage is on stderr). Help asked for goes
// to stdout, with exit code 0.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		printUsage(m.Stderr)
		return exitUsage
	}
	name, args := args[0], args[1:]
	if name == "help" && len(args) > 0 {
		name, args = args[0], []string{"-h"}
	} else if name == "help" || isHelp(name) {
		printUsage(m.Stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(m.Stderr, "regtemporal: unknown command %q\n\n", name)
		printUsage(m.Stderr)
		return exitUsage
	}
	return c.execute(ctx, m, args)
}

// command is one regtemporal subcommand. A file declares it and registers it
// with [register]; nothing else needs to change.
type command struct {
	// name selects the command: regtemporal <name>.
	name string
	// summary is one line for the list of commands.
	summary string
	// usage is the command's synopsis, a blank line and what it does; the
	// flags follow it when it is printed.
	usage string
	// setup declares the command's flags on fs and returns the function
	// that runs the command once they are parsed, writing to m's streams.
	setup func(fs *flag.FlagSet, m *Main) runFunc
}

// runFunc runs a command with the arguments left after its flags. An error
// made by [usageErrorf] exits with status 2 and the usage; any other, 1.
type runFunc func(ctx context.Context, args []string) error

// commands holds every command by name, filled by [register] as the package
// initialises.
var commands = map[string]*command{}

// register adds c to regtemporal's commands and returns it. It panics when c
// is incomplete or its name is taken: a programming error, caught as soon
// as regtemporal starts (and by its tests).
func register(c *command) *command {
	if c.name == "" || c.summary == "" || c.usage == "" || c.setup == nil {
		panic(fmt.Sprintf("regtemporal: command %q: name, summary, usage and setup are required", c.name))
	}
	if _, taken := commands[c.name]; taken {
		panic(fmt.Sprintf("regtemporal: command %q registered twice", c.name))
	}
	commands[c.name] = c
	return c
}

// usageError is a command line a command cannot run: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf reports a wrong command line from a [runFunc].
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// execute parses the command's flags and runs it.
func (c *command) execute(ctx context.Context, m *Main, args []string) int {
	fs := flag.NewFlagSet("regtemporal "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.setup(fs, m)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(m.Stdout, fs, true)
			return exitOK
		}
		fmt.Fprintf(m.Stderr, "regtemporal %s: %v\n\n", c.name, err)
		c.printUsage(m.Stderr, fs, false)
		return exitUsage
	}
	err := run(ctx, fs.Args())
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(m.Stderr, "regtemporal %s: %v\n", c.name, err)
	if _, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintln(m.Stderr)
		c.printUsage(m.Stderr, fs, false)
		return exitUsage
	}
	return exitFailure
}

// printUsage prints the command's usage and flags; after a usage error
// (full false) only its synopsis, the first line of its usage.
func (c *command) printUsage(w io.Writer, fs *flag.FlagSet, full bool) {
	usage := strings.TrimSpace(c.usage)
	if synopsis, _, ok := strings.Cut(usage, "\n"); ok && !full {
		usage = synopsis
	}
	fmt.Fprintf(w, "Usage: %s\n", usage)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// printUsage lists every command.
func printUsage(w io.Writer) {
	fmt.Fprint(w, "regtemporal runs tendlc's registration flow on Temporal.\n\n")
	fmt.Fprint(w, "Usage: regtemporal <command> [flags] [arguments]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(tw, "  %s\t%s\n", name, commands[name].summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun \"regtemporal help <command>\" for a command's flags.\n")
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }
