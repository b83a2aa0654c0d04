package metrics

import "github.com/prometheus/client_golang/prometheus"

var faultsDesc = prometheus.NewDesc(namespace+"_faults_injected_total",
	"Faults the fault layer injected into the AWS clients, by fault (dup-send, fail-send, throttle, ...).", []string{"fault"}, nil)

// Faults returns the collector of tendlc_faults_injected_total that reads
// counts (the fault layer's Injector.Counts) at scrape time: for the
// processes other than regd whose clients a fault layer wraps.
func Faults(counts func() map[string]int64) prometheus.Collector { return faultCollector{counts} }

// faultCollector turns the fault layer's counts into counters at scrape time.
type faultCollector struct{ counts func() map[string]int64 }

func (c faultCollector) Describe(ch chan<- *prometheus.Desc) { ch <- faultsDesc }

func (c faultCollector) Collect(ch chan<- prometheus.Metric) {
	for fault, n := range c.counts() {
		ch <- prometheus.MustNewConstMetric(faultsDesc, prometheus.CounterValue, float64(n), fault)
	}
}
