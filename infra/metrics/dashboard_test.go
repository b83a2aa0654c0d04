package metrics

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	dto "github.com/prometheus/client_model/go"
)

// dashboardPath is the Grafana dashboard built on these metrics; it is
// checked here, where a registry holding every metric is at hand.
const dashboardPath = "../grafana/tendlc.json"

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Panels  []panel
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Alert json.RawMessage `json:"alert"` // a legacy dashboard alert: must be absent
}

// readDashboard reads and decodes the dashboard.
func readDashboard(tb testing.TB) dashboard {
	tb.Helper()
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		tb.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		tb.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// exprs returns the PromQL expressions of every panel, rows' panels
// included, keyed by panel title.
func (d dashboard) exprs() map[string][]string {
	out := map[string][]string{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				out[p.Title] = append(out[p.Title], t.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

func TestDashboardQueriesOnlyMetricsThatExist(t *testing.T) {
	d := readDashboard(t)
	reg, _ := populated(t)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]dto.MetricType{}
	for _, f := range families {
		types[f.GetName()] = f.GetType()
	}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
	}
	for title, exprs := range d.exprs() {
		for _, expr := range exprs {
			found := metricNames(expr)
			if len(found) == 0 {
				t.Errorf("panel %q: no metric in %q", title, expr)
			}
			for _, name := range found {
				base, ok := exists(types, name)
				if !ok {
					t.Errorf("panel %q queries %s, which no collector registers", title, name)
				}
				used[base] = true
			}
		}
	}
	// Every metric should be on the dashboard, or it is not worth exporting.
	for name := range types {
		if !used[name] {
			t.Errorf("metric %s is on no panel", name)
		}
	}
}

// Grafana 11 removed the alerts kept in a dashboard panel (Grafana 10 ignores
// them under unified alerting): an alert there looks set up and never fires.
// Alert rules live in alertsPath.
func TestDashboardHoldsNoLegacyAlerts(t *testing.T) {
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Alert != nil {
				t.Errorf("panel %q holds a dashboard alert, which Grafana 11 ignores; put the rule in %s", p.Title, alertsPath)
			}
			walk(p.Panels)
		}
	}
	walk(readDashboard(t).Panels)
}

// exists reports whether name is a metric of types, or the _bucket, _sum or
// _count series of a histogram there, and returns the metric's name.
func exists(types map[string]dto.MetricType, name string) (string, bool) {
	if _, ok := types[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if ok && types[base] == dto.MetricType_HISTOGRAM {
			return base, true
		}
	}
	return name, false
}

// promqlWords are the PromQL keywords and aggregation operators that can
// stand where a metric name could ("sum by (x) (...)").
var promqlWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right",
	"bool", "and", "or", "unless", "offset", "inf", "nan",
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio"}

// labelLists are the keywords followed by a parenthesised list of label
// names.
var labelLists = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// metricNames returns the metric names a PromQL expression selects, in
// order: the identifiers outside strings, label matchers ({...}), ranges
// ([...]) and label lists that are neither keywords nor function names
// (followed by an opening parenthesis), nor Grafana variables ($name).
func metricNames(expr string) []string {
	var names []string
	rs := []rune(expr)
	isStart := func(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) }
	isPart := func(r rune) bool { return isStart(r) || unicode.IsDigit(r) }
	skipTo := func(i int, end rune) int {
		for i++; i < len(rs) && rs[i] != end; i++ {
			if rs[i] == '\\' {
				i++
			}
		}
		return i
	}
	nextNonSpace := func(i int) int {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
		return i
	}
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '"' || r == '\'' || r == '`':
			i = skipTo(i, r)
		case r == '{':
			i = skipTo(i, '}')
		case r == '[':
			i = skipTo(i, ']')
		case r == '$' || unicode.IsDigit(r) || r == '.':
			// A variable, a number or a duration: skip the word.
			for i+1 < len(rs) && (isPart(rs[i+1]) || rs[i+1] == '.') {
				i++
			}
		case isStart(r):
			j := i
			for j < len(rs) && isPart(rs[j]) {
				j++
			}
			word := string(rs[i:j])
			next := nextNonSpace(j)
			switch {
			case slices.Contains(labelLists, word) && next < len(rs) && rs[next] == '(':
				j = skipTo(next, ')') + 1
			case slices.Contains(promqlWords, strings.ToLower(word)):
			case next < len(rs) && rs[next] == '(':
				// A function or an aggregation.
			default:
				names = append(names, word)
			}
			i = j - 1
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`tendlc_records`, []string{"tendlc_records"}},
		{`sum by (queue, outcome) (rate(tendlc_messages_handled_total{outcome="error"}[$__rate_interval]))`,
			[]string{"tendlc_messages_handled_total"}},
		{`histogram_quantile(0.99, sum by (le) (rate(tendlc_handler_duration_seconds_bucket[5m])))`,
			[]string{"tendlc_handler_duration_seconds_bucket"}},
		{`sum(rate(a_sum[1m])) by (x) / on (x) group_left (y) sum(rate(b_count[1m])) > bool 0`, []string{"a_sum", "b_count"}},
		{`time() - max(tendlc_sweeper_last_success_timestamp_seconds offset 5m)`,
			[]string{"tendlc_sweeper_last_success_timestamp_seconds"}},
		{`up{job="by (x)"} or on() vector(1e3)`, []string{"up"}},
		{`tendlc_transitions_totl`, []string{"tendlc_transitions_totl"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestExistsKnowsHistogramSeries(t *testing.T) {
	types := map[string]dto.MetricType{"h_seconds": dto.MetricType_HISTOGRAM, "c_total": dto.MetricType_COUNTER}
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"h_seconds", true}, {"h_seconds_bucket", true}, {"h_seconds_sum", true}, {"h_seconds_count", true},
		{"c_total", true}, {"c_total_count", false}, {"missing", false},
	} {
		if _, got := exists(types, tt.name); got != tt.want {
			t.Errorf("exists(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
