// Command webhook is tendlc's webhook shim. The registry and the carriers post
// signed webhooks to it; it verifies the HMAC signature over the raw body,
// translates each webhook into an internal event and sends it to the events
// queue, and answers 2xx only once the event is on the queue, so a sender
// retries whatever did not get there. The handler is package
// infra/tcr/tcrhook's; this command wires it to the events queue.
//
// One http.Handler serves two ways:
//
//	webhook serve [--addr 127.0.0.1:9500] [flags]   a local HTTP server (make run, tests, benchmarks)
//	webhook lambda [flags]                          an AWS Lambda function behind a function URL or
//	                                                an API Gateway HTTP API (payload format 2.0)
//
// Without a subcommand it runs as a Lambda function when AWS_LAMBDA_RUNTIME_API
// is set or the binary is named bootstrap (the provided.al2023 runtime, as
// `make lambda` builds it).
//
// Configuration comes from the environment, and from flags where one exists:
//
//	TENDLC_WEBHOOK_SECRET_ARN  the Secrets Manager secret (ARN or name) whose SecretString is the
//	                           shared HMAC secret, at least 16 bytes; read at start, again every
//	                           5 minutes and, at most once per 30 s, when a signature does not
//	                           match, so a rotation is picked up. The CloudFormation stack sets it.
//	TENDLC_WEBHOOK_SECRET_FILE for local runs instead: a file (mode 0600) holding the secret.
//	                           The secret itself is never a flag or a variable, and never logged.
//	TENDLC_EVENTS_QUEUE_URL    the events queue (the CloudFormation stack sets it); without it,
//	                           the URL of the events queue of --prefix is looked up (GetQueueUrl).
//	TENDLC_PREFIX              default of --prefix (else "tendlc-")
//	TENDLC_WEBHOOK_PUBLIC_URL  default of --public-url
//	AWS_REGION, AWS_ENDPOINT_URL_SQS, credentials: the standard AWS configuration.
//
// A signature covers the URL the sender posted to. The shim verifies it
// against the URL the request arrived at: http(s)://Host/path?query as
// received by the local server, https://{domainName}{rawPath}[?rawQueryString]
// in Lambda. Behind a proxy or load balancer that rewrites the scheme, host or
// path, set --public-url to the URL the senders are configured with.
//
// Endpoints: POST to any path receives a webhook; GET /healthz answers 200;
// serve also answers GET /metrics (Prometheus text).
// Logs are JSON lines on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/statemachine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&Main{}).Run(ctx, os.Args)
	stop()
	os.Exit(code)
}

// Environment variables read by webhook. The first two are the ones the
// CloudFormation template gives the function.
const (
	envSecretARN      = "TENDLC_WEBHOOK_SECRET_ARN"
	envSecretFile     = "TENDLC_WEBHOOK_SECRET_FILE"
	envEventsQueueURL = "TENDLC_EVENTS_QUEUE_URL"
	envPrefix         = "TENDLC_PREFIX"
	envPublicURL      = "TENDLC_WEBHOOK_PUBLIC_URL"
	envLambdaRuntime  = "AWS_LAMBDA_RUNTIME_API" // set by Lambda
)

// Defaults of the flags.
const (
	DefaultAddr   = "127.0.0.1:9500"
	DefaultPrefix = "tendlc-"
)

// Modes: the subcommands.
const (
	modeServe  = "serve"
	modeLambda = "lambda"
)

// Exit codes of [Main.Run].
const (
	exitOK      = 0
	exitFailure = 1 // configuration, start or serve failed (logged on stderr)
	exitUsage   = 2 // the command line was wrong
)

// Main is webhook with its environment injected, so tests drive the real
// wiring.
type Main struct {
	Getenv   func(key string) string // nil: os.Getenv
	Stdout   io.Writer               // help; nil: os.Stdout
	Stderr   io.Writer               // logs and usage errors; nil: os.Stderr
	Listener net.Listener            // serve: nil listens on --addr
	SQS      sqsq.API                // nil: a client from the standard AWS configuration

	// startLambda runs the Lambda runtime loop with h; nil means
	// lambda.StartWithOptions, which never returns.
	startLambda func(ctx context.Context, h lambda.Handler) error
}

// Run runs the command line args (args[0] is the program name) and returns
// the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	getenv, stdout, stderr := m.Getenv, m.Stdout, m.Stderr
	if getenv == nil {
		getenv = os.Getenv
	}
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	mode, rest := selectMode(args, getenv)
	switch {
	case mode == modeServe || mode == modeLambda:
	case mode == "" && len(rest) > 0 && isHelp(rest[0]):
		usage(stdout)
		return exitOK
	case mode == "":
		fmt.Fprintf(stderr, "webhook: name a subcommand (outside Lambda)\n\n")
		usage(stderr)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "webhook: unknown subcommand %q\n\n", mode)
		usage(stderr)
		return exitUsage
	}

	fs := flag.NewFlagSet("webhook "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := defineFlags(fs, mode, getenv)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "webhook %s: unexpected arguments %q\n", mode, fs.Args())
		fs.Usage()
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: s.level}))
	if err := m.run(ctx, mode, s, getenv, log); err != nil {
		log.Error("webhook failed", "mode", mode, "error", err)
		return exitFailure
	}
	return exitOK
}

// selectMode returns the mode args select and the arguments after it: the
// subcommand args[1] names or, without one, lambda when the process runs in
// Lambda or is named bootstrap, and "" otherwise.
func selectMode(args []string, getenv func(string) string) (mode string, rest []string) {
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		return args[1], args[2:]
	}
	if len(args) > 0 {
		rest = args[1:]
	}
	if getenv(envLambdaRuntime) != "" || (len(args) > 0 && filepath.Base(args[0]) == "bootstrap") {
		return modeLambda, rest
	}
	return "", rest
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: webhook serve [flags]    serve webhooks over HTTP on --addr
       webhook lambda [flags]   serve webhooks as an AWS Lambda function (payload format 2.0)

Without a subcommand, webhook runs as a Lambda function when AWS_LAMBDA_RUNTIME_API
is set or the binary is named bootstrap. The secret comes from the Secrets Manager
secret TENDLC_WEBHOOK_SECRET_ARN names or, for local runs, the 0600 file
TENDLC_WEBHOOK_SECRET_FILE names; the events queue from TENDLC_EVENTS_QUEUE_URL or --prefix.
webhook <subcommand> -h lists its flags.
`)
}

// settings are the values of the flags.
type settings struct {
	addr      string
	prefix    string
	publicURL string
	maxBody   int64
	level     slog.Level
}

// defineFlags declares the flags of mode on fs, with their environment
// defaults.
func defineFlags(fs *flag.FlagSet, mode string, getenv func(string) string) *settings {
	s := &settings{}
	if mode == modeServe {
		fs.StringVar(&s.addr, "addr", DefaultAddr, "listen address")
	}
	prefix := getenv(envPrefix)
	if prefix == "" {
		prefix = DefaultPrefix
	}
	fs.StringVar(&s.prefix, "prefix", prefix, "resource name prefix, to find the events queue when "+envEventsQueueURL+" is not set; env "+envPrefix)
	fs.StringVar(&s.publicURL, "public-url", getenv(envPublicURL),
		"verify signatures against this URL, the one the senders post to, instead of the request's own (behind a proxy that rewrites scheme, host or path); env "+envPublicURL)
	fs.Int64Var(&s.maxBody, "max-body", tcrhook.DefaultMaxBody, "largest accepted body in bytes (413 above)")
	fs.TextVar(&s.level, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	return s
}

// run builds the handler and serves it in mode until ctx ends.
func (m *Main) run(ctx context.Context, mode string, s *settings, getenv func(string) string, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	h, queueURL, err := m.newHandler(ctx, s, getenv, log, reg)
	if err != nil {
		return err
	}
	if mode == modeLambda {
		start := m.startLambda
		if start == nil {
			start = startLambda
		}
		log.Info("webhook starting as a Lambda function", "queue_url", queueURL)
		if err := start(ctx, tcrhook.LambdaAdapter{Handler: h}); err != nil {
			return err
		}
		log.Info("webhook stopped")
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m.serve(ctx, mux, s.addr, queueURL, log)
}

// startLambda runs the Lambda runtime loop until ctx ends (SIGTERM: Lambda
// is shutting the execution environment down, with no invocation under way).
// A failure of the loop exits the process, and Lambda starts another.
func startLambda(ctx context.Context, h lambda.Handler) error {
	go lambda.StartWithOptions(h, lambda.WithContext(ctx)) // never returns; the library recovers handler panics
	<-ctx.Done()
	return nil
}

// newHandler reads the secret, finds the events queue and returns the
// handler with the queue URL.
func (m *Main) newHandler(ctx context.Context, s *settings, getenv func(string) string, log *slog.Logger, reg prometheus.Registerer) (*tcrhook.Handler, string, error) {
	var read func(context.Context) ([]byte, error)
	switch arn, file := getenv(envSecretARN), getenv(envSecretFile); {
	case arn != "":
		cfg, err := awsclient.Load(ctx)
		if err != nil {
			return nil, "", err
		}
		read = tcrhook.ReadSecretsManager(secretsmanager.NewFromConfig(cfg), arn)
	case file != "":
		read = tcrhook.ReadSecretFile(file)
	default:
		return nil, "", errNoSecretSource
	}
	secret := tcrhook.NewRefreshingSecret(read, tcrhook.DefaultSecretRefresh, time.Now, log)
	if _, err := secret.Secret(ctx); err != nil { // fail at start, not at the first webhook
		return nil, "", fmt.Errorf("webhook secret: %w", err)
	}
	api := m.SQS
	if api == nil {
		cfg, err := awsclient.Load(ctx)
		if err != nil {
			return nil, "", err
		}
		api = awsclient.SQS(cfg)
	}
	queueURL := getenv(envEventsQueueURL)
	if queueURL == "" {
		name := resources.Default(s.prefix).QueueName(string(statemachine.ToEvents))
		out, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return nil, "", fmt.Errorf("find the events queue %s (or set %s): %w", name, envEventsQueueURL, err)
		}
		queueURL = aws.ToString(out.QueueUrl)
	}
	producer, err := sqsq.NewProducer(api, queueURL)
	if err != nil {
		return nil, "", err
	}
	h, err := tcrhook.NewHandler(tcrhook.HandlerConfig{
		Secret:     secret,
		Sink:       queueSink{producer},
		PublicURL:  s.publicURL,
		MaxBody:    s.maxBody,
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		return nil, "", err
	}
	return h, queueURL, nil
}

// errNoSecretSource: the environment names no secret source.
var errNoSecretSource = errors.New("no webhook secret source: set " + envSecretARN + " (Secrets Manager) or, for local runs, " + envSecretFile)

// queueSink is the events queue as the handler's sink: a send SQS did not
// take (a *sqsq.SendError) is [tcrhook.ErrUnavailable], so the sender is
// answered 503 and retries; an envelope the producer refuses is a bug.
type queueSink struct{ *sqsq.Producer }

func (q queueSink) Send(ctx context.Context, envs ...statemachine.Envelope) error {
	err := q.Producer.Send(ctx, envs...)
	if _, ok := errors.AsType[*sqsq.SendError](err); ok {
		return fmt.Errorf("%w: %w", tcrhook.ErrUnavailable, err)
	}
	return err
}
