package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ = register(&Command{
	Path:     "queues",
	Summary:  "show the depth of every queue and dead-letter queue",
	Synopsis: "[--prefix P] [--peek | --peek-live] [--recovery FILE] [-o table|json]",
	Help: `
Show, for every queue of the deployment followed by its dead-letter queue, the
messages visible (ApproximateNumberOfMessages), in flight (received and not
yet deleted: ...NotVisible) and delayed (...Delayed), and the age of the
oldest visible message. The counts are SQS's approximations.

SQS keeps no attribute for the oldest message, so the age is a sample:
regctl receives up to 10 visible messages of a queue, takes the oldest
SentTimestamp among them, and makes them visible again at once. Receiving
counts toward a queue's maxReceiveCount (10, after which SQS moves a message
to the dead-letter queue, where "regctl dlq redrive --to" can send it back),
so no sample is taken by default:
  --peek       samples the dead-letter queues only. No consumer reads them
               and they have no maxReceiveCount: this moves nothing.
  --peek-live  also samples the live queues (those regd consumes, and the
               bridge's, temporal), and costs one receive of each sampled
               message (regctl says how many on stderr): ten runs while a
               message waits dead-letter it. Use it once, not in a loop.
The SDK cannot ask for a zero visibility timeout (it leaves a zero out, and
the queue's 15 s would apply), so sampled messages are hidden for at most a
second. Ages are computed as of now, or as of the RFC 3339 time in
REGCTL_NOW.

An outbound queue whose oldest sampled message is older than the shortest
stuck threshold of the states that wait on it (the recovery policy's, of
--recovery or the production defaults) is marked BACKLOG (with --peek-live
only): records wait on commands still queued there. The sweeper leaves such
records alone rather than re-driving them ("regctl stuck" marks them too).

JSON output (-o json):
  as_of                 the time ages are computed at (RFC 3339)
  queues[]              each queue, then its dead-letter queue
    queue               logical name, such as "events" or "events-dlq"
    name                physical name
    dead_letter         true for a dead-letter queue
    visible, in_flight, delayed
    sampled             messages received to find the oldest (0 without a sample)
    oldest_sent_at      SentTimestamp of the oldest sampled message, or null
    oldest_age_seconds  as_of minus oldest_sent_at, or null
    backlog             an outbound queue whose oldest sampled message
                        (--peek-live) is older than backlog_threshold_seconds,
                        the shortest threshold of the states that wait on it
                        (0 for the others)

Examples:
  regctl queues
  regctl --prefix prod- queues -o json | jq '.queues[] | select(.visible > 0)'
  watch -n 60 regctl queues --peek
  regctl queues --peek-live
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		peek := fs.Bool("peek", false, "sample up to 10 visible messages of each dead-letter queue for the oldest one's age; moves nothing")
		peekLive := fs.Bool("peek-live", false, "sample the queues regd consumes too; costs each sampled message a receive toward maxReceiveCount")
		recovery := fs.String("recovery", env.Getenv("TENDLC_RECOVERY"), "recovery policy `file` whose thresholds tell a backlog (env TENDLC_RECOVERY); default: the production policy")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			policy, err := sweeper.ResolvePolicy(*recovery, 0, 0, 0)
			if err != nil {
				return usageErrorf("--recovery: %v", err)
			}
			d, err := connect(ctx, *prefix)
			if err != nil {
				return err
			}
			urls, err := sqsq.QueueURLs(ctx, d.sqs, d.set)
			if err != nil {
				return err
			}
			rep := queuesReport{Queues: []queueStats{}}
			spent := 0 // receives spent on messages of live queues
			for _, dest := range statemachine.Queues() {
				for _, logical := range []string{string(dest), resources.DLQ(string(dest))} {
					live := logical == string(dest)
					q, err := statQueue(ctx, d.sqs, urls[logical], *peekLive || (*peek && !live))
					if err != nil {
						return fmt.Errorf("queue %s: %w", logical, err)
					}
					q.Queue, q.Name, q.DeadLetter = logical, d.set.QueueName(logical), !live
					rep.Queues = append(rep.Queues, q)
					if live {
						spent += q.Sampled
					}
				}
			}
			if rep.AsOf, err = env.now(); err != nil {
				return err
			}
			thresholds := backlogThresholds(policy)
			for i, q := range rep.Queues {
				if q.OldestSentAt != nil {
					age := int64(rep.AsOf.Sub(*q.OldestSentAt) / time.Second)
					rep.Queues[i].OldestAgeSeconds = &age
				}
				if th, ok := thresholds[statemachine.Destination(q.Queue)]; ok {
					rep.Queues[i].BacklogThresholdSeconds = int64(th / time.Second)
					rep.Queues[i].Backlog = rep.Queues[i].OldestAgeSeconds != nil && *rep.Queues[i].OldestAgeSeconds > rep.Queues[i].BacklogThresholdSeconds
				}
			}
			if spent > 0 {
				fmt.Fprintf(env.Stderr, "regctl queues: --peek-live received %d messages of live queues, one receive each toward their maxReceiveCount\n", spent)
			}
			if *output == formatJSON {
				return printJSON(env.Stdout, rep)
			}
			return rep.writeTable(env.Stdout)
		}
	},
})

// queuesReport is the output of queues.
type queuesReport struct {
	AsOf   time.Time    `json:"as_of"`
	Queues []queueStats `json:"queues"`
}

type queueStats struct {
	Queue            string     `json:"queue"`
	Name             string     `json:"name"`
	DeadLetter       bool       `json:"dead_letter"`
	Visible          int        `json:"visible"`
	InFlight         int        `json:"in_flight"`
	Delayed          int        `json:"delayed"`
	Sampled          int        `json:"sampled"`
	OldestSentAt     *time.Time `json:"oldest_sent_at"`
	OldestAgeSeconds *int64     `json:"oldest_age_seconds"`
	Backlog          bool       `json:"backlog"`
	// BacklogThresholdSeconds is the shortest threshold of the states that
	// wait on this queue; 0 for a queue no state waits on.
	BacklogThresholdSeconds int64 `json:"backlog_threshold_seconds"`
}

// backlogThresholds returns, per outbound queue, the shortest threshold of
// the watched states whose records wait on a command in it.
func backlogThresholds(p sweeper.Policy) map[statemachine.Destination]time.Duration {
	out := map[statemachine.Destination]time.Duration{}
	for _, k := range statemachine.Kinds {
		for _, st := range statemachine.WatchedStates(k) {
			th := p.Threshold(sweeper.StateKey{Kind: k, State: st})
			// A record whose step is delegated waits on the bridge's queue.
			delegated := statemachine.Record{Kind: k, State: st, ID: "any",
				Commands: map[statemachine.Destination]statemachine.CommandRef{statemachine.ToTemporal: {}}}
			for _, l := range slices.Concat(statemachine.Lookups(statemachine.Record{Kind: k, State: st, ID: "any"}), statemachine.Lookups(delegated)) {
				if cur, ok := out[l.To]; !ok || th < cur {
					out[l.To] = th
				}
			}
		}
	}
	return out
}

// statQueue reads the counts of the queue at url and, with peek, samples its
// oldest visible message.
func statQueue(ctx context.Context, api *sqs.Client, url string, peek bool) (queueStats, error) {
	d, err := sqsq.QueueDepth(ctx, api, url)
	if err != nil {
		return queueStats{}, err
	}
	q := queueStats{Visible: d.Visible, InFlight: d.InFlight, Delayed: d.Delayed}
	if peek && q.Visible > 0 {
		q.Sampled, q.OldestSentAt, err = oldestVisible(ctx, api, url)
	}
	return q, err
}

// oldestVisible receives up to 10 visible messages of the queue at url and
// makes them visible again, and returns how many it received and the oldest
// SentTimestamp among them (nil if none came).
func oldestVisible(ctx context.Context, api *sqs.Client, url string) (int, *time.Time, error) {
	out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(url),
		MaxNumberOfMessages: 10,
		// The least the SDK sends: it leaves a zero out. The messages are
		// made visible again below.
		VisibilityTimeout:           1,
		WaitTimeSeconds:             1, // bounds the wait if they were taken meanwhile
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameSentTimestamp},
	})
	if err != nil {
		return 0, nil, fmt.Errorf("sample messages: %w", err)
	}
	var oldest *time.Time
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, 0, len(out.Messages))
	for i, m := range out.Messages {
		entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
		})
		ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64)
		if err != nil {
			continue // no timestamp: it does not count
		}
		if t := time.UnixMilli(ms).UTC(); oldest == nil || t.Before(*oldest) {
			oldest = &t
		}
	}
	if len(entries) > 0 {
		if _, err := api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(url), Entries: entries,
		}); err != nil {
			return 0, nil, fmt.Errorf("make the sampled messages visible again: %w", err)
		}
	}
	return len(out.Messages), oldest, nil
}

func (r queuesReport) writeTable(w io.Writer) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "QUEUE\tVISIBLE\tIN FLIGHT\tDELAYED\tOLDEST (SAMPLE)\tBACKLOG")
	for _, q := range r.Queues {
		oldest := "-"
		if q.OldestAgeSeconds != nil {
			oldest = fmt.Sprintf("%v (of %d)", seconds(*q.OldestAgeSeconds), q.Sampled)
		}
		backlog := "-"
		if q.Backlog {
			backlog = fmt.Sprintf("yes (over %v)", seconds(q.BacklogThresholdSeconds))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", q.Queue, q.Visible, q.InFlight, q.Delayed, oldest, backlog)
	}
	return tw.Flush()
}
