package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{}).Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes of [Main.Run].
const (
	exitOK      = 0
	exitFailure = 1 // the command failed
	exitUsage   = 2 // the command line was wrong
)

// defaultPrefix prefixes every resource name unless --prefix or TENDLC_PREFIX
// says otherwise.
const defaultPrefix = "tendlc-"

// Main is regctl with its environment injected, so tests drive the real
// command line.
type Main struct {
	// Getenv reads an environment variable; nil means os.Getenv.
	Getenv func(key string) string

	commands *registry // nil means the registered commands; tests set their own
}

// Run runs the command line args (without the program name) and returns the
// exit code: 0 on success, 1 when the command failed (the error is on
// stderr), 2 on a usage error (the usage is on stderr). Help requested with
// -h or --help goes to stdout, with exit code 0.
func (m *Main) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	getenv := m.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	commands := m.commands
	if commands == nil {
		commands = &registered
	}
	env := &Env{Stdout: stdout, Stderr: stderr, Getenv: getenv}
	root := flag.NewFlagSet("regctl", flag.ContinueOnError)
	root.SetOutput(io.Discard)
	prefix := defaultPrefix
	if p := getenv("TENDLC_PREFIX"); p != "" {
		prefix = p
	}
	root.StringVar(&env.prefix, "prefix", prefix, prefixUsage)
	if err := root.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commands.printUsage(stdout, nil, root)
			return exitOK
		}
		fmt.Fprintf(stderr, "regctl: %v\n\n", err)
		commands.printUsage(stderr, nil, root)
		return exitUsage
	}
	args = root.Args()
	if c, n := commands.lookup(args); c != nil {
		return c.run(ctx, env, args[n:])
	}
	// Not a command: a group ("regctl infra") lists its commands.
	group := commands.group(args)
	rest := args[len(group):]
	switch {
	case len(args) == 0:
	case len(group) > 0 && len(rest) > 0 && isHelp(rest[0]):
		commands.printUsage(stdout, group, root)
		return exitOK
	case len(group) > 0 && (len(rest) == 0 || strings.HasPrefix(rest[0], "-")):
		fmt.Fprintf(stderr, "regctl: %s needs a subcommand\n\n", strings.Join(group, " "))
	default:
		fmt.Fprintf(stderr, "regctl: unknown command %q\n\n", strings.Join(words(args), " "))
	}
	commands.printUsage(stderr, group, root)
	return exitUsage
}

// prefixUsage documents --prefix, on the root and on every command taking it.
const prefixUsage = "start every resource name with `P`; env TENDLC_PREFIX"

// Command is one regctl subcommand. A file declares it and registers it with
// [register]; nothing else needs to change.
type Command struct {
	// Path is the words after "regctl" that select the command, such as
	// "infra template". Commands sharing a first word form a group.
	Path string
	// Summary is one line for the list of commands.
	Summary string
	// Synopsis is what follows the path in the usage line, such as
	// "[--prefix P] [-o FILE]".
	Synopsis string
	// Help says what the command does and gives examples; --help prints it
	// with the flags.
	Help string
	// Setup declares the command's flags on fs and returns the function that
	// runs the command once they are parsed.
	Setup func(fs *flag.FlagSet, env *Env) RunFunc
}

// RunFunc runs a command with the arguments left after its flags. An error
// made by [usageErrorf] exits with status 2 and the usage; any other, 1.
type RunFunc func(ctx context.Context, args []string) error

// Env is what regctl hands every command: the output streams, the
// environment and the global settings.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(key string) string
	prefix         string // --prefix before the command, TENDLC_PREFIX, or the default
}

// PrefixFlag declares --prefix on fs for a command that names resources. Its
// default is the global --prefix, so both `regctl --prefix p X` and
// `regctl X --prefix p` work.
func (e *Env) PrefixFlag(fs *flag.FlagSet) *string {
	return fs.String("prefix", e.prefix, prefixUsage)
}

// usageError is a command line a command cannot run: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf reports a wrong command line from a [RunFunc].
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run parses the command's flags and runs it.
func (c *Command) run(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("regctl "+c.Path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.Setup(fs, env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(env.Stdout, fs)
			return exitOK
		}
		fmt.Fprintf(env.Stderr, "regctl %s: %v\n\n", c.Path, err)
		c.printUsage(env.Stderr, fs)
		return exitUsage
	}
	err := run(ctx, fs.Args())
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "regctl %s: %v\n", c.Path, err)
	if _, ok := errors.AsType[*usageError](err); ok {
		fmt.Fprintln(env.Stderr)
		c.printUsage(env.Stderr, fs)
		return exitUsage
	}
	return exitFailure
}

func (c *Command) printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: regctl %s %s\n\n%s\n", c.Path, c.Synopsis, strings.TrimSpace(c.Help))
	if hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, fs)
	}
}

// registry holds every command, by path.
type registry struct{ commands []*Command }

// registered is regctl's registry, filled by [register] as the package
// initialises.
var registered registry

// register adds c to regctl's commands and returns it. It panics when c is
// malformed or its path collides with another command's: a programming
// error, caught as soon as regctl starts (and by its tests).
func register(c *Command) *Command {
	if err := registered.add(c); err != nil {
		panic(err)
	}
	return c
}

// add adds c, or returns why it cannot.
func (r *registry) add(c *Command) error {
	path := strings.Fields(c.Path)
	var errs []error
	if len(path) == 0 || strings.Join(path, " ") != c.Path {
		errs = append(errs, fmt.Errorf("command path %q: want words separated by single spaces", c.Path))
	}
	if c.Summary == "" || c.Help == "" || c.Setup == nil {
		errs = append(errs, fmt.Errorf("command %q: Summary, Help and Setup are required", c.Path))
	}
	for _, o := range r.commands {
		other := strings.Fields(o.Path)
		shorter, longer := path, other
		if len(shorter) > len(longer) {
			shorter, longer = longer, shorter
		}
		if slices.Equal(shorter, longer[:len(shorter)]) {
			errs = append(errs, fmt.Errorf("command %q collides with command %q", c.Path, o.Path))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.commands = append(r.commands, c)
	return nil
}

// lookup returns the command whose path begins args, and the path's length.
func (r *registry) lookup(args []string) (*Command, int) {
	for _, c := range r.commands {
		path := strings.Fields(c.Path)
		if len(path) <= len(args) && slices.Equal(path, args[:len(path)]) {
			return c, len(path)
		}
	}
	return nil, 0
}

// group returns the longest start of args that begins some command's path.
func (r *registry) group(args []string) []string {
	args = words(args)
	for n := len(args); n > 0; n-- {
		if len(r.under(args[:n])) > 0 {
			return args[:n]
		}
	}
	return nil
}

// under returns the commands whose path begins with group, sorted by path.
func (r *registry) under(group []string) []*Command {
	var cs []*Command
	for _, c := range r.commands {
		path := strings.Fields(c.Path)
		if len(path) > len(group) && slices.Equal(path[:len(group)], group) {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b *Command) int { return strings.Compare(a.Path, b.Path) })
	return cs
}

// printUsage prints regctl's usage, limited to the commands of group when
// it is not empty.
func (r *registry) printUsage(w io.Writer, group []string, root *flag.FlagSet) {
	var name string
	if len(group) == 0 {
		fmt.Fprint(w, "regctl operates a tendlc deployment.\n\n")
	} else {
		name = strings.Join(group, " ") + " "
	}
	fmt.Fprintf(w, "Usage: regctl [--prefix P] %s<command> [flags] [arguments]\n\nCommands:\n", name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range r.under(group) {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Path, c.Summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGlobal flags:\n")
	printFlags(w, root)
	fmt.Fprintf(w, "\nRun \"regctl <command> --help\" for a command's flags and examples.\n")
}

// printFlags lists the flags of fs, long ones with two dashes.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-"
		}
		if f.DefValue != "" {
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s%s %s\t%s\n", dashes, f.Name, arg, usage)
	})
	tw.Flush()
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// words returns the leading arguments that are not flags.
func words(args []string) []string {
	n := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "-") })
	if n < 0 {
		return args
	}
	return args[:n]
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--h" }
