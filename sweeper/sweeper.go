package sweeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tendlc/tendlc/statemachine"
)

// Defaults of [Config].
const (
	DefaultThreshold   = 24 * time.Hour
	DefaultMaxRedrives = 3
	DefaultMaxChecks   = 10
	DefaultSchedule    = "@hourly"
	// LeaseName is the name of the lease every sweeper of a deployment takes.
	LeaseName = "sweeper"
	// LeaseDuration is how long the sweeper's lease lasts unless renewed
	// (every third of it while a sweep runs): the longest a sweeper that died
	// mid-sweep keeps the others from sweeping. Renewals cost a write every
	// 5 s of a sweep only; a minute's lease made a replica killed mid-sweep
	// cost the next 12 sweeps of a 5-second schedule.
	LeaseDuration = 15 * time.Second
)

// Store is the record store the sweeper needs; *dynamo.Store satisfies it.
// The two searches are DynamoDB's two access patterns, which the sweeper
// exists to measure against each other.
type Store interface {
	// Get returns a record, or an error wrapping statemachine.ErrNotFound.
	Get(ctx context.Context, kind statemachine.Kind, id string) (*statemachine.Record, error)
	// QueryStuck finds stuck records of one waiting state in the waiting index.
	QueryStuck(ctx context.Context, q statemachine.StuckQuery) (statemachine.Stuck, error)
	// ScanStuck finds stuck records of every state of qs with one table scan.
	ScanStuck(ctx context.Context, qs []statemachine.StuckQuery) (statemachine.Stuck, error)
	// RecordRedrive counts a re-drive of rec (its counters and the commands
	// it sends again become plan's, its wait starts again at at) if it is
	// still the version rec is, or returns an error wrapping
	// statemachine.ErrConflict.
	RecordRedrive(ctx context.Context, rec statemachine.Record, plan statemachine.RedrivePlan, at time.Time) (statemachine.Record, error)
	// ClearOutbox forgets the messages an event emitted, once re-sent.
	ClearOutbox(ctx context.Context, kind statemachine.Kind, id, eventID string) error
}

// Sender sends messages to their destinations; infra/sqsq.Publisher
// satisfies it.
type Sender interface {
	Send(ctx context.Context, out []statemachine.Outgoing) error
}

// Lease is a lock with an expiry shared by every sweeper of a deployment;
// *dynamo.Lease satisfies it.
type Lease interface {
	// Acquire takes the lease, or reports false when another owner holds it.
	Acquire(ctx context.Context) (bool, error)
	// Renew extends the lease, or fails when it is no longer held.
	Renew(ctx context.Context) error
	// Release gives the lease up.
	Release(ctx context.Context) error
	// Duration is how long the lease lasts after Acquire or Renew.
	Duration() time.Duration
}

// Mode is how a sweep finds stuck records.
type Mode string

// The modes.
const (
	// ModeIndex queries the sparse waiting index once per waiting state: it
	// reads only the stuck records.
	ModeIndex Mode = "index"
	// ModeScan scans the whole table with a filter, the legacy way: it reads
	// every item.
	ModeScan Mode = "scan"
)

// ParseMode returns the mode named s, or an error naming the valid modes.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeIndex, ModeScan:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q (want index or scan)", s)
}

// StateKey names a waiting state of a kind.
type StateKey struct {
	Kind  statemachine.Kind
	State statemachine.State
}

// Config configures a Sweeper. Zero values mean the documented defaults.
type Config struct {
	Store Store // required
	// Sender sends the re-driven commands; required unless DryRun.
	Sender Sender
	// Lease keeps other sweepers out while a sweep runs; required unless
	// DryRun (a dry run writes nothing, so it needs no lease).
	Lease Lease
	// Mode is how stuck records are found (default ModeIndex).
	Mode Mode
	// Downstream answers the status look-ups a re-drive asks before it
	// re-sends anything, each after Limiter's wait for the downstream's rate
	// limit; both are required together. Without them a re-drive of a record
	// that waits on a downstream does nothing (it cannot tell a lost request
	// from a slow one).
	Downstream Downstream
	Limiter    Limiter
	// Queues tells whether an outbound queue holds messages; without it
	// every queue counts as busy, and a command the record believes still
	// queued is never sent again.
	Queues Queues
	// Threshold is how long a record may wait in a watched state, from its
	// WaitSince, before it counts as stuck (default DefaultThreshold, 24 h);
	// Thresholds overrides it per state ([Policy] holds both).
	Threshold  time.Duration
	Thresholds map[StateKey]time.Duration
	// MaxRedrives is how many re-drives that re-send or have nothing to do a
	// record gets in one stay in a state before the sweeper gives up on it
	// (default DefaultMaxRedrives, 3); MaxChecks how many that find the
	// downstream still deciding (default DefaultMaxChecks, 10).
	MaxRedrives int
	MaxChecks   int
	// Flow is the flow this replica runs (zero: statemachine.FlowV1): a
	// record started on a newer flow that decides its kind otherwise is left
	// alone (Report.NewerFlow), for a replica on its flow to re-drive.
	Flow statemachine.Flow
	// Schedule is when Run sweeps: a standard cron spec or descriptor,
	// interpreted in UTC (default DefaultSchedule, "@hourly").
	Schedule string
	// DryRun finds and plans, and writes and sends nothing: the report lists
	// what a sweep would re-drive.
	DryRun bool
	// Now is the clock (default time.Now).
	Now      func() time.Time
	Observer Observer     // default: none
	Logger   *slog.Logger // default: discard
}

// Sweeper finds records stuck in waiting states and re-drives them.
type Sweeper struct {
	cfg      Config
	schedule cron.Schedule
}

// New returns a sweeper, or the configuration problems joined.
func New(cfg Config) (*Sweeper, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("sweeper: Store is required"))
	}
	if !cfg.DryRun && cfg.Sender == nil {
		errs = append(errs, errors.New("sweeper: Sender is required unless DryRun"))
	}
	if !cfg.DryRun && cfg.Lease == nil {
		errs = append(errs, errors.New("sweeper: Lease is required unless DryRun"))
	}
	if cfg.Lease != nil && cfg.Lease.Duration()/3 <= 0 {
		errs = append(errs, fmt.Errorf("sweeper: lease duration %v is too short to renew", cfg.Lease.Duration()))
	}
	if cfg.Mode != "" {
		if _, err := ParseMode(string(cfg.Mode)); err != nil {
			errs = append(errs, fmt.Errorf("sweeper: %w", err))
		}
	}
	if cfg.Threshold < 0 {
		errs = append(errs, fmt.Errorf("sweeper: Threshold %v is negative", cfg.Threshold))
	}
	if (cfg.Downstream == nil) != (cfg.Limiter == nil) {
		errs = append(errs, errors.New("sweeper: Downstream and Limiter go together"))
	}
	for k, d := range cfg.Thresholds {
		if !statemachine.IsWatched(k.Kind, k.State) {
			errs = append(errs, fmt.Errorf("sweeper: threshold for %s %s, which the sweeper does not watch", k.Kind, k.State))
		}
		if d <= 0 {
			errs = append(errs, fmt.Errorf("sweeper: threshold %v for %s %s is not positive", d, k.Kind, k.State))
		}
	}
	if cfg.MaxRedrives < 0 || cfg.MaxChecks < 0 {
		errs = append(errs, fmt.Errorf("sweeper: MaxRedrives %d or MaxChecks %d is negative", cfg.MaxRedrives, cfg.MaxChecks))
	}
	if cfg.Schedule == "" {
		cfg.Schedule = DefaultSchedule
	}
	schedule, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		errs = append(errs, fmt.Errorf("sweeper: schedule %q: %w", cfg.Schedule, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeIndex
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.MaxRedrives == 0 {
		cfg.MaxRedrives = DefaultMaxRedrives
	}
	if cfg.MaxChecks == 0 {
		cfg.MaxChecks = DefaultMaxChecks
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{cfg: cfg, schedule: schedule}, nil
}

// threshold returns how long a record may wait in state k.
func (s *Sweeper) threshold(k StateKey) time.Duration {
	if d, ok := s.cfg.Thresholds[k]; ok {
		return d
	}
	return s.cfg.Threshold
}
