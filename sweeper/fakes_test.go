package sweeper

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// The fakes satisfy the sweeper's interfaces.
var (
	_ Store      = (*memStore)(nil)
	_ Sender     = (*sender)(nil)
	_ Lease      = (*lease)(nil)
	_ Downstream = (*downstream)(nil)
	_ Limiter    = (*limiter)(nil)
	_ Queues     = (*queues)(nil)
	_ Observer   = (*observer)(nil)
)

// t0 is "now" in the sweeper's unit tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// memStore is an in-memory Store with the conditional semantics of the
// DynamoDB store. Its searches cost half a read unit per item examined: the
// index examines the matches, the scan every record.
type memStore struct {
	mu      sync.Mutex
	records map[string]statemachine.Record
	// onFind, when set, runs at the start of every search (to panic, or to
	// take time).
	onFind func(ctx context.Context) error
	// failQuery, when set, fails QueryStuck for the queries it returns an
	// error for.
	failQuery func(q statemachine.StuckQuery) error
	finds     int
	// conflict, when set, makes RecordRedrive report a conflict for the
	// records it names, as if another sweeper had got there first.
	conflict map[string]bool
	// writes counts the successful RecordRedrive and ClearOutbox calls.
	writes int
	// cleared lists the outbox entries ClearOutbox removed, as "id/event".
	cleared []string
}

func newMemStore(recs ...statemachine.Record) *memStore {
	s := &memStore{records: map[string]statemachine.Record{}}
	for _, r := range recs {
		s.put(r)
	}
	return s
}

func key(k statemachine.Kind, id string) string { return string(k) + "#" + id }

func (s *memStore) put(r statemachine.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[key(r.Kind, r.ID)] = r
}

func (s *memStore) get(tb testing.TB, k statemachine.Kind, id string) statemachine.Record {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key(k, id)]
	if !ok {
		tb.Fatalf("%s %s not stored", k, id)
	}
	return r
}

func (s *memStore) Get(_ context.Context, k statemachine.Kind, id string) (*statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key(k, id)]
	if !ok {
		return nil, statemachine.ErrNotFound
	}
	return &r, nil
}

func (s *memStore) search(ctx context.Context) error {
	s.mu.Lock()
	s.finds++
	onFind := s.onFind
	s.mu.Unlock()
	if onFind != nil {
		return onFind(ctx)
	}
	return nil
}

func (s *memStore) matching(qs []statemachine.StuckQuery) []statemachine.Record {
	var out []statemachine.Record
	for _, r := range s.records {
		for _, q := range qs {
			// As the waiting index: wait_since at or before the cutoff.
			if r.Kind == q.Kind && r.State == q.State && !r.WaitSince.After(q.Cutoff) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b statemachine.Record) int {
		return cmp.Or(a.WaitSince.Compare(b.WaitSince), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (s *memStore) QueryStuck(ctx context.Context, q statemachine.StuckQuery) (statemachine.Stuck, error) {
	if err := s.search(ctx); err != nil {
		return statemachine.Stuck{}, err
	}
	if s.failQuery != nil {
		if err := s.failQuery(q); err != nil {
			return statemachine.Stuck{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := s.matching([]statemachine.StuckQuery{q})
	return statemachine.Stuck{Records: found, Examined: int64(len(found)), ReadUnits: 0.5 * float64(len(found))}, nil
}

func (s *memStore) ScanStuck(ctx context.Context, qs []statemachine.StuckQuery) (statemachine.Stuck, error) {
	if err := s.search(ctx); err != nil {
		return statemachine.Stuck{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return statemachine.Stuck{
		Records: s.matching(qs), Examined: int64(len(s.records)), ReadUnits: 0.5 * float64(len(s.records)),
	}, nil
}

// RecordRedrive stores the counters and the commands sent again and restarts
// the wait at at, provided the
// stored record is still in rec's state, entered it at the same time and has
// rec's counters; otherwise it reports a conflict, as the DynamoDB store does.
func (s *memStore) RecordRedrive(_ context.Context, rec statemachine.Record, plan statemachine.RedrivePlan, at time.Time) (statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(rec.Kind, rec.ID)
	cur, ok := s.records[k]
	if !ok || s.conflict[rec.ID] || cur.State != rec.State || cur.Version != rec.Version {
		return statemachine.Record{}, &statemachine.ConflictError{Kind: rec.Kind, ID: rec.ID, ExpectedState: rec.State, ExpectedVersion: rec.Version}
	}
	cur.Redrives, cur.Checks = plan.Redrives, plan.Checks
	if len(plan.Commands) > 0 {
		cur.Commands = maps.Clone(cur.Commands)
		if cur.Commands == nil {
			cur.Commands = map[statemachine.Destination]statemachine.CommandRef{}
		}
		maps.Copy(cur.Commands, plan.Commands)
	}
	cur.WaitSince, cur.UpdatedAt = at, at
	cur.Version++
	s.records[k] = cur
	s.writes++
	return cur, nil
}

// ClearOutbox removes one outbox entry; like the DynamoDB store, it does
// nothing when the entry (or the record) is gone.
func (s *memStore) ClearOutbox(_ context.Context, kind statemachine.Kind, id, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(kind, id)
	cur, ok := s.records[k]
	if _, has := cur.Outbox[eventID]; !ok || !has {
		return nil
	}
	cur.Outbox = maps.Clone(cur.Outbox)
	delete(cur.Outbox, eventID)
	s.records[k] = cur
	s.writes++
	s.cleared = append(s.cleared, id+"/"+eventID)
	return nil
}

// writeCount returns how many writes the store took.
func (s *memStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// sender records what it sends; fail, when set, decides whether a send fails.
type sender struct {
	mu   sync.Mutex
	sent []statemachine.Outgoing
	fail func(out []statemachine.Outgoing) error
}

func (s *sender) Send(_ context.Context, out []statemachine.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(out); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, out...)
	return nil
}

// messages returns what was sent as "destination:type:entity" lines.
func (s *sender) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lines []string
	for _, o := range s.sent {
		lines = append(lines, string(o.To)+":"+string(o.Envelope.Type)+":"+o.Envelope.EntityID)
	}
	return lines
}

func (s *sender) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = nil
}

// lease is a Lease that grants itself unless held, and counts its calls.
type lease struct {
	mu                          sync.Mutex
	held                        bool // by someone else
	duration                    time.Duration
	renewErr                    func(n int) error // the error of renewal n (from 1), if any
	acquired, renewed, released int
}

func (l *lease) Acquire(context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return false, nil
	}
	l.acquired++
	return true, nil
}

func (l *lease) Renew(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.renewed++
	if l.renewErr != nil {
		return l.renewErr(l.renewed)
	}
	return nil
}

func (l *lease) Release(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released++
	return nil
}

func (l *lease) Duration() time.Duration {
	if l.duration == 0 {
		return time.Minute
	}
	return l.duration
}

func (l *lease) counts() (acquired, renewed, released int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acquired, l.renewed, l.released
}

// answer is what the fake downstream says to one look-up: found with its
// decisions, not found (the zero answer), or an error.
type answer struct {
	found  bool
	events []statemachine.Envelope
	err    error
}

// downstream answers look-ups from answers; a look-up it has no answer for
// is not found. It records what it was asked.
type downstream struct {
	mu      sync.Mutex
	answers map[statemachine.Lookup]answer
	asked   []statemachine.Lookup
}

func (d *downstream) answer(l statemachine.Lookup, a answer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.answers == nil {
		d.answers = map[statemachine.Lookup]answer{}
	}
	d.answers[l] = a
}

func (d *downstream) Lookup(_ context.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, l)
	a := d.answers[l]
	if a.err != nil {
		return statemachine.Observation{}, a.err
	}
	return statemachine.Observation{Lookup: l, Found: a.found, Events: a.events}, nil
}

func (d *downstream) lookups() []statemachine.Lookup {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.asked)
}

// limiter counts its waits per key; err, when set, is the error of a wait
// for the keys it names.
type limiter struct {
	mu    sync.Mutex
	waits map[string]int
	err   map[string]error
}

func (l *limiter) Wait(_ context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waits == nil {
		l.waits = map[string]int{}
	}
	l.waits[key]++
	return 0, l.err[key]
}

func (l *limiter) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.waits)
}

// queues says the destinations in busy hold messages, and counts how often
// each was asked; err, when set, is the answer for the destinations it names.
type queues struct {
	mu    sync.Mutex
	busy  map[statemachine.Destination]bool
	err   map[statemachine.Destination]error
	asked map[statemachine.Destination]int
}

func (q *queues) Busy(_ context.Context, d statemachine.Destination) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.asked == nil {
		q.asked = map[statemachine.Destination]int{}
	}
	q.asked[d]++
	if err := q.err[d]; err != nil {
		return false, err
	}
	return q.busy[d], nil
}

func (q *queues) counts() map[statemachine.Destination]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return maps.Clone(q.asked)
}

// observer records what it is told.
type observer struct {
	mu       sync.Mutex
	redriven []string // "kind state outcome"
	lookedUp []string // "destination outcome"
	gaveUp   []string // "kind state"
	swept    []swept
}

func (o *observer) Redriven(k statemachine.Kind, s statemachine.State, out statemachine.RedriveOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.redriven = append(o.redriven, string(k)+" "+string(s)+" "+string(out))
}

func (o *observer) LookedUp(d statemachine.Destination, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lookedUp = append(o.lookedUp, string(d)+" "+outcome)
}

func (o *observer) GaveUp(k statemachine.Kind, s statemachine.State) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gaveUp = append(o.gaveUp, string(k)+" "+string(s))
}

func (o *observer) Swept(mode, outcome string, examined int64, readUnits float64, started time.Time, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.swept = append(o.swept, swept{mode, outcome, examined, readUnits, started, took})
}

// outcomes are the outcomes of the sweeps the observer was told of.
func (o *observer) outcomes() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, s := range o.swept {
		out = append(out, s.outcome)
	}
	return out
}

// swept is what an Observer.Swept call told.
type swept struct {
	mode, outcome string
	examined      int64
	readUnits     float64
	started       time.Time
	took          time.Duration
}
