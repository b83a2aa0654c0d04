package bench

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Sampling intervals of a run.
const (
	usageEvery   = time.Second     // CPU and peak RSS of every regd and backing service
	scrapeEvery  = 2 * time.Second // every regd's /metrics
	backlogEvery = 2 * time.Second // every queue's depth
)

// collector gathers a run's figures while it runs: every replica's counters
// (from /metrics, added up over its incarnations), CPU time and peak memory
// (from /proc), the same of every backing service, and every queue's
// backlog.
type collector struct {
	client   *http.Client
	queues   func(context.Context) map[string]QueueDepth // System.Backlog
	began    time.Time
	ticks    float64 // clock ticks per second of /proc's CPU times
	replicas []*replicaStats
	services []*serviceStats

	mu      sync.Mutex // guards backlog
	backlog []BacklogSample

	stop context.CancelFunc
	done chan struct{}
}

// replicaStats is what the collector knows of one regd replica, over every
// incarnation (a replica killed and started again is the same replica).
type replicaStats struct {
	name       string
	metricsURL string

	mu           sync.Mutex
	pid          int // of the running incarnation; 0 while down
	incarnations int
	counters     *accumulator
	cpuEnded     float64 // CPU seconds of the incarnations that ended
	cpuNow       float64 // CPU seconds of the running one, at the last sample
	peakRSS      int64
	kills        int
	scrapeErrors int
}

// BacklogSample is the depth of every queue of the system at one time.
type BacklogSample struct {
	At     float64               `json:"t_seconds"` // from the seeding
	Queues map[string]QueueDepth `json:"queues"`
}

// QueueDepth is what one queue of the system holds: messages visible
// (waiting to be received), in flight (received, not yet deleted) and
// delayed.
type QueueDepth struct {
	Visible  int `json:"visible"`
	InFlight int `json:"in_flight"`
	Delayed  int `json:"delayed"`
}

// Total is every message the queue holds.
func (d QueueDepth) Total() int { return d.Visible + d.InFlight + d.Delayed }

func newCollector(queues func(context.Context) map[string]QueueDepth, began time.Time) *collector {
	return &collector{client: &http.Client{Timeout: 5 * time.Second}, queues: queues, began: began, ticks: clockTicks()}
}

// add adds a replica serving its metrics at metricsURL, running as pid.
func (c *collector) add(name, metricsURL string, pid int) {
	c.replicas = append(c.replicas, &replicaStats{name: name, metricsURL: metricsURL, pid: pid, incarnations: 1, counters: newAccumulator()})
}

// addService adds a backing service to measure from the start on.
func (c *collector) addService(svc Service) {
	c.services = append(c.services, newServiceStats(svc))
}

// baseline samples the backing services before the seeding, so that their
// CPU counts from it, as the workers' does.
func (c *collector) baseline() {
	for _, s := range c.services {
		s.sample(c.ticks, true)
	}
}

// start samples the backlog and the backing services at once, then
// everything in the background until finish.
func (c *collector) start(ctx context.Context) {
	c.sampleBacklog(ctx)
	ctx, c.stop = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		usageTick, scrapeTick, backlogTick := time.NewTicker(usageEvery), time.NewTicker(scrapeEvery), time.NewTicker(backlogEvery)
		defer usageTick.Stop()
		defer scrapeTick.Stop()
		defer backlogTick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-usageTick.C:
				for _, r := range c.replicas {
					r.sampleUsage(c.ticks)
				}
				for _, s := range c.services {
					s.sample(c.ticks, false)
				}
			case <-scrapeTick.C:
				for _, r := range c.replicas {
					r.scrape(ctx, c.client)
				}
			case <-backlogTick.C:
				c.sampleBacklog(ctx)
			}
		}
	}()
}

// finish stops the background sampling and takes a last sample of
// everything.
func (c *collector) finish(ctx context.Context) {
	if c.stop != nil {
		c.stop()
		<-c.done
	}
	for _, r := range c.replicas {
		r.sampleUsage(c.ticks)
		r.scrape(ctx, c.client)
	}
	for _, s := range c.services {
		s.sample(c.ticks, false)
	}
	c.sampleBacklog(ctx)
}

// down takes the last samples of a replica about to be killed and ends its
// incarnation: what the process counted dies with it. killed counts a kill.
func (c *collector) down(ctx context.Context, name string, killed bool) {
	r := c.replica(name)
	if r == nil {
		return
	}
	r.sampleUsage(c.ticks)
	r.scrape(ctx, c.client)
	c.ended(r, killed)
}

// follow samples replica name every interval until stopped is closed, then
// ends its incarnation (not a kill): a replica stopped gracefully for a
// deploy counts on while it finishes its work, up to its last answer.
func (c *collector) follow(ctx context.Context, name string, every time.Duration, stopped <-chan struct{}) {
	r := c.replica(name)
	if r == nil {
		<-stopped
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stopped:
			c.ended(r, false)
			return
		case <-t.C:
			r.sampleUsage(c.ticks)
			r.scrape(ctx, c.client)
		}
	}
}

// ended ends r's incarnation; killed counts a kill.
func (c *collector) ended(r *replicaStats, killed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters.restart()
	r.cpuEnded += r.cpuNow
	r.cpuNow, r.pid = 0, 0
	if killed {
		r.kills++
	}
}

// up records a replica's new incarnation, running as pid.
func (c *collector) up(name string, pid int) {
	if r := c.replica(name); r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.pid = pid
		r.incarnations++
	}
}

func (c *collector) replica(name string) *replicaStats {
	for _, r := range c.replicas {
		if r.name == name {
			return r
		}
	}
	return nil
}

// counters returns every replica's counters added up.
func (c *collector) counters() Metrics {
	var all []Metrics
	for _, r := range c.replicas {
		r.mu.Lock()
		all = append(all, r.counters.total())
		r.mu.Unlock()
	}
	return merge(all...)
}

// kills returns how many replicas were killed.
func (c *collector) kills() int {
	n := 0
	for _, r := range c.replicas {
		r.mu.Lock()
		n += r.kills
		r.mu.Unlock()
	}
	return n
}

// backlogTotal returns the messages in every queue at the last sample.
func (c *collector) backlogTotal() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	if len(c.backlog) > 0 {
		for _, d := range c.backlog[len(c.backlog)-1].Queues {
			n += d.Total()
		}
	}
	return n
}

// figures returns what each replica used.
func (c *collector) figures() []ReplicaFigures {
	var out []ReplicaFigures
	for _, r := range c.replicas {
		r.mu.Lock()
		out = append(out, ReplicaFigures{Name: r.name, Incarnations: r.incarnations, Kills: r.kills,
			CPUSeconds: r.cpuEnded + r.cpuNow, PeakRSSBytes: r.peakRSS, ScrapeErrors: r.scrapeErrors})
		r.mu.Unlock()
	}
	return out
}

// serviceFigures returns what each backing service used; nil for none.
func (c *collector) serviceFigures() []ServiceFigures {
	var out []ServiceFigures
	for _, s := range c.services {
		out = append(out, s.figures())
	}
	return out
}

// backlogSamples returns a copy of the backlog samples so far.
func (c *collector) backlogSamples() []BacklogSample {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.backlog)
}

// scrape reads the replica's metrics, unless it is down. A failed scrape is
// counted and skipped: the next one reads the same counters.
func (r *replicaStats) scrape(ctx context.Context, client *http.Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pid == 0 {
		return
	}
	s, err := scrapeMetrics(context.WithoutCancel(ctx), client, r.metricsURL)
	if err != nil {
		r.scrapeErrors++
		return
	}
	r.counters.observe(s)
}

// sampleUsage reads the replica's CPU time and peak RSS, unless it is down.
func (r *replicaStats) sampleUsage(ticks float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pid == 0 {
		return
	}
	u, err := readUsage(r.pid, ticks)
	if err != nil {
		return // it exited: the Supervisor reports that
	}
	r.cpuNow = u.cpuSeconds
	r.peakRSS = max(r.peakRSS, u.peakRSSBytes)
}

// sampleBacklog reads the depth of every queue.
func (c *collector) sampleBacklog(ctx context.Context) {
	s := BacklogSample{At: time.Since(c.began).Seconds(), Queues: c.queues(context.WithoutCancel(ctx))}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.backlog = append(c.backlog, s)
}
