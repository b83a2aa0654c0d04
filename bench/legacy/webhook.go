package legacy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// WebhookBench runs the webhook shim binary in local mode against a fresh
// events queue, posts N signed webhooks of every event type from C
// concurrent senders, and reports throughput, latency and status counts.
// Then it drains the queue (receive and delete until empty) and checks that
// the event of every accepted webhook is on it. The queue is deleted at the
// end.
type WebhookBench struct {
	Webhooks int           // to send
	Senders  int           // concurrent
	Addr     string        // listen address of the shim
	Bin      string        // directory of the webhook binary; empty: the running program's own
	Dir      string        // for the shim's log and PID file
	Timeout  time.Duration // the longest the sends, and then the drain, may take
}

// Run runs the benchmark and prints its figures. It returns an error when a
// webhook was not answered 2xx or an accepted one is not on the queue, or
// one wrapping bench.ErrUsage when a count or the timeout is not positive.
func (b *WebhookBench) Run(ctx context.Context, stdout io.Writer) (err error) {
	if b.Webhooks < 1 || b.Senders < 1 || b.Timeout <= 0 {
		return fmt.Errorf("%w: -n, -c and -timeout must be positive", bench.ErrUsage)
	}
	if b.Bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		b.Bin = filepath.Dir(exe)
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	api := awsclient.SQS(cfg)
	prefix := "regbench-" + strings.ToLower(rand.Text()[:8]) + "-"
	queueURL, err := createEventsQueue(ctx, api, prefix)
	if err != nil {
		return err
	}
	defer func() {
		if _, derr := api.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)}); derr != nil {
			err = errors.Join(err, fmt.Errorf("delete queue %s: %w", queueURL, derr))
		}
	}()

	secret := []byte(rand.Text()) // 26 random base32 characters
	sup, err := bench.NewSupervisor(b.Dir)
	if err != nil {
		return err
	}
	defer sup.StopAll()
	secretEnv, err := bench.Env{Dir: b.Dir, Secret: string(secret)}.SecretEnv()
	if err != nil {
		return err
	}
	shim := &bench.Proc{Name: "webhook", Bin: filepath.Join(b.Bin, "webhook"), Args: []string{"serve", "--addr", b.Addr},
		Env:    []string{secretEnv, "TENDLC_EVENTS_QUEUE_URL=" + queueURL},
		Health: "http://" + b.Addr + "/healthz"}
	if err := sup.Start(ctx, shim); err != nil {
		return err
	}

	url := "http://" + b.Addr + "/webhooks"
	events := benchWebhooks(b.Webhooks, prefix)
	types := map[tcr.EventType]bool{}
	for _, e := range webhookMix {
		types[e.EventType] = true
	}
	fmt.Fprintf(stdout, "webhook: %d signed webhooks (%d event types, %d type/status variants in turn) from %d concurrent senders to %s; queue %s; shim log %s\n",
		b.Webhooks, len(types), len(webhookMix), b.Senders, url, resources.Default(prefix).QueueName(string(statemachine.ToEvents)), sup.LogFile(shim))
	sendCtx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	results, elapsed := b.send(sendCtx, url, secret, events)
	if err := sup.Died(); err != nil {
		return err
	}
	want, err := expectedEvents(events, results)
	if err != nil {
		return err
	}
	drainCtx, cancelDrain := context.WithTimeout(ctx, b.Timeout)
	defer cancelDrain()
	found, received, err := drainEvents(drainCtx, api, queueURL, len(want))
	if err != nil {
		return err
	}
	return b.report(stdout, results, elapsed, want, found, received)
}

// createEventsQueue creates the events queue of a deployment named prefix.
func createEventsQueue(ctx context.Context, api *sqs.Client, prefix string) (string, error) {
	name := resources.Default(prefix).QueueName(string(statemachine.ToEvents))
	out, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": "60"},
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// webhookMix is one webhook of each event type and status the downstreams
// send; the load cycles through it.
var webhookMix = []tcr.WebhookEvent{
	{EventType: tcr.EventBrandIdentityStatusUpdate, BrandIdentityStatus: tcr.IdentityVerified},
	{EventType: tcr.EventBrandIdentityStatusUpdate, BrandIdentityStatus: tcr.IdentitySelfDeclared},
	{EventType: tcr.EventBrandIdentityStatusUpdate, BrandIdentityStatus: tcr.IdentityUnverified, Code: statemachine.CodeInvalidEIN, Description: "EIN does not match the legal name"},
	{EventType: tcr.EventBrandScoreUpdate, BrandScore: 82},
	{EventType: tcr.EventBrandRevet, BrandIdentityStatus: tcr.IdentityVettedVerified},
	{EventType: tcr.EventBrandRevet, BrandIdentityStatus: tcr.IdentityUnverified, Code: statemachine.CodePartnerRejection, Description: "secondary vetting partner rejected"},
	{EventType: tcr.EventBrandDelete},
	{EventType: tcr.EventCampaignAdd},
	{EventType: tcr.EventCampaignShareAdd},
	{EventType: tcr.EventCampaignShareAccept},
	{EventType: tcr.EventCampaignShareDelete, Code: statemachine.CodeSampleMismatch, Description: "sample messages do not match the use case"},
	{EventType: tcr.EventCampaignResubmission},
	{EventType: tcr.EventCampaignExpired},
	{EventType: tcr.EventMNOReview, MNOID: statemachine.CarrierATT.MNOID()},
	{EventType: tcr.EventMNOApproved, MNOID: statemachine.CarrierTMobile.MNOID()},
	{EventType: tcr.EventMNORejected, MNOID: statemachine.CarrierVerizon.MNOID(), Code: statemachine.CodeCarrierRejection, Description: "opt-in flow unclear"},
	{EventType: tcr.EventMNOSuspended, MNOID: statemachine.CarrierATT.MNOID(), Code: statemachine.CodeCarrierRejection, Description: "spam complaints"},
	{EventType: tcr.EventMNOUnsuspended, MNOID: statemachine.CarrierATT.MNOID()},
	{EventType: tcr.EventNumberRegistrationUpdate, NumberStatus: tcr.NumberRegistered},
	{EventType: tcr.EventNumberRegistrationUpdate, NumberStatus: tcr.NumberFailed, Code: statemachine.CodeTimeout, Description: "number registration timed out"},
	{EventType: tcr.EventNumberDeregistrationUpdate, NumberStatus: tcr.NumberDeregistered},
}

// benchWebhooks returns n webhooks cycling through webhookMix, each with an
// event id of its own, about 200 brands, 400 campaigns and their numbers.
func benchWebhooks(n int, run string) []tcr.WebhookEvent {
	events := make([]tcr.WebhookEvent, n)
	now := time.Now().UTC().Truncate(time.Second)
	for i := range events {
		e := webhookMix[i%len(webhookMix)]
		e.EventID = fmt.Sprintf("%s%06d", run, i)
		e.BrandID = fmt.Sprintf("brand-%04d", i%200)
		e.CampaignID = fmt.Sprintf("campaign-%05d", i%400)
		if e.MNOID != 0 {
			c, _ := statemachine.CarrierByMNOID(e.MNOID) // the mix holds known ids
			e.MNOName = tcr.MNOName(c)
		}
		if e.NumberStatus != "" {
			e.Number = fmt.Sprintf("+1202%07d", i%1200)
		}
		e.Timestamp = now
		events[i] = e
	}
	return events
}

// webhookResult is the outcome of one webhook.
type webhookResult struct {
	status  int // 0: no answer
	latency time.Duration
	err     error
}

// send posts every event, signed just before it goes, from b.Senders
// goroutines, and returns the results in the order of events and the time
// all of it took.
func (b *WebhookBench) send(ctx context.Context, url string, secret []byte, events []tcr.WebhookEvent) ([]webhookResult, time.Duration) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: b.Senders}}
	defer client.CloseIdleConnections()
	results := make([]webhookResult, len(events))
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range b.Senders {
		wg.Go(func() {
			for i := range next {
				results[i] = postWebhook(ctx, client, url, secret, events[i])
			}
		})
	}
	for i := range events {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	return results, time.Since(start)
}

// postWebhook sends one webhook and reads the answer.
func postWebhook(ctx context.Context, client *http.Client, url string, secret []byte, e tcr.WebhookEvent) webhookResult {
	if err := ctx.Err(); err != nil {
		return webhookResult{err: err}
	}
	body, err := json.Marshal(e)
	if err != nil {
		return webhookResult{err: err}
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return webhookResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tcr.SignatureHeader, tcr.Sign(secret, url, body, time.Now()))
	resp, err := client.Do(req)
	if err != nil {
		return webhookResult{err: err, latency: time.Since(start)}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return webhookResult{status: resp.StatusCode, latency: time.Since(start), err: err}
}

// expectedEvents returns the event ids the accepted (202) webhooks must have
// put on the queue, derived from the webhooks themselves with tcr.Translate.
func expectedEvents(events []tcr.WebhookEvent, results []webhookResult) (map[string]bool, error) {
	want := map[string]bool{}
	for i, r := range results {
		if r.status != http.StatusAccepted {
			continue
		}
		envs, err := tcr.Translate(events[i])
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", events[i].EventID, err)
		}
		for _, env := range envs {
			want[env.EventID] = true
		}
	}
	return want, nil
}

// drainEvents receives and deletes messages until the queue is empty and
// returns how many times each event id was received, and how many messages
// were received in all. A received message stays hidden for 5 s only: the
// SDK now and then loses a ReceiveMessage response and retries
// (aws/aws-sdk-go-v2#2737), and the messages of the lost response must come
// back.
func drainEvents(ctx context.Context, api *sqs.Client, url string, expect int) (map[string]int, int, error) {
	found := map[string]int{}
	received := 0
	for {
		out, err := api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(url),
			MaxNumberOfMessages:   10,
			WaitTimeSeconds:       1,
			VisibilityTimeout:     5,
			MessageAttributeNames: []string{statemachine.AttrEventID},
		})
		if err != nil {
			return nil, 0, fmt.Errorf("drain: receive after %d messages: %w", received, err)
		}
		if len(out.Messages) == 0 {
			d, err := sqsq.QueueDepth(ctx, api, url)
			if err != nil {
				return nil, 0, err
			}
			if d.Total() == 0 {
				return found, received, nil
			}
			continue // hidden ones come back
		}
		entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			found[aws.ToString(m.MessageAttributes[statemachine.AttrEventID].StringValue)]++
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		received += len(out.Messages)
		del, err := api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err == nil && len(del.Failed) > 0 {
			err = fmt.Errorf("%d entries failed, first: %s", len(del.Failed), aws.ToString(del.Failed[0].Code))
		}
		if err != nil {
			return nil, 0, fmt.Errorf("drain: delete: %w", err)
		}
		if received > 2*expect+100 {
			return nil, 0, fmt.Errorf("drain: %d messages received, far more than the %d expected", received, expect)
		}
	}
}

// report prints the figures and returns an error when a webhook was not
// answered 2xx or an accepted one is not on the queue.
func (b *WebhookBench) report(stdout io.Writer, results []webhookResult, elapsed time.Duration, want map[string]bool, found map[string]int, received int) error {
	statuses := map[string]int{}
	var latencies []time.Duration
	var firstErr error
	for _, r := range results {
		key := strconv.Itoa(r.status)
		if r.err != nil {
			key = "error"
			if firstErr == nil {
				firstErr = r.err
			}
		}
		statuses[key]++
		if r.status != 0 {
			latencies = append(latencies, r.latency)
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) string {
		if len(latencies) == 0 {
			return "-"
		}
		d := latencies[int(math.Ceil(p*float64(len(latencies))))-1]
		return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000)
	}
	missing, duplicates, unexpected := 0, 0, 0
	for id := range want {
		if found[id] == 0 {
			missing++
		}
	}
	for id, n := range found {
		if !want[id] {
			unexpected++
		}
		duplicates += n - 1
	}

	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "webhooks\tsenders\tseconds\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	fmt.Fprintf(w, "%d\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t\n", len(results), b.Senders, elapsed.Seconds(),
		float64(len(results))/elapsed.Seconds(), pct(.50), pct(.95), pct(.99), pct(1))
	if err := w.Flush(); err != nil {
		return err
	}
	var keys []string
	for k := range statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, statuses[k]))
	}
	fmt.Fprintf(stdout, "statuses: %s (202 enqueued, 200 informational)\n", strings.Join(parts, ", "))
	fmt.Fprintf(stdout, "queue: %d messages, %d distinct events; accepted webhooks %d: %d on the queue, %d missing; %d duplicates, %d unexpected\n",
		received, len(found), len(want), len(want)-missing, missing, duplicates, unexpected)

	var errs []error
	if firstErr != nil {
		errs = append(errs, fmt.Errorf("%d webhooks got no answer, first: %w", statuses["error"], firstErr))
	}
	if refused := len(results) - statuses["error"] - statuses["200"] - statuses["202"]; refused > 0 {
		errs = append(errs, fmt.Errorf("%d valid webhooks were refused", refused))
	}
	if missing > 0 {
		errs = append(errs, fmt.Errorf("%d accepted webhooks are not on the queue", missing))
	}
	if unexpected > 0 {
		errs = append(errs, fmt.Errorf("%d events on the queue belong to no accepted webhook", unexpected))
	}
	return errors.Join(errs...)
}
