package sweeper

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
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
	finds  int
	// conflict, when set, makes RecordRedrive report a conflict for the
	// records it names, as if another sweeper had got there first.
	conflict map[string]bool
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

func (s *memStore) matching(qs []dynamo.StuckQuery) []statemachine.Record {
	var out []statemachine.Record
	for _, r := range s.records {
		for _, q := range qs {
			if r.Kind == q.Kind && r.State == q.State && !r.StateEnteredAt.After(q.Cutoff) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b statemachine.Record) int {
		return cmp.Or(a.StateEnteredAt.Compare(b.StateEnteredAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (s *memStore) QueryStuck(ctx context.Context, q dynamo.StuckQuery) (dynamo.Stuck, error) {
	if err := s.search(ctx); err != nil {
		return dynamo.Stuck{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := s.matching([]dynamo.StuckQuery{q})
	return dynamo.Stuck{Records: found, Examined: int64(len(found)), ReadUnits: 0.5 * float64(len(found))}, nil
}

func (s *memStore) ScanStuck(ctx context.Context, qs []dynamo.StuckQuery) (dynamo.Stuck, error) {
	if err := s.search(ctx); err != nil {
		return dynamo.Stuck{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return dynamo.Stuck{
		Records: s.matching(qs), Examined: int64(len(s.records)), ReadUnits: 0.5 * float64(len(s.records)),
	}, nil
}

func (s *memStore) RecordRedrive(_ context.Context, rec statemachine.Record, at time.Time) (statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(rec.Kind, rec.ID)
	cur, ok := s.records[k]
	if !ok || s.conflict[rec.ID] || cur.State != rec.State || !cur.StateEnteredAt.Equal(rec.StateEnteredAt) || cur.Redrives != rec.Redrives {
		return statemachine.Record{}, &statemachine.ConflictError{Kind: rec.Kind, ID: rec.ID, ExpectedState: rec.State, ExpectedVersion: rec.Version}
	}
	cur.Redrives++
	cur.Version++
	cur.UpdatedAt = at
	s.records[k] = cur
	return cur, nil
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

// observer records what it is told.
type observer struct {
	mu       sync.Mutex
	redriven []string // "kind state"
	gaveUp   []string
	finished []error
	reports  []Report
}

func (o *observer) Redriven(k statemachine.Kind, s statemachine.State) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.redriven = append(o.redriven, string(k)+" "+string(s))
}

func (o *observer) GaveUp(k statemachine.Kind, s statemachine.State) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gaveUp = append(o.gaveUp, string(k)+" "+string(s))
}

func (o *observer) Finished(r Report, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reports = append(o.reports, r)
	o.finished = append(o.finished, err)
}

func (o *observer) errors() []error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.finished)
}
