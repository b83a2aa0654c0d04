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
// schedule of send slots per key, kept in one item. A conditional write moves
// the schedule's next free slot on, so requests of all replicas together are
// at least one interval apart.
//
// A reservation takes a write, and a write takes time: a slot reserved for
// "now" may have passed by the time the write returns. So slots are reserved
// ahead by the write latency this limiter observes.
//
// When the rate allows, one write leases a span of the schedule for this
// process: as many slots as fit in 100 ms, at most 1,024 (a rate below 12
// per second, an interval over 100 ms with the default margin, takes a write
// per call, as without leases; 10,000 per second, 833 slots a write). A
// lease takes a round trip or two, and its span starts that far ahead, so a
// short span would leave the callers waiting for leases most of the time. The
// process hands them out to its callers in order, one lease at a time per
// key, which concurrent callers share; a caller that comes after its slot
// passed sends at once, an interval after the one before it, as long as that
// leaves an interval before the span ends, where the next lease of any
// process begins. The price: a span one process leased is not the others',
// so they wait for its end (100 ms at most), and slots it left unused are
// lost (a lower effective rate, never a higher one); after a Backoff another
// process may still use what is left of its span (this one sends nothing
// before its end). It is safe for concurrent use.
type Limiter struct {
	api API
	cfg LimiterConfig

	mu      sync.Mutex
	latency time.Duration    // moving average of a reservation's duration
	lanes   map[string]*lane // this process's leased slots per key
}

// A lease holds as many slots as fit in leaseWindow, at most maxLease: the
// others wait for the span a process leased to end.
const (
	leaseWindow = 100 * time.Millisecond
	maxLease    = 1024
)

// lane is this process's share of one key's schedule: the slots it leased and
// has not handed out yet, and the lease in flight.
type lane struct {
	next      time.Time     // the earliest the next slot may be handed out
	end       time.Time     // where the leased span ends: the next lease of any process begins there
	left      int           // leased slots not handed out yet
	pending   chan struct{} // closed when the lease in flight returns; nil when none
	epoch     int           // moved on by Backoff: a lease in flight then is dropped
	notBefore time.Time     // a Backoff's end: no slot is handed out before it
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
	return &Limiter{api: api, cfg: cfg, lanes: map[string]*lane{}}, nil
}

// Interval returns the spacing of the slots of key (at least a nanosecond).
func (l *Limiter) Interval(key string) time.Duration {
	rate, ok := l.cfg.Rates[key]
	if !ok {
		rate = l.cfg.DefaultRate
	}
	return max(time.Duration(float64(time.Second)/rate*(1+l.cfg.Margin)), time.Nanosecond)
}

// Wait takes the next slot of key this process leased, leasing more when
// none is left, and sleeps until it comes. It returns how long it waited, the
// SDK's error, or ctx's error (a slot leased for it is then wasted, which
// only slows the others down).
func (l *Limiter) Wait(ctx context.Context, key string) (time.Duration, error) {
	start := l.cfg.Now()
	interval := l.Interval(key)
	l.mu.Lock()
	ln := l.lane(key)
	for {
		if slot, ok := ln.take(l.cfg.Now(), interval); ok {
			l.mu.Unlock()
			waited := max(slot.Sub(start), 0)
			if wait := slot.Sub(l.cfg.Now()); wait > 0 {
				return waited, l.cfg.Sleep(ctx, wait)
			}
			return waited, nil
		}
		if ln.pending == nil {
			if err := l.lease(ctx, key, ln, interval); err != nil {
				l.mu.Unlock()
				return 0, err
			}
			continue
		}
		pending := ln.pending
		l.mu.Unlock()
		select {
		case <-pending: // the lease is in: take from it, or lease again
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		l.mu.Lock()
	}
}

// lease reserves the next batch of slots of key for this process with one
// conditional write. It is called with l.mu held, releases it during the
// write, and returns with it held again.
func (l *Limiter) lease(ctx context.Context, key string, ln *lane, interval time.Duration) error {
	n := leaseSize(interval)
	done := make(chan struct{})
	ln.pending = done
	epoch := ln.epoch
	lead := min(l.latency*3/2, 2*time.Second)
	l.mu.Unlock()

	asked := l.cfg.Now()
	// Both rounded up to whole milliseconds, the unit of the schedule: the
	// first slot is not before asked+lead, and the next lease, by any
	// process, starts at least an interval after this one's last slot.
	earliest := asked.Add(lead + time.Millisecond - 1).UnixMilli()
	span := (int64(n)*int64(interval) + int64(time.Millisecond) - 1) / int64(time.Millisecond)
	first, err := l.reserve(ctx, key, func(next int64) (int64, int64) {
		s := max(next, earliest)
		return s, s + span
	})
	got := l.cfg.Now()

	l.mu.Lock()
	ln.pending = nil
	close(done)
	if err != nil {
		return err
	}
	l.observe(got.Sub(asked))
	if ln.epoch == epoch {
		ln.next, ln.end, ln.left = time.UnixMilli(first), time.UnixMilli(first+span), n
	}
	return nil
}

// lane returns the lane of key, made on first use. l.mu must be held.
func (l *Limiter) lane(key string) *lane {
	ln, ok := l.lanes[key]
	if !ok {
		ln = &lane{}
		l.lanes[key] = ln
	}
	return ln
}

// observe folds one reservation's duration into the moving average. l.mu
// must be held.
func (l *Limiter) observe(d time.Duration) {
	if l.latency == 0 {
		l.latency = d
		return
	}
	l.latency = (l.latency*7 + d) / 8
}

// leaseSize is how many slots a lease asks for: as many as fit in
// leaseWindow, at least one and at most maxLease.
func leaseSize(interval time.Duration) int {
	return int(max(1, min(leaseWindow/interval, maxLease)))
}

// take hands out the next leased slot: the next one in order, or now for a
// caller that comes after it passed, an interval after the slot handed out
// before, and never within an interval of the span's end, where the next
// lease of any process begins (give or take a tenth of an interval: a write
// slower than the lead it was reserved by lets its caller go that late, and
// the margin of the rate covers it).
func (ln *lane) take(now time.Time, interval time.Duration) (time.Time, bool) {
	if ln.left == 0 {
		return time.Time{}, false
	}
	slot := ln.next
	if now.After(slot) {
		slot = now
	}
	if ln.notBefore.After(slot) {
		slot = ln.notBefore
	}
	if slot.Add(interval).After(ln.end.Add(interval / 10)) {
		ln.left = 0
		return time.Time{}, false
	}
	ln.next, ln.left = slot.Add(interval), ln.left-1
	return slot, true
}

// drop forgets the slots leased so far and any lease in flight.
func (ln *lane) drop() {
	ln.left = 0
	ln.epoch++
}

// Backoff pushes the schedule of key at least d into the future, for every
// process: a downstream answered 429 with Retry-After d. It drops the slots
// this process leased and has not handed out. A d beyond MaxBackoff pushes it
// MaxBackoff; a d of zero or less does nothing.
func (l *Limiter) Backoff(ctx context.Context, key string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	// This process sends nothing before until from now on, whatever it
	// leased or leases meanwhile: the write takes time, and a lease that
	// lands before it would hold slots before until.
	until := l.cfg.Now().Add(min(d, l.cfg.MaxBackoff))
	l.mu.Lock()
	ln := l.lane(key)
	ln.drop()
	if until.After(ln.notBefore) {
		ln.notBefore = until
	}
	l.mu.Unlock()
	_, err := l.reserve(ctx, key, func(next int64) (int64, int64) { return next, max(next, until.UnixMilli()) })
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
