package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"

	"github.com/tendlc/tendlc/handlers"
)

// alertsPath holds the alert rules on these metrics, in Grafana's alerting
// file provisioning format (JSON, which Grafana reads as it reads YAML).
const alertsPath = "../grafana/alerts.json"

// exprDatasource is the data source UID of Grafana's server-side
// expressions (threshold, reduce, math).
const exprDatasource = "__expr__"

// promDatasource is the Prometheus data source of every query: Grafana
// expands the environment variable when it provisions the file (README).
const promDatasource = "${TENDLC_PROMETHEUS_UID}"

// alertFile is Grafana's alerting provisioning file, version 1: the fields
// the rules here use. Unknown fields are refused, so a misspelt one (which
// Grafana would ignore) fails the test.
type alertFile struct {
	APIVersion int          `json:"apiVersion"`
	Groups     []alertGroup `json:"groups"`
}

type alertGroup struct {
	OrgID    int         `json:"orgId"`
	Name     string      `json:"name"`
	Folder   string      `json:"folder"`
	Interval string      `json:"interval"`
	Rules    []alertRule `json:"rules"`
}

type alertRule struct {
	UID          string            `json:"uid"`
	Title        string            `json:"title"`
	Condition    string            `json:"condition"`
	Data         []alertQuery      `json:"data"`
	NoDataState  string            `json:"noDataState"`
	ExecErrState string            `json:"execErrState"`
	For          string            `json:"for"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	IsPaused     bool              `json:"isPaused"`
	DashboardUID string            `json:"dashboardUid"`
	PanelID      int               `json:"panelId"`
}

type alertQuery struct {
	RefID             string `json:"refId"`
	RelativeTimeRange struct {
		From int `json:"from"`
		To   int `json:"to"`
	} `json:"relativeTimeRange"`
	DatasourceUID string `json:"datasourceUid"`
	Model         struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"` // a Prometheus query
		Instant    bool   `json:"instant"`
		Range      bool   `json:"range"`
		Type       string `json:"type"`       // an expression: its type
		Expression string `json:"expression"` // the refId it reads
		Datasource struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
		Conditions []struct {
			Evaluator struct {
				Type   string    `json:"type"`
				Params []float64 `json:"params"`
			} `json:"evaluator"`
		} `json:"conditions"`
	} `json:"model"`
}

func readAlerts(tb testing.TB) alertFile {
	tb.Helper()
	raw, err := os.ReadFile(alertsPath)
	if err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f alertFile
	if err := dec.Decode(&f); err != nil {
		tb.Fatalf("%s: %v", alertsPath, err)
	}
	return f
}

// rules returns every rule of the file.
func (f alertFile) rules() []alertRule {
	var out []alertRule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// query returns the rule's data entry refID.
func (r alertRule) query(refID string) (alertQuery, bool) {
	i := slices.IndexFunc(r.Data, func(q alertQuery) bool { return q.RefID == refID })
	if i < 0 {
		return alertQuery{}, false
	}
	return r.Data[i], true
}

// firesAbove returns the Prometheus query the rule's condition compares
// and the bound it fires above, when the condition is a single threshold
// "gt" on a query.
func (r alertRule) firesAbove() (expr string, bound float64, ok bool) {
	cond, found := r.query(r.Condition)
	if !found || cond.Model.Type != "threshold" || len(cond.Model.Conditions) != 1 {
		return "", 0, false
	}
	ev := cond.Model.Conditions[0].Evaluator
	q, found := r.query(cond.Model.Expression)
	if !found || ev.Type != "gt" || len(ev.Params) != 1 || q.Model.Expr == "" {
		return "", 0, false
	}
	return q.Model.Expr, ev.Params[0], true
}

// The rules are ones Grafana provisions (a file it would refuse fails here
// first), and they query only metrics and labels the code exports.
func TestAlertRulesAreValidAndQueryMetricsThatExist(t *testing.T) {
	f := readAlerts(t)
	if f.APIVersion != 1 {
		t.Errorf("apiVersion = %d, want 1", f.APIVersion)
	}
	if len(f.rules()) == 0 {
		t.Fatal("no alert rules")
	}
	reg, _ := populated(t)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]dto.MetricType{}
	labels := map[string][]string{}
	for _, fam := range families {
		types[fam.GetName()] = fam.GetType()
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(labels[fam.GetName()], l.GetName()) {
					labels[fam.GetName()] = append(labels[fam.GetName()], l.GetName())
				}
			}
		}
	}
	d := readDashboard(t)
	panels := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			panels[p.ID] = true
			walk(p.Panels)
		}
	}
	walk(d.Panels)

	uids := map[string]bool{}
	for _, g := range f.Groups {
		if g.Name == "" || g.Folder == "" {
			t.Errorf("group %q in folder %q: Grafana wants both a name and a folder", g.Name, g.Folder)
		}
		if _, err := model.ParseDuration(g.Interval); err != nil {
			t.Errorf("group %q: interval: %v", g.Name, err)
		}
		for _, r := range g.Rules {
			check := func(ok bool, format string, args ...any) {
				t.Helper()
				if !ok {
					t.Errorf("rule %q: "+format, append([]any{r.UID}, args...)...)
				}
			}
			check(r.UID != "" && len(r.UID) <= 40 && !uids[r.UID], "uid must be set, unique and at most 40 characters")
			uids[r.UID] = true
			check(r.Title != "", "no title")
			check(r.Annotations["summary"] != "" && r.Annotations["description"] != "", "wants a summary and a description that say what to do")
			check(slices.Contains([]string{"OK", "NoData", "Alerting", "KeepLast"}, r.NoDataState), "noDataState %q", r.NoDataState)
			check(slices.Contains([]string{"OK", "Error", "Alerting", "KeepLast"}, r.ExecErrState), "execErrState %q", r.ExecErrState)
			_, err := model.ParseDuration(r.For)
			check(err == nil, "for: %v", err)
			check(!r.IsPaused, "paused")
			if r.DashboardUID != "" {
				check(r.DashboardUID == d.UID && panels[r.PanelID], "links to panel %d of dashboard %q, which %s does not have", r.PanelID, r.DashboardUID, dashboardPath)
			}
			_, found := r.query(r.Condition)
			check(found, "condition %q names no data entry", r.Condition)
			for _, q := range r.Data {
				check(q.Model.RefID == q.RefID, "data %s: model refId %q", q.RefID, q.Model.RefID)
				if q.DatasourceUID == exprDatasource {
					_, found := r.query(q.Model.Expression)
					check(found && q.Model.Expression != q.RefID, "expression %s reads %q, which is no other data entry", q.RefID, q.Model.Expression)
					continue
				}
				check(q.DatasourceUID == promDatasource, "query %s reads data source %q, want %q", q.RefID, q.DatasourceUID, promDatasource)
				check(q.Model.Instant && !q.Model.Range, "query %s: want an instant query, which a threshold compares directly", q.RefID)
				check(q.RelativeTimeRange.From > 0, "query %s: relativeTimeRange.from must be set", q.RefID)
				names := metricNames(q.Model.Expr)
				check(len(names) > 0, "no metric in %q", q.Model.Expr)
				for _, name := range names {
					base, ok := exists(types, name)
					check(ok, "queries %s, which no collector registers", name)
					for _, l := range exprLabels(q.Model.Expr) {
						check(slices.Contains(labels[base], l), "%s has no label %q", base, l)
					}
				}
			}
		}
	}
}

// An expired API key, a withdrawn permission or a wrong base path makes every
// call to a downstream answer a 4xx that refuses nothing; the commands are
// retried, then dead-lettered, so someone must be told at once. The other
// rules cover what an operator must act on: dead letters, and the failed
// deletes and visibility extensions that cause duplicate work.
func TestAlertRulesCoverWhatNeedsAnOperator(t *testing.T) {
	fourXX := `increase(tendlc_downstream_calls_total{outcome="` + handlers.OutcomeClientError + `"}[5m])`
	want := map[string]bool{
		"tendlc_downstream_calls_total":              false,
		"tendlc_dead_letters_total":                  false,
		"tendlc_delete_failures_total":               false,
		"tendlc_visibility_extension_failures_total": false,
	}
	found4xx := false
	for _, r := range readAlerts(t).rules() {
		expr, bound, ok := r.firesAbove()
		if !ok {
			continue
		}
		for _, name := range metricNames(expr) {
			if _, listed := want[name]; listed && bound == 0 {
				want[name] = true
			}
		}
		if strings.Contains(expr, fourXX) && bound == 0 && r.For == "0m" {
			found4xx = true
		}
	}
	if !found4xx {
		t.Errorf("no rule fires at once when %s rises above 0", fourXX)
	}
	for name, covered := range want {
		if !covered {
			t.Errorf("no rule fires when %s rises above 0", name)
		}
	}
}

// matcherRe and groupingRe find the label names of label matchers
// (name{label="v"}) and of by/without lists.
var (
	matcherRe  = regexp.MustCompile(`\{([^}]*)\}`)
	labelRe    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	groupingRe = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// exprLabels returns the label names a PromQL expression matches on or
// groups by.
func exprLabels(expr string) []string {
	var out []string
	for _, m := range matcherRe.FindAllStringSubmatch(expr, -1) {
		for _, l := range labelRe.FindAllStringSubmatch(m[1], -1) {
			out = append(out, l[1])
		}
	}
	for _, m := range groupingRe.FindAllStringSubmatch(expr, -1) {
		for l := range strings.SplitSeq(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

func TestExprLabels(t *testing.T) {
	got := exprLabels(`sum by (queue, reason) (increase(x_total{outcome="4xx", kind=~"a|b"}[5m])) / without (le) (y)`)
	if want := []string{"outcome", "kind", "queue", "reason", "le"}; !slices.Equal(got, want) {
		t.Errorf("exprLabels = %q, want %q", got, want)
	}
}
