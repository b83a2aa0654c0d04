package legacy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

// SweeperBench seeds a fresh table per size with records of which 1% are
// stuck in waiting states, the rest spread over terminal states and waiting
// states entered recently, then runs one dry-run sweep in each mode and
// compares what they read. Seeding is not measured. Every table it creates,
// it deletes.
type SweeperBench struct {
	Sizes   []int         // table sizes, in records, each at least StuckEvery
	Writers int           // goroutines seeding a table with BatchWriteItem
	Timeout time.Duration // the longest one table size may take, seeding included
}

// StuckEvery makes one record in 100 stuck: a table of fewer records has
// none.
const StuckEvery = 100

// sweepResult is one mode's sweep of one table.
type sweepResult struct {
	records int
	report  sweeper.Report
}

// Run seeds, sweeps and deletes a table per size and prints the table of
// what each mode read. Its error wraps bench.ErrUsage when Writers or
// Timeout is not positive.
func (b *SweeperBench) Run(ctx context.Context, stdout io.Writer) error {
	if b.Writers < 1 || b.Timeout <= 0 {
		return fmt.Errorf("%w: -writers and -timeout must be positive", bench.ErrUsage)
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	db := awsclient.DynamoDB(cfg)
	var results []sweepResult
	for _, n := range b.Sizes {
		rs, err := b.measure(ctx, db, n)
		if err != nil {
			return fmt.Errorf("%d records: %w", n, err)
		}
		results = append(results, rs...)
	}
	return printSweeps(stdout, results)
}

// measure seeds a new table with n records, sweeps it once per mode and
// deletes it.
func (b *SweeperBench) measure(ctx context.Context, db *dynamodb.Client, n int) (results []sweepResult, err error) {
	ctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	s := resources.Default("bench-" + strings.ToLower(rand.Text()[:8]) + "-")
	defer func() {
		_, derr := db.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(s.TableName())})
		if _, ok := errors.AsType[*types.ResourceNotFoundException](derr); derr != nil && !ok {
			err = errors.Join(err, fmt.Errorf("delete table %s: %w", s.TableName(), derr))
		}
	}()
	if _, err := dynamo.Provision(ctx, db, s); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if err := seedRecords(ctx, db, s.TableName(), benchRecords(n, now), b.Writers); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	store, err := dynamo.New(db, dynamo.Config{Table: s.TableName()})
	if err != nil {
		return nil, err
	}
	sweep := func(m sweeper.Mode) (sweeper.Report, error) {
		sw, err := sweeper.New(sweeper.Config{Store: store, Mode: m, DryRun: true})
		if err != nil {
			return sweeper.Report{}, err
		}
		return sw.SweepOnce(ctx)
	}
	// The waiting index is eventually consistent: wait until it lists every
	// stuck record.
	for want := n / StuckEvery; ; {
		rep, err := sweep(sweeper.ModeIndex)
		if err != nil {
			return nil, err
		}
		if rep.Stuck == want {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the waiting index lists %d stuck records, want %d: %w", rep.Stuck, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, m := range []sweeper.Mode{sweeper.ModeIndex, sweeper.ModeScan} {
		rep, err := sweep(m)
		if err != nil {
			return nil, fmt.Errorf("%s sweep: %w", m, err)
		}
		results = append(results, sweepResult{records: n, report: rep})
	}
	return results, nil
}

// benchWaiting lists every waiting state; stuck records cycle through them.
var benchWaiting = func() []sweeper.StateKey {
	var ks []sweeper.StateKey
	for _, k := range statemachine.Kinds {
		for _, s := range statemachine.WaitingStates(k) {
			ks = append(ks, sweeper.StateKey{Kind: k, State: s})
		}
	}
	return ks
}()

// benchSettled is the terminal state the settled records of each kind are in.
var benchSettled = map[statemachine.Kind]statemachine.State{
	statemachine.KindBrand:    statemachine.Verified,
	statemachine.KindCampaign: statemachine.Active,
	statemachine.KindNumber:   statemachine.Registered,
}

// benchRecords returns n records as of now: every 100th stuck in a waiting
// state for longer than the default threshold; of the others, half settled a
// month ago, half in a waiting state entered within the last hour.
func benchRecords(n int, now time.Time) []statemachine.Record {
	recs := make([]statemachine.Record, 0, n)
	for i := range n {
		var r statemachine.Record
		switch {
		case i%StuckEvery == 0:
			w := benchWaiting[(i/StuckEvery)%len(benchWaiting)]
			r = benchRecord(w.Kind, w.State, i, now.Add(-sweeper.DefaultThreshold-time.Duration(1+i%48)*time.Hour))
		case i%2 == 0:
			k := statemachine.Kinds[i%len(statemachine.Kinds)]
			r = benchRecord(k, benchSettled[k], i, now.Add(-30*24*time.Hour))
		default:
			w := benchWaiting[(i/2)%len(benchWaiting)]
			r = benchRecord(w.Kind, w.State, i, now.Add(-time.Duration(i%60)*time.Minute))
		}
		recs = append(recs, r)
	}
	return recs
}

// benchRecord returns record i of kind k in state s, entered at entered, with
// the data a real one carries.
func benchRecord(k statemachine.Kind, s statemachine.State, i int, entered time.Time) statemachine.Record {
	r := statemachine.Record{
		Kind: k, State: s, Version: 3, CorrelationID: fmt.Sprintf("corr-%07d", i),
		CreatedAt: entered.Add(-time.Hour), StateEnteredAt: entered, WaitSince: entered, UpdatedAt: entered,
		LastMessageID: fmt.Sprintf("evt-%07d", i), Applied: []string{fmt.Sprintf("evt-%07d", i)},
	}
	numbers := []string{benchNumber(3 * i), benchNumber(3*i + 1), benchNumber(3*i + 2)}
	switch k {
	case statemachine.KindBrand:
		r.ID = fmt.Sprintf("b-%07d", i)
		r.Data = registrationJSON(statemachine.BrandRegistration{
			LegalName: fmt.Sprintf("Business %d LLC", i), EIN: "12-3456789", Email: "ops@example.test", EntityType: "PRIVATE_PROFIT",
		})
	case statemachine.KindCampaign:
		r.ID, r.ParentID = benchCampaignID(i), fmt.Sprintf("b-%07d", i)
		r.Data = registrationJSON(statemachine.CampaignRegistration{
			BrandID: r.ParentID, UseCase: "2FA", Description: "one-time login codes",
			SampleMessages: []string{"Your code is 123456", "Use 654321 to sign in"}, Numbers: numbers,
		})
		switch s {
		case statemachine.CarrierReview:
			r.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{
				statemachine.CarrierATT: statemachine.CarrierApproved, statemachine.CarrierTMobile: statemachine.CarrierInReview,
				statemachine.CarrierVerizon: statemachine.CarrierPending,
			}
		case statemachine.NumbersPending, statemachine.Active:
			r.Numbers = map[string]statemachine.NumberStatus{}
			for _, n := range numbers {
				r.Numbers[n] = statemachine.NumberRegisteredStatus
			}
			if s == statemachine.NumbersPending {
				r.Numbers[numbers[0]] = statemachine.NumberPendingStatus
			}
		}
	case statemachine.KindNumber:
		r.ID, r.ParentID = benchNumber(i), benchCampaignID(i)
		r.Data = registrationJSON(statemachine.NumberRegistration{CampaignID: r.ParentID, Number: r.ID})
	}
	return r
}

// benchCampaignID returns the id of campaign i.
func benchCampaignID(i int) string { return fmt.Sprintf("c-%07d", i) }

// benchNumber returns an E.164 number unique to i.
func benchNumber(i int) string { return fmt.Sprintf("+1202%07d", i) }

// registrationJSON encodes a registration payload; it panics on an error,
// which the registration types never return.
func registrationJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the payload types always encode
	}
	return b
}

// seedRecords writes recs with BatchWriteItem (25 items a request) from
// writers goroutines, re-sending what DynamoDB leaves unprocessed.
func seedRecords(ctx context.Context, db *dynamodb.Client, table string, recs []statemachine.Record, writers int) error {
	batches := make(chan []types.WriteRequest)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for batch := range batches {
				if err := writeBatch(ctx, db, table, batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
	batch := make([]types.WriteRequest, 0, 25)
feed:
	for i, r := range recs {
		item, ierr := dynamo.RecordItem(r)
		if ierr != nil {
			err = ierr
			break
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(batch) < 25 && i < len(recs)-1 {
			continue
		}
		select {
		case batches <- batch:
			batch = make([]types.WriteRequest, 0, 25)
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(batches)
	wg.Wait()
	close(errs)
	return errors.Join(err, <-errs)
}

// writeBatch writes one batch, re-sending unprocessed items with a growing
// pause (DynamoDB leaves them when a partition is busy).
func writeBatch(ctx context.Context, db *dynamodb.Client, table string, batch []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{table: batch}
	for pause := 10 * time.Millisecond; len(pending[table]) > 0; pause *= 2 {
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("batch write: %w", err)
		}
		pending = out.UnprocessedItems
		if len(pending[table]) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
	return nil
}

// printSweeps prints one row per table size and mode, then the ratio of the
// scan to the index.
func printSweeps(stdout io.Writer, results []sweepResult) error {
	fmt.Fprintf(stdout, "sweeper: one dry-run sweep per mode; 1 record in %d stuck past %v, the rest settled or waiting less\n",
		StuckEvery, sweeper.DefaultThreshold)
	fmt.Fprintf(stdout, "examined: items DynamoDB read (ScannedCount); RCU: read capacity units it reported consumed\n\n")
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "records\tmode\tstuck\texamined\tRCU\tduration\t")
	for i, r := range results {
		rep := r.report
		fmt.Fprintf(w, "%d\t%s\t%d\t%d\t%.1f\t%v\t\n", r.records, rep.Mode, rep.Stuck, rep.Examined, rep.ReadUnits,
			rep.Duration.Round(time.Millisecond))
		if i%2 == 1 { // index, then scan, per size
			index := results[i-1].report
			fmt.Fprintf(w, "%d\tscan/index\t\t%.0fx\t%.0fx\t%.1fx\t\n", r.records,
				float64(rep.Examined)/float64(index.Examined), rep.ReadUnits/index.ReadUnits,
				rep.Duration.Seconds()/index.Duration.Seconds())
		}
	}
	return w.Flush()
}
