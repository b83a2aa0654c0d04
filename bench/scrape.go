package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// series is one counter (or one histogram part: a bucket, the sum or the
// count) of a scrape.
type series struct {
	name   string
	labels map[string]string
}

// key names a series uniquely: name{label="value",...} with sorted labels.
func (s series) key() string {
	var b strings.Builder
	b.WriteString(s.name)
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(s.labels)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, s.labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Metrics are the counters and histograms of a /metrics answer, or of
// several added up, by series key. A System reads its figures from them
// (System.Figures) by metric name and labels.
type Metrics map[string]sample

type sample struct {
	series
	value float64
}

// scrapeMetrics reads the counters and histograms a replica serves at url
// (ParseMetrics).
func scrapeMetrics(ctx context.Context, client *http.Client, url string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: HTTP %d", url, resp.StatusCode)
	}
	return ParseMetrics(resp.Body)
}

// ParseMetrics reads the Prometheus text format: counters become one series
// each, a histogram its _bucket (with le), _sum and _count series. Gauges and
// summaries are left out: they do not add up across restarts. Its error is
// the text parser's.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	out := Metrics{}
	add := func(name string, labels map[string]string, v float64) {
		s := sample{series{name, labels}, v}
		out[s.key()] = s
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, labels, m.GetCounter().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				add(name+"_sum", labels, h.GetSampleSum())
				add(name+"_count", labels, float64(h.GetSampleCount()))
				for _, b := range h.GetBucket() {
					bl := maps.Clone(labels)
					bl["le"] = formatBound(b.GetUpperBound())
					add(name+"_bucket", bl, float64(b.GetCumulativeCount()))
				}
				inf := maps.Clone(labels)
				inf["le"] = "+Inf"
				add(name+"_bucket", inf, float64(h.GetSampleCount()))
			}
		}
	}
	return out, nil
}

func formatBound(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// accumulator adds up the counters of one replica over its incarnations: a
// replica killed and started again begins from zero, so the totals of the
// incarnations that ended are kept in base. A counter that goes down without
// a known restart is taken for a reset too (the process restarted between
// two scrapes).
type accumulator struct {
	base Metrics // incarnations that ended
	last Metrics // the latest scrape of the current incarnation
}

func newAccumulator() *accumulator { return &accumulator{base: Metrics{}, last: Metrics{}} }

// observe takes a scrape of the current incarnation.
func (a *accumulator) observe(s Metrics) {
	for k, v := range s {
		if prev, ok := a.last[k]; ok && v.value < prev.value {
			a.addBase(prev)
		}
		a.last[k] = v
	}
}

// restart ends the current incarnation: its last scrape becomes part of the
// base, and the next scrape counts from zero.
func (a *accumulator) restart() {
	for _, v := range a.last {
		a.addBase(v)
	}
	a.last = Metrics{}
}

func (a *accumulator) addBase(v sample) {
	b, ok := a.base[v.key()]
	if !ok {
		b = sample{series: v.series}
	}
	b.value += v.value
	a.base[v.key()] = b
}

// total returns base plus the current incarnation.
func (a *accumulator) total() Metrics { return merge(a.base, a.last) }

// merge adds scrapes up, series by series (the replicas of a run).
func merge(scrapes ...Metrics) Metrics {
	out := Metrics{}
	for _, s := range scrapes {
		for k, v := range s {
			t, ok := out[k]
			if !ok {
				t = sample{series: v.series}
			}
			t.value += v.value
			out[k] = t
		}
	}
	return out
}

// Sum adds the series of name whose labels include match.
func (s Metrics) Sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, v := range s {
		if v.name == name && matches(v.labels, match) {
			total += v.value
		}
	}
	return total
}

// By adds the series of name whose labels include match, grouped by the
// value of label.
func (s Metrics) By(name, label string, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, v := range s {
		if v.name == name && matches(v.labels, match) {
			out[v.labels[label]] += v.value
		}
	}
	return out
}

func matches(labels, match map[string]string) bool {
	for k, want := range match {
		if labels[k] != want {
			return false
		}
	}
	return true
}

// HistogramLatency returns the count, mean and estimated quantiles of the
// histogram of name whose labels include match (see histogram.summary).
func (s Metrics) HistogramLatency(name string, match map[string]string) Latency {
	return s.histogram(name, match).summary()
}

// histogram returns the histogram of name whose labels include match, the
// series of every other label value added up.
func (s Metrics) histogram(name string, match map[string]string) histogram {
	h := histogram{Count: s.Sum(name+"_count", match), Sum: s.Sum(name+"_sum", match)}
	for le, n := range s.By(name+"_bucket", "le", match) {
		bound := math.Inf(1)
		if le != "+Inf" {
			var err error
			if bound, err = strconv.ParseFloat(le, 64); err != nil {
				continue
			}
		}
		h.Buckets = append(h.Buckets, bucket{UpperBound: bound, Count: n})
	}
	slices.SortFunc(h.Buckets, func(a, b bucket) int { return cmp.Compare(a.UpperBound, b.UpperBound) })
	return h
}
