package legacy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// ConsumerBench compares the consumer runtime, with a handler that does
// nothing, with a bare SDK loop of P goroutines that each receive 10 messages
// and delete them in one batch. Both send the same ReceiveMessage request
// (all message attributes, the same system attributes, 10 at most), so the
// difference is the runtime's own cost. Each drains a queue pre-filled with
// the same number of messages; the two alternate over several rounds.
// Every queue it creates, it deletes.
type ConsumerBench struct {
	Messages int           // per drain
	Pollers  int           // receive loops; the runtime gets Concurrency = 10 x Pollers
	Rounds   int           // each drains once with the runtime and once with the bare loop
	Timeout  time.Duration // the longest one drain may take
}

// contender drains n messages from a queue and reports how long it took.
type contender struct {
	name  string
	drain func(ctx context.Context, api *sqs.Client, url string, n, pollers int) (time.Duration, error)
}

// Run runs the rounds and prints the table. Its error wraps bench.ErrUsage
// when a field is not positive.
func (b *ConsumerBench) Run(ctx context.Context, stdout io.Writer) error {
	if b.Messages < 1 || b.Pollers < 1 || b.Rounds < 1 || b.Timeout <= 0 {
		return fmt.Errorf("%w: -messages, -pollers, -rounds and -timeout must be positive", bench.ErrUsage)
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	api := awsclient.SQS(cfg)
	contenders := []contender{{"runtime", drainRuntime}, {"bare", drainBare}}
	results := make([][]result, len(contenders)) // per contender, per round
	for round := range b.Rounds {
		for i := range contenders {
			k := (i + round) % len(contenders) // alternate who goes first
			res, err := b.measure(ctx, api, contenders[k])
			if err != nil {
				return fmt.Errorf("round %d: %s: %w", round+1, contenders[k].name, err)
			}
			results[k] = append(results[k], res)
		}
	}
	return b.print(stdout, results)
}

// measure fills a new queue, drains it with c and deletes it. Each drain gets
// its own queue: a long poll cancelled at the end of a drain may still take a
// message the server sends it, and that message would be missing from the next
// drain until its visibility timeout passed.
func (b *ConsumerBench) measure(ctx context.Context, api *sqs.Client, c contender) (res result, err error) {
	url, err := createBenchQueue(ctx, api)
	if err != nil {
		return res, err
	}
	defer func() {
		if _, derr := api.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete queue %s: %w", url, derr))
		}
	}()
	producer, err := sqsq.NewProducer(api, url)
	if err != nil {
		return res, err
	}
	if err := fill(ctx, producer, b.Messages, brandRegister); err != nil {
		return res, fmt.Errorf("fill: %w", err)
	}
	if err := expectOnQueue(ctx, api, url, b.Messages); err != nil {
		return res, fmt.Errorf("after fill: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	cpu := cpuTime()
	d, err := c.drain(dctx, api, url, b.Messages, b.Pollers)
	cpu = cpuTime() - cpu
	if err != nil {
		return res, err
	}
	if err := expectOnQueue(ctx, api, url, 0); err != nil {
		return res, fmt.Errorf("after the drain: %w", err)
	}
	return result{
		rate:   float64(b.Messages) / d.Seconds(),
		cpuMsg: float64(cpu.Microseconds()) / float64(b.Messages),
	}, nil
}

// result is one drain's figures.
type result struct {
	rate   float64 // messages per second
	cpuMsg float64 // CPU time of this process per message, in microseconds
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (b *ConsumerBench) print(stdout io.Writer, results [][]result) error {
	fmt.Fprintf(stdout, "consumer: %d messages per drain, %d pollers (runtime: Pollers=%d Concurrency=%d, no-op handler), %d rounds\n",
		b.Messages, b.Pollers, b.Pollers, 10*b.Pollers, b.Rounds)
	fmt.Fprintf(stdout, "CPU: this process's user+system time per message, SQS endpoint excluded\n\n")
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "round\truntime msgs/s\tbare msgs/s\truntime/bare\truntime CPU µs/msg\tbare CPU µs/msg\t")
	row := func(label string, rt, bare result) {
		fmt.Fprintf(w, "%s\t%.0f\t%.0f\t%.2f\t%.1f\t%.1f\t\n", label, rt.rate, bare.rate, rt.rate/bare.rate, rt.cpuMsg, bare.cpuMsg)
	}
	for r := range b.Rounds {
		row(strconv.Itoa(r+1), results[0][r], results[1][r])
	}
	row("median", median(results[0]), median(results[1]))
	return w.Flush()
}

// median returns the median rate and the median CPU time of results.
func median(results []result) result {
	mid := func(f func(result) float64) float64 {
		var xs []float64
		for _, r := range results {
			xs = append(xs, f(r))
		}
		slices.Sort(xs)
		if len(xs)%2 == 1 {
			return xs[len(xs)/2]
		}
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return result{
		rate:   mid(func(r result) float64 { return r.rate }),
		cpuMsg: mid(func(r result) float64 { return r.cpuMsg }),
	}
}

// createBenchQueue creates a queue with a unique name and returns its URL.
func createBenchQueue(ctx context.Context, api *sqs.Client) (string, error) {
	name := "regbench-" + strings.ToLower(rand.Text()[:10])
	out, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": "60"},
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// brandRegister is the i-th message of the consumer benchmark's queues: a
// brand.register event.
func brandRegister(i int) statemachine.Envelope {
	return statemachine.Envelope{Type: statemachine.BrandRegister, EntityID: "brand-" + strconv.Itoa(i),
		Payload: []byte(`{"legal_name":"Acme Corp","ein":"12-3456789","email":"ops@acme.example","entity_type":"PRIVATE_PROFIT"}`)}
}

// fill puts the n events event(0) to event(n-1) on the producer's queue, 8
// batches at a time.
func fill(ctx context.Context, p *sqsq.Producer, n int, event func(i int) statemachine.Envelope) error {
	batches := make(chan []statemachine.Envelope)
	go func() {
		defer close(batches)
		for start := 0; start < n; start += 10 {
			batch := make([]statemachine.Envelope, 0, 10)
			for i := start; i < min(start+10, n); i++ {
				batch = append(batch, event(i))
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range 8 {
		wg.Go(func() {
			for batch := range batches {
				if err := p.Send(ctx, batch...); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// expectOnQueue checks the queue's counters: want messages in all, none of
// them in flight or delayed.
func expectOnQueue(ctx context.Context, api *sqs.Client, url string, want int) error {
	d, err := sqsq.QueueDepth(ctx, api, url)
	if err != nil {
		return fmt.Errorf("queue counters: %w", err)
	}
	if d.Visible != want || d.InFlight != 0 || d.Delayed != 0 {
		return fmt.Errorf("queue holds %d visible, %d in flight, %d delayed messages; want %d visible only", d.Visible, d.InFlight, d.Delayed, want)
	}
	return nil
}

// drainRuntime drains n messages with the consumer runtime and a handler that
// does nothing. The time includes the shutdown that flushes the last deletes.
func drainRuntime(ctx context.Context, api *sqs.Client, url string, n, pollers int) (time.Duration, error) {
	c, err := sqsq.NewConsumer(api, sqsq.ConsumerConfig{
		QueueURL:    url,
		Queue:       "regbench",
		Pollers:     pollers,
		Concurrency: 10 * pollers,
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var handled atomic.Int64
	start := time.Now()
	err = c.Run(runCtx, func(context.Context, *message.Message) error {
		if handled.Add(1) == int64(n) {
			stop()
		}
		return nil
	})
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if got := handled.Load(); got < int64(n) {
		return 0, fmt.Errorf("handled %d of %d messages: %w", got, n, context.Cause(ctx))
	}
	return d, nil
}

// drainBare drains n messages with pollers goroutines, each receiving up to
// 10 messages and deleting them in one batch.
func drainBare(ctx context.Context, api *sqs.Client, url string, n, pollers int) (time.Duration, error) {
	start := time.Now()
	if err := bareLoop(ctx, api, url, n, pollers, func(context.Context, types.Message) error { return nil }); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// bareLoop runs workers goroutines, each receiving up to 10 messages from
// the queue at url with the consumer runtime's request, handing them to
// handle one after the other and deleting them in one batch, until n
// messages are deleted or a call fails.
func bareLoop(ctx context.Context, api *sqs.Client, url string, n, workers int, handle func(context.Context, types.Message) error) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var (
		deleted atomic.Int64
		done    = errors.New("done")
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
					QueueUrl:                    aws.String(url),
					MaxNumberOfMessages:         10,
					WaitTimeSeconds:             20,
					MessageAttributeNames:       []string{"All"},
					MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSentTimestamp},
				})
				if err != nil {
					stop(fmt.Errorf("receive: %w", err))
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					if err := handle(ctx, m); err != nil {
						stop(err)
						return
					}
					entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				del, err := api.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err == nil && len(del.Failed) > 0 {
					err = fmt.Errorf("%d entries failed, first: %s", len(del.Failed), aws.ToString(del.Failed[0].Code))
				}
				if err != nil {
					stop(fmt.Errorf("delete: %w", err))
					return
				}
				if deleted.Add(int64(len(entries))) >= int64(n) {
					stop(done)
				}
			}
		})
	}
	wg.Wait()
	if cause := context.Cause(ctx); !errors.Is(cause, done) {
		return fmt.Errorf("deleted %d of %d messages: %w", deleted.Load(), n, cause)
	}
	return nil
}
