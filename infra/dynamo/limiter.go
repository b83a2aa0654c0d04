package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
)

const opLimiter = "Limiter"

// LimiterConfig configures a Limiter. Zero values mean the documented defaults.
type LimiterConfig struct {
	Table string // physical table name; required
	// Rates is the allowed requests per second per key (a downstream name).
	// A key not listed gets DefaultRate.
	Rates map[string]float64
	// DefaultRate applies to keys not in Rates (default 1 per second).
	DefaultRate float64
	// Margin widens every interval by this fraction: headroom, so that the
	// jitter between a reserved slot and the request's arrival (scheduling,
	// network) does not squeeze one request too many into a one-second
	// window of the downstream (default 0.2; at 0.05 a loaded machine still
	// drew occasional 429s).
	Margin float64
	// MaxBackoff bounds how far one Backoff pushes the schedule (default 1
	// minute): callers sleep in Wait through it, holding their messages, so
	// a downstream's longer Retry-After is left to the retry delay of the
	// command it answered, which honours it up to its policy's cap.
	MaxBackoff time.Duration
	Meter      *Meter                                     // nil counts nothing
	Now        func() time.Time                           // default time.Now
	Sleep      func(context.Context, time.Duration) error // default: a timer honouring ctx
}

// Limiter is a rate limit shared by every process using the same table: a
// schedule of send slots per key, kept in one item. Wait reserves the next
// free slot with a conditional write and sleeps until it, so requests of all
// replicas together are at least one interval apart.
//
// A reservation takes a write, and a write takes time: a slot reserved for
// "now" may have passed by the time the write returns, and a caller let go
// late bunches with the next one let go on time. So slots are reserved ahead
// by the write latency this limiter observes, and a slot that passed anyway
// is left unused. It is safe for concurrent use.
type Limiter struct {
	api API
	cfg LimiterConfig

	mu      sync.Mutex
	latency time.Duration // moving average of a reservation's duration
}

// NewLimiter returns a Limiter, or every configuration problem joined.
func NewLimiter(api API, cfg LimiterConfig) (*Limiter, error) {
	var errs []error
	if api == nil {
		errs = append(errs, errors.New("api is nil"))
	}
	if cfg.Table == "" {
		errs = append(errs, errors.New("table name is empty"))
	}
	for k, r := range cfg.Rates {
		if r <= 0 {
			errs = append(errs, fmt.Errorf("rate of %s is %v, want > 0", k, r))
		}
	}
	if cfg.DefaultRate < 0 || cfg.Margin < 0 || cfg.MaxBackoff < 0 {
		errs = append(errs, errors.New("default rate, margin and max backoff must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new limiter: %w", err)
	}
	if cfg.DefaultRate == 0 {
		cfg.DefaultRate = 1
	}
	if cfg.Margin == 0 {
		cfg.Margin = 0.2
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	return &Limiter{api: api, cfg: cfg}, nil
}

// Interval returns the spacing of the slots of key.
func (l *Limiter) Interval(key string) time.Duration {
	rate, ok := l.cfg.Rates[key]
	if !ok {
		rate = l.cfg.DefaultRate
	}
	return time.Duration(float64(time.Second) / rate * (1 + l.cfg.Margin))
}

// Wait reserves the next slot of key and sleeps until it comes. It returns
// how long it waited, the SDK's error, or ctx's error (the reserved slot is
// then wasted, which only slows the others down).
func (l *Limiter) Wait(ctx context.Context, key string) (time.Duration, error) {
	start := l.cfg.Now()
	interval := l.Interval(key)
	for {
		asked := l.cfg.Now()
		earliest := asked.Add(l.lead()).UnixMilli()
		slot, err := l.reserve(ctx, key, func(next int64) (int64, int64) {
			s := max(next, earliest)
			return s, s + interval.Milliseconds()
		})
		if err != nil {
			return 0, err
		}
		got := l.cfg.Now()
		l.observe(got.Sub(asked))
		if late := got.Sub(time.UnixMilli(slot)); late > interval/10 {
			continue // the slot passed while it was being reserved
		}
		waited := max(time.UnixMilli(slot).Sub(start), 0)
		if wait := time.UnixMilli(slot).Sub(got); wait > 0 {
			return waited, l.cfg.Sleep(ctx, wait)
		}
		return waited, nil
	}
}

// lead is how far ahead of now a slot is reserved: one and a half times the
// observed reservation latency, at most two seconds.
func (l *Limiter) lead() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return min(l.latency*3/2, 2*time.Second)
}

// observe folds one reservation's duration into the moving average.
func (l *Limiter) observe(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latency == 0 {
		l.latency = d
		return
	}
	l.latency = (l.latency*7 + d) / 8
}

// Backoff pushes the schedule of key at least d into the future, for every
// process: a downstream answered 429 with Retry-After d. A d beyond
// MaxBackoff pushes it MaxBackoff; a d of zero or less does nothing.
func (l *Limiter) Backoff(ctx context.Context, key string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	until := l.cfg.Now().Add(min(d, l.cfg.MaxBackoff)).UnixMilli()
	_, err := l.reserve(ctx, key, func(next int64) (int64, int64) { return next, max(next, until) })
	return err
}

// reserve moves the key's next-slot time from its current value next to the
// value plan returns (with the slot it reserves), with a conditional write
// that retries when another process moved it first.
func (l *Limiter) reserve(ctx context.Context, key string, plan func(next int64) (slot, newNext int64)) (int64, error) {
	next, known := int64(0), false
	for {
		if !known {
			cur, err := l.read(ctx, key)
			if err != nil {
				return 0, err
			}
			next = cur
		}
		slot, newNext := plan(next)
		in := &dynamodb.UpdateItemInput{
			TableName:        aws.String(l.cfg.Table),
			Key:              limiterKey(key),
			UpdateExpression: aws.String("SET next_ms = :new, " + resources.AttrExpiresAt + " = :exp"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": num(newNext),
				":exp": num(time.UnixMilli(newNext).Add(24 * time.Hour).Unix()),
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ReturnConsumedCapacity:              types.ReturnConsumedCapacityIndexes,
		}
		if next == 0 {
			in.ConditionExpression = aws.String("attribute_not_exists(next_ms)")
		} else {
			in.ConditionExpression = aws.String("next_ms = :old")
			in.ExpressionAttributeValues[":old"] = num(next)
		}
		out, err := l.api.UpdateItem(ctx, in)
		if err == nil {
			l.cfg.Meter.add(opLimiter, writes, one(out.ConsumedCapacity))
			return slot, nil
		}
		l.cfg.Meter.add(opLimiter, writes, nil)
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return 0, fmt.Errorf("reserve a slot of %s: %w", key, err)
		}
		// Another process reserved first; its write is in the old item when
		// DynamoDB returns it, else read it.
		next, known = itemNext(ccf.Item)
	}
}

func (l *Limiter) read(ctx context.Context, key string) (int64, error) {
	out, err := l.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(l.cfg.Table),
		Key:                    limiterKey(key),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		l.cfg.Meter.add(opLimiter, reads, nil)
		return 0, fmt.Errorf("read the schedule of %s: %w", key, err)
	}
	l.cfg.Meter.add(opLimiter, reads, one(out.ConsumedCapacity))
	next, _ := itemNext(out.Item)
	return next, nil
}

// itemNext returns the next-slot time of a limiter item, and whether the item
// said anything (a nil item says nothing).
func itemNext(item map[string]types.AttributeValue) (int64, bool) {
	if item == nil {
		return 0, false
	}
	n, ok := item["next_ms"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, true
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

func limiterKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: &types.AttributeValueMemberS{Value: "rate#" + key},
		resources.AttrSK: &types.AttributeValueMemberS{Value: "record"},
	}
}

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
