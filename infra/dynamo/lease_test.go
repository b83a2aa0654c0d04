package dynamo

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
)

func TestNewLeaseValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		api     API
		cfg     LeaseConfig
		wantErr bool
	}{
		{"valid", &fakeAPI{}, LeaseConfig{Table: "records", Name: "sweeper"}, false},
		{"no table", &fakeAPI{}, LeaseConfig{Name: "sweeper"}, true},
		{"no name", &fakeAPI{}, LeaseConfig{Table: "records"}, true},
		{"negative duration", &fakeAPI{}, LeaseConfig{Table: "records", Name: "sweeper", Duration: -time.Second}, true},
		{"no api", nil, LeaseConfig{Table: "records", Name: "sweeper"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLease(tt.api, tt.cfg)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("NewLease error = %v, want error %v", err, tt.wantErr)
			}
			if got := l != nil; got == tt.wantErr {
				t.Errorf("NewLease lease = %v with error %v", l, err)
			}
		})
	}
}

func TestNewLeaseDefaults(t *testing.T) {
	a, errA := NewLease(&fakeAPI{}, LeaseConfig{Table: "records", Name: "sweeper"})
	b, errB := NewLease(&fakeAPI{}, LeaseConfig{Table: "records", Name: "sweeper"})
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	if a.Owner() == "" || a.Owner() == b.Owner() {
		t.Errorf("default owners %q and %q, want two different names", a.Owner(), b.Owner())
	}
	if got, want := a.Duration(), DefaultLeaseDuration; got != want {
		t.Errorf("duration %v, want %v", got, want)
	}
}

// clock is a settable clock for leases.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func TestLeaseBetweenTwoOwners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	clk := &clock{now: t0}
	newLease := func(owner string) *Lease {
		t.Helper()
		l, err := NewLease(f.api, LeaseConfig{
			Table: f.set.TableName(), Name: "sweeper", Owner: owner, Duration: time.Minute, Now: clk.Now, Meter: f.meter,
		})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := newLease("a"), newLease("b")
	ctx := t.Context()
	acquire := func(l *Lease, want bool) {
		t.Helper()
		got, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: Acquire = %v at %v, want %v", l.Owner(), got, clk.Now(), want)
		}
	}

	acquire(a, true)
	acquire(b, false) // a holds it
	acquire(a, true)  // a holds it already: extends it
	item := rawItem(t, f, "lease", "sweeper")
	if got, want := numberValue(item[resources.AttrExpiresAt]), strconv.FormatInt(t0.Add(time.Minute).Unix()+1, 10); got != want {
		t.Errorf("%s = %s, want %s (Unix seconds of the expiry, rounded up)", resources.AttrExpiresAt, got, want)
	}
	if got, want := stringValue(item[attrOwner]), "a"; got != want {
		t.Errorf("owner = %q, want %q", got, want)
	}

	clk.advance(40 * time.Second)
	if err := a.Renew(ctx); err != nil {
		t.Fatalf("a renews its lease: %v", err)
	}
	clk.advance(40 * time.Second) // 80 s after the first acquire, 40 s after the renewal
	acquire(b, false)
	clk.advance(21 * time.Second) // a let it expire
	acquire(b, true)
	if err := a.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a renews b's lease: err = %v, want ErrLeaseLost", err)
	}
	if err := a.Release(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a releases b's lease: err = %v, want ErrLeaseLost", err)
	}
	acquire(a, false)
	if err := b.Release(ctx); err != nil {
		t.Fatalf("b releases its lease: %v", err)
	}
	acquire(a, true) // released: no need to wait for the expiry
	if err := b.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("b renews after releasing: err = %v, want ErrLeaseLost", err)
	}
	if got := f.meter.Snapshot().ByOperation[opLease]; got.Requests == 0 || got.WriteUnits == 0 {
		t.Errorf("lease requests metered as %+v, want requests and write units", got)
	}
}

func TestLeaseIsExclusiveUnderContention(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const owners = 8
	var wg sync.WaitGroup
	won := make(chan string, owners)
	for i := range owners {
		l, err := NewLease(f.api, LeaseConfig{Table: f.set.TableName(), Name: "sweeper", Owner: strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			ok, err := l.Acquire(t.Context())
			if err != nil {
				t.Error(err)
			}
			if ok {
				won <- l.Owner()
			}
		})
	}
	wg.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Errorf("owners holding the lease: %v, want exactly one", winners)
	}
}

func TestLeaseErrorsAreWrapped(t *testing.T) {
	boom := errors.New("boom")
	api := &leaseAPI{fakeAPI: &fakeAPI{
		update: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) { return nil, boom },
	}, put: func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) { return nil, boom },
		del: func(*dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error) {
			return nil, &types.ConditionalCheckFailedException{Message: aws.String("no")}
		}}
	l, err := NewLease(api, LeaseConfig{Table: "records", Name: "sweeper"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Acquire(t.Context()); ok || !errors.Is(err, boom) {
		t.Errorf("Acquire = %v, %v; want false, boom", ok, err)
	}
	if err := l.Renew(t.Context()); !errors.Is(err, boom) || errors.Is(err, ErrLeaseLost) {
		t.Errorf("Renew = %v, want boom (not a lost lease)", err)
	}
	if err := l.Release(t.Context()); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Release = %v, want ErrLeaseLost", err)
	}
}

// leaseAPI adds PutItem and DeleteItem to fakeAPI.
type leaseAPI struct {
	*fakeAPI
	put func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	del func(*dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error)
}

func (f *leaseAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return f.put(in)
}

func (f *leaseAPI) DeleteItem(_ context.Context, in *dynamodb.DeleteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return f.del(in)
}
