package legacy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// BareLoop is the limit of tendlc's event path: the AWS SDK calls one
// transition needs, as issue 16 lists them, in Concurrency goroutines, with no state machine,
// no middleware, no limiter and no retry of its own. Each goroutine receives
// up to 10 messages from a queue seeded with Transitions events, and for each
// reads its record (a consistent GetItem), writes it one version up with an
// outbox entry, under a condition on its state and version, together with an
// audit item (TransactWriteItems), sends the follow-up (a SendMessageBatch of
// one message) and clears the outbox (UpdateItem); then it deletes the batch
// (DeleteMessageBatch). regd writes the record as an update of what changed
// rather than a put, and folds some outbox clears into the next transition;
// the loop keeps the simpler calls, at the same item sizes. The items and messages are regd's sizes: the records
// are encoded by infra/dynamo (RecordItem), the audit item is the one its
// Store.Transition writes, the messages are encoded envelopes with their
// attributes. It works in a table (with the real indexes) and two queues of
// its own, named by Prefix, and deletes them.
type BareLoop struct {
	Transitions int    // events seeded, one transition each
	Concurrency int    // transitions in flight: regd's replicas x --concurrency
	Prefix      string // names its table and queues; empty: a fresh regbench-bare-<random>- prefix
	// Timeout is the longest the loop itself may take.
	Timeout time.Duration
}

// bareVisibility is the visibility timeout of the bare loop's queue: the
// loop extends no visibility, so a batch of 10 transitions must end well
// within it even on a loaded machine.
const bareVisibility = 5 * time.Minute

// Run sets up the table and queues, seeds them, runs the loop until it
// deleted Transitions events, and deletes what it created. The CPU time is
// this process's, over the loop alone. Its error wraps bench.ErrUsage when a
// field is not positive.
func (b *BareLoop) Run(ctx context.Context) (res bench.BareRun, err error) {
	if b.Transitions < 1 || b.Concurrency < 1 || b.Timeout <= 0 {
		return res, fmt.Errorf("%w: -transitions, -concurrency and -timeout must be positive", bench.ErrUsage)
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return res, err
	}
	w, err := b.setUp(ctx, awsclient.SQS(cfg), awsclient.DynamoDB(cfg))
	defer func() { err = errors.Join(err, w.tearDown(context.WithoutCancel(ctx))) }()
	if err != nil {
		return res, err
	}
	// Spare events, one batch per goroutine: a receive whose answer is lost
	// (the emulator's connection closed under it) hides its messages for
	// the queue's visibility timeout, and the loop must not wait for them.
	if err := w.seed(ctx, b.Transitions+10*b.Concurrency); err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	lctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	cpu, start := cpuTime(), time.Now()
	err = w.loop(lctx, b.Transitions, b.Concurrency)
	d, cpu := time.Since(start), cpuTime()-cpu
	if err != nil {
		return res, err
	}
	return bench.BareRun{Transitions: b.Transitions, Concurrency: b.Concurrency, Seconds: d.Seconds(), CPUSeconds: cpu.Seconds()}, nil
}

// bareWorld is the bare loop's table and queues, and the parts of the items
// and messages every transition writes and sends.
type bareWorld struct {
	sqs               *sqs.Client
	ddb               *dynamodb.Client
	set               resources.Set
	events, followUps string // queue URLs
	// outbox is the outbox attribute a transition writes (one entry, the
	// follow-up, under eventID), audit the audit item (keyed per
	// transition), followUp the follow-up's message.
	eventID  string
	outbox   ddbtypes.AttributeValue
	audit    map[string]ddbtypes.AttributeValue
	followUp types.SendMessageBatchRequestEntry
}

// bareTemplate is the id of the record whose transition through
// dynamo.Store gives the bare loop its audit item.
const bareTemplate = "c-template"

// setUp creates the table and the two queues and builds the templates. It
// returns the world even with an error, so that tearDown deletes what was
// created.
func (b *BareLoop) setUp(ctx context.Context, sqsc *sqs.Client, ddb *dynamodb.Client) (*bareWorld, error) {
	prefix := b.Prefix
	if prefix == "" {
		prefix = "regbench-bare-" + strings.ToLower(rand.Text()[:8]) + "-"
	}
	w := &bareWorld{sqs: sqsc, ddb: ddb, set: resources.Default(prefix)}
	if _, err := dynamo.Provision(ctx, ddb, w.set); err != nil {
		return w, awsclient.Explain(err)
	}
	for _, q := range []struct {
		url  *string
		name string
	}{{&w.events, string(statemachine.ToEvents)}, {&w.followUps, string(statemachine.ToRegistry)}} {
		out, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(w.set.QueueName(q.name)),
			Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(int(bareVisibility / time.Second))}})
		if err != nil {
			return w, fmt.Errorf("create queue %s: %w", w.set.QueueName(q.name), err)
		}
		*q.url = aws.ToString(out.QueueUrl)
	}
	return w, w.templates(ctx)
}

// tearDown deletes the table and the queues.
func (w *bareWorld) tearDown(ctx context.Context) error {
	if w == nil {
		return nil
	}
	var errs []error
	for _, url := range []string{w.events, w.followUps} {
		if url == "" {
			continue
		}
		if _, err := w.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			errs = append(errs, fmt.Errorf("delete queue %s: %w", url, err))
		}
	}
	_, err := w.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(w.set.TableName())})
	if _, ok := errors.AsType[*ddbtypes.ResourceNotFoundException](err); err != nil && !ok {
		errs = append(errs, fmt.Errorf("delete table %s: %w", w.set.TableName(), err))
	}
	return errors.Join(errs...)
}

// bareRecord is record i of the bare loop: a campaign in carrier review,
// version 1, with what regd's records carry by then (registration data,
// carriers, applied event ids, the commands sent, the registry's id).
func bareRecord(i int, now time.Time) statemachine.Record {
	r := benchRecord(statemachine.KindCampaign, statemachine.CarrierReview, i, now)
	r.Version, r.ExternalID = 1, fmt.Sprintf("C%06X", i)
	r.Applied = nil
	for range 6 {
		r.Applied = append(r.Applied, uuid())
	}
	r.LastMessageID = r.Applied[len(r.Applied)-1]
	r.Commands = map[statemachine.Destination]statemachine.CommandRef{}
	for _, d := range []statemachine.Destination{statemachine.ToRegistry, statemachine.ToATT, statemachine.ToTMobile, statemachine.ToVerizon} {
		r.Commands[d] = statemachine.CommandRef{EventID: uuid(), SentAt: now, AcceptedAt: now}
	}
	return r
}

// uuid returns a random string of a UUID's length (36), the length of
// regd's event ids.
func uuid() string { return strings.ToLower(rand.Text() + rand.Text())[:36] }

// bareEvent is the i-th event of the bare loop's queue: a carrier's answer
// for record i, as the webhook shim sends it.
func bareEvent(i int) statemachine.Envelope {
	payload, _ := json.Marshal(statemachine.CarrierUpdate{Carrier: statemachine.CarrierTMobile}) // always encodes
	return statemachine.Envelope{Type: statemachine.CampaignCarrierApproved, EntityID: benchCampaignID(i),
		CorrelationID: "regbench-campaign-00000", Actor: "webhook", Payload: payload}
}

// templates builds the outbox attribute and the follow-up message from one
// follow-up envelope, and takes the audit item from a transition of a
// template record through dynamo.Store.
func (w *bareWorld) templates(ctx context.Context) error {
	now := time.Now().UTC()
	rec := bareRecord(0, now)
	follow := statemachine.Envelope{Type: statemachine.CmdSubmitCampaign, SchemaVersion: statemachine.SchemaVersion,
		EventID: uuid(), EntityID: rec.ID, OccurredAt: now, CorrelationID: rec.CorrelationID, Actor: "dispatcher", Payload: rec.Data}
	body, err := follow.Encode()
	if err != nil {
		return err
	}
	w.followUp = types.SendMessageBatchRequestEntry{Id: aws.String("0"), MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{}}
	for name, v := range follow.Attributes() {
		w.followUp.MessageAttributes[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	w.eventID = uuid()
	rec.Outbox = map[string][]statemachine.Outgoing{w.eventID: {{To: statemachine.ToRegistry, Envelope: follow}}}
	item, err := dynamo.RecordItem(rec)
	if err != nil {
		return err
	}
	w.outbox = item["outbox"]

	store, err := dynamo.New(w.ddb, dynamo.Config{Table: w.set.TableName()})
	if err != nil {
		return err
	}
	tmpl := bareRecord(0, now)
	tmpl.ID = bareTemplate
	prev, err := store.Transition(ctx, nil, tmpl, statemachine.AuditEntry{})
	if err != nil {
		return fmt.Errorf("template record: %w", err)
	}
	next := prev
	next.State = statemachine.NumbersPending
	if _, err := store.Transition(ctx, &prev, next, statemachine.AuditEntry{From: prev.State, To: next.State,
		Event: statemachine.CampaignCarrierApproved, MessageID: w.eventID, At: now, Actor: "regd", CorrelationID: rec.CorrelationID}); err != nil {
		return fmt.Errorf("template transition: %w", err)
	}
	out, err := w.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(w.set.TableName()), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{resources.AttrPK: str(string(statemachine.KindCampaign) + "#" + bareTemplate), resources.AttrSK: str(dynamo.AuditSK(2))}})
	if err != nil {
		return fmt.Errorf("read the template audit item: %w", err)
	}
	if out.Item == nil {
		return errors.New("the template transition wrote no audit item at version 2")
	}
	w.audit = out.Item
	return nil
}

func str(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: s} }

func num(v int64) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// seed writes records 0 to n-1 and puts their events on the events queue.
func (w *bareWorld) seed(ctx context.Context, n int) error {
	now := time.Now().UTC()
	recs := make([]statemachine.Record, n)
	for i := range n {
		recs[i] = bareRecord(i, now)
	}
	if err := seedRecords(ctx, w.ddb, w.set.TableName(), recs, 8); err != nil {
		return err
	}
	producer, err := sqsq.NewProducer(w.sqs, w.events)
	if err != nil {
		return err
	}
	if err := fill(ctx, producer, n, bareEvent); err != nil {
		return err
	}
	return expectOnQueue(ctx, w.sqs, w.events, n)
}

// loop runs workers goroutines, each receiving up to 10 events, making
// their transitions one after the other and deleting them in one batch,
// until n transitions are made or a call fails.
func (w *bareWorld) loop(ctx context.Context, n, workers int) error {
	return bareLoop(ctx, w.sqs, w.events, n, workers, func(ctx context.Context, m types.Message) error {
		return w.transition(ctx, aws.ToString(m.MessageAttributes[statemachine.AttrEntityID].StringValue))
	})
}

// transition makes the SDK calls of one transition of campaign id: read,
// write with audit, send the follow-up, clear the outbox.
func (w *bareWorld) transition(ctx context.Context, id string) error {
	table := aws.String(w.set.TableName())
	pk := string(statemachine.KindCampaign) + "#" + id
	got, err := w.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, ConsistentRead: aws.Bool(true),
		Key:                    map[string]ddbtypes.AttributeValue{resources.AttrPK: str(pk), resources.AttrSK: str("record")},
		ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityIndexes})
	if err != nil {
		return fmt.Errorf("get %s: %w", id, err)
	}
	v, ok := got.Item["version"].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return fmt.Errorf("get %s: no record with a version", id)
	}
	version, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return fmt.Errorf("get %s: version %q: %w", id, v.Value, err)
	}
	record := maps.Clone(got.Item)
	record["version"], record["outbox"] = num(version+1), w.outbox
	audit := maps.Clone(w.audit)
	audit[resources.AttrPK], audit[resources.AttrSK], audit["record_id"], audit["version"] = str(pk), str(dynamo.AuditSK(version+1)), str(id), num(version+1)
	if _, err := w.ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []ddbtypes.TransactWriteItem{
			{Put: &ddbtypes.Put{TableName: table, Item: record,
				ConditionExpression:       aws.String("#state = :state AND #version = :version"),
				ExpressionAttributeNames:  map[string]string{"#state": "state", "#version": "version"},
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":state": got.Item["state"], ":version": v}}},
			{Put: &ddbtypes.Put{TableName: table, Item: audit,
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK}}},
		},
		ReturnConsumedCapacity: ddbtypes.ReturnConsumedCapacityIndexes,
	}); err != nil {
		return fmt.Errorf("transition %s to version %d: %w", id, version+1, err)
	}
	sent, err := w.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(w.followUps),
		Entries: []types.SendMessageBatchRequestEntry{w.followUp}})
	if err == nil && len(sent.Failed) > 0 {
		err = fmt.Errorf("refused: %s", aws.ToString(sent.Failed[0].Code))
	}
	if err != nil {
		return fmt.Errorf("send the follow-up of %s: %w", id, err)
	}
	if _, err := w.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table,
		Key:                       map[string]ddbtypes.AttributeValue{resources.AttrPK: str(pk), resources.AttrSK: str("record")},
		UpdateExpression:          aws.String("REMOVE #outbox.#event SET #version = #version + :one"),
		ConditionExpression:       aws.String("attribute_exists(#outbox.#event)"),
		ExpressionAttributeNames:  map[string]string{"#outbox": "outbox", "#event": w.eventID, "#version": "version"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": num(1)},
		ReturnConsumedCapacity:    ddbtypes.ReturnConsumedCapacityIndexes,
	}); err != nil {
		return fmt.Errorf("clear the outbox of %s: %w", id, err)
	}
	return nil
}

// regdConcurrency is regd's --concurrency default (cmd/regd): its events
// handlers in flight.
const regdConcurrency = 16

// bareConcurrency is the transitions in flight of the scenario's replicas:
// each replica's --concurrency in sc.Regd, or regd's default.
func bareConcurrency(sc bench.Scenario) (int, error) {
	c := regdConcurrency
	if v := bench.FlagValue(sc.Regd, "concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("regd --concurrency %q: want a positive number", v)
		}
		c = n
	}
	return sc.Replicas * c, nil
}

// Transitions returns the transitions regd's replicas wrote in the run d
// (tendlc_transitions_total; bench.LimitMeasurer).
func (s *System) Transitions(d bench.RunData) float64 {
	return d.Metrics.Sum("tendlc_transitions_total", nil)
}

// MeasureLimit runs the bare loop for n transitions, at the scenario's
// replicas x regd's --concurrency, as a process of its own (`regbench bare`
// from env.Bin), so that the CPU time it reports is the loop's alone. Its
// table and queues are the run's prefix with "bare-" added; its log is
// regbench-bare.log in env.Dir (bench.LimitMeasurer).
func (s *System) MeasureLimit(ctx context.Context, env bench.Env, n int) (bench.BareRun, error) {
	var res bench.BareRun
	c, err := bareConcurrency(env.Scenario)
	if err != nil {
		return res, err
	}
	logPath := filepath.Join(env.Dir, "regbench-bare.log")
	log, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(env.Bin, "regbench"), "bare", "--json", "--transitions", strconv.Itoa(n),
		"--concurrency", strconv.Itoa(c), "--prefix", env.Prefix+"bare-", "--timeout", time.Duration(env.Scenario.Deadline).String())
	cmd.Stderr = log
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("regbench bare: %w (see %s)", err, logPath)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("regbench bare: its result %q: %w", out, err)
	}
	return res, nil
}
