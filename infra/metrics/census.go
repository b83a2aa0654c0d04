package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

const (
	// DefaultCensusInterval is how often a [Census] counts the records when
	// CensusConfig.Interval is zero.
	DefaultCensusInterval = 5 * time.Minute
	// CensusLeaseName is the name of the lease every census of a deployment
	// takes.
	CensusLeaseName = "census"
)

// releaseTimeout bounds the release of the census lease at shutdown.
const releaseTimeout = 10 * time.Second

// Outcomes of a census run.
const (
	censusOK      = "ok"
	censusSkipped = "skipped" // another replica holds the lease
	censusError   = "error"
)

// RecordCounter counts the records by kind and state; *dynamo.Store
// satisfies it.
type RecordCounter interface {
	Census(ctx context.Context) (dynamo.Census, error)
}

// Lease keeps the census to one replica at a time; *dynamo.Lease satisfies
// it.
type Lease interface {
	// Acquire takes or extends the lease, or reports false when another owner
	// holds it.
	Acquire(ctx context.Context) (bool, error)
	// Release gives the lease up.
	Release(ctx context.Context) error
	// Duration is how long the lease lasts after Acquire.
	Duration() time.Duration
}

var (
	_ RecordCounter = (*dynamo.Store)(nil)
	_ Lease         = (*dynamo.Lease)(nil)
)

// CensusConfig configures a [Census]. Zero values mean the documented
// defaults.
type CensusConfig struct {
	Records RecordCounter // required
	// Lease is taken before every count; it must last longer than Interval,
	// so that its holder keeps it from one count to the next and one replica
	// reports the gauge. Required.
	Lease   Lease
	Metrics *Metrics // required: where the counts go
	// Interval is the time between counts (default DefaultCensusInterval).
	// Each count scans the whole table: see dynamo.Store.Census for its cost.
	Interval time.Duration
	Now      func() time.Time // default time.Now
	Logger   *slog.Logger     // default: discard
}

// Census keeps the tendlc_records gauge: every Interval, the replica that
// holds the census lease counts the records by kind and state. The other
// replicas report no records gauge, so that a sum across replicas counts
// each record once.
type Census struct {
	cfg  CensusConfig
	held bool // this replica held the lease at the last attempt
}

// NewCensus returns a census, or the configuration problems joined.
func NewCensus(cfg CensusConfig) (*Census, error) {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultCensusInterval
	}
	var errs []error
	if cfg.Records == nil || cfg.Lease == nil || cfg.Metrics == nil {
		errs = append(errs, errors.New("census: Records, Lease and Metrics are required"))
	}
	if cfg.Interval < 0 {
		errs = append(errs, fmt.Errorf("census: Interval %v is negative", cfg.Interval))
	}
	if cfg.Lease != nil && cfg.Lease.Duration() <= cfg.Interval {
		errs = append(errs, fmt.Errorf("census: the lease lasts %v, not longer than the interval %v", cfg.Lease.Duration(), cfg.Interval))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Census{cfg: cfg}, nil
}

// Run counts at once, then every Interval until ctx ends, and releases the
// lease if it holds it. A failed count is logged and counted, and tried again
// at the next interval. It returns nil.
func (c *Census) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	defer c.release(ctx)
	for {
		c.count(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// count runs one census if this replica holds the lease, and counts the
// attempt by outcome.
func (c *Census) count(ctx context.Context) {
	m := &c.cfg.Metrics.censusMetrics
	outcome, err := c.try(ctx)
	switch {
	case ctx.Err() != nil:
		return // shutting down: neither a failure nor a count
	case err != nil:
		c.cfg.Logger.Warn("census failed", "error", err)
	}
	m.censuses.WithLabelValues(outcome).Inc()
}

// try takes the lease and counts, turning a panic into an error.
func (c *Census) try(ctx context.Context) (outcome string, err error) {
	defer func() {
		if v := recover(); v != nil {
			outcome, err = censusError, &message.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	m := &c.cfg.Metrics.censusMetrics
	ok, err := c.cfg.Lease.Acquire(ctx)
	if err != nil {
		return censusError, fmt.Errorf("acquire the census lease: %w", err)
	}
	if !ok {
		if c.held {
			m.records.Reset() // the new holder reports them
		}
		c.held = false
		return censusSkipped, nil
	}
	c.held = true
	found, err := c.cfg.Records.Census(ctx)
	if err != nil {
		return censusError, err
	}
	m.set(found)
	m.lastCensus.Set(float64(c.cfg.Now().UnixMilli()) / 1000)
	c.cfg.Logger.Debug("census", "examined", found.Examined, "read_units", found.ReadUnits)
	return censusOK, nil
}

// release gives the lease up at shutdown, so that another replica takes the
// census over at once.
func (c *Census) release(ctx context.Context) {
	if !c.held {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := c.cfg.Lease.Release(rctx); err != nil {
		c.cfg.Logger.Warn("census lease not released; it expires by itself", "error", err)
	}
}

type censusMetrics struct {
	records    *prometheus.GaugeVec
	censuses   *prometheus.CounterVec
	lastCensus prometheus.Gauge
}

func newCensusMetrics() censusMetrics {
	return censusMetrics{
		records: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "records",
			Help: "Records by kind and state at the last census; reported by the replica holding the census lease only."},
			[]string{"kind", "state"}),
		censuses: counter("census_runs_total", "Census attempts by outcome (ok, skipped: another replica holds the lease, error).", "outcome"),
		lastCensus: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "census_last_success_timestamp_seconds",
			Help: "When this replica last counted the records, in Unix seconds."}),
	}
}

func (c censusMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.records, c.censuses, c.lastCensus}
}

// set reports the counts of found: zero for every state of every kind
// without records, so that a state that empties shows as zero.
func (c censusMetrics) set(found dynamo.Census) {
	for _, k := range statemachine.Kinds {
		for _, s := range statemachine.States(k) {
			c.records.WithLabelValues(string(k), string(s)).Set(float64(found.Records[k][s]))
		}
	}
	for k, states := range found.Records {
		for s, n := range states { // a kind or state a newer build wrote
			c.records.WithLabelValues(string(k), string(s)).Set(float64(n))
		}
	}
}
