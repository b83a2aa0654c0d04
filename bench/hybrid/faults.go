package hybrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/fault"
)

// resultFaults are the rates of the boundary's own send faults, the result
// event duplicated or delayed: higher than regd's per-send rates, so that a
// run's few dozen results meet them (at regd's 5% and 10%, a run of 35
// hand-offs had none).
var resultFaults = []struct {
	name string
	prob float64
}{{fault.DuplicatedSends, 0.3}, {fault.DelayedSends, 0.3}}

// sendFaultsOf returns the workers' and the bridge's --faults flag when
// regd's --faults has send faults: the result faults at their rates, with
// regd's max-delay and seed; nil otherwise (a run without them).
func sendFaultsOf(regd []string) []string {
	var parts []string
	faulted := false
	for part := range strings.SplitSeq(bench.FlagValue(regd, "faults"), ",") {
		part = strings.TrimSpace(part)
		switch name, _, _ := strings.Cut(part, "="); name {
		case fault.DuplicatedSends, fault.DelayedSends:
			faulted = true
		case "max-delay", "seed":
			parts = append(parts, part)
		}
	}
	if !faulted {
		return nil
	}
	for _, f := range resultFaults {
		parts = append(parts, f.name+"="+strconv.FormatFloat(f.prob, 'g', -1, 64))
	}
	return []string{"--faults", strings.Join(parts, ",")}
}

// scrapeFaults returns the faults the workers and the bridge injected, by
// fault, from their /metrics (tendlc_faults_injected_total) at urls: since
// each one's last start, so a count after a boundary kill is short. A
// process that does not answer is left out, and its error joined.
func scrapeFaults(ctx context.Context, urls []string) (map[string]float64, error) {
	out := map[string]float64{}
	var errs []error
	for _, u := range urls {
		m, err := scrapeOne(ctx, u)
		if err != nil {
			errs = append(errs, fmt.Errorf("scrape %s: %w", u, err))
			continue
		}
		for f, n := range m.By("tendlc_faults_injected_total", "fault", nil) {
			out[f] += n
		}
	}
	return out, errors.Join(errs...)
}

// scrapeOne reads the metrics at url.
func scrapeOne(ctx context.Context, url string) (bench.Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return bench.ParseMetrics(resp.Body)
}

// figures are legacy's figures of the run with the Temporal side's send
// faults added to the Faults section.
type figures struct {
	bench.Figures
	regd     []string           // the scenario's regd flags
	injected map[string]float64 // by the workers and the bridge
}

// Faults returns regd's injected faults and checks, then, when the run
// faulted the boundary (sendFaultsOf), the workers' and the bridge's result
// faults at their rates, with how often they were injected.
func (f figures) Faults() (map[string]float64, []bench.FaultCheck) {
	injected, checks := f.Figures.Faults()
	if sendFaultsOf(f.regd) == nil {
		return injected, checks
	}
	for _, p := range resultFaults {
		checks = append(checks, bench.FaultCheck{Fault: "workers and bridge " + p.name,
			Configured: strconv.FormatFloat(p.prob, 'g', -1, 64), Count: f.injected[p.name]})
	}
	return injected, checks
}

// MarshalJSON marshals legacy's figures, as report.json holds them.
func (f figures) MarshalJSON() ([]byte, error) { return json.Marshal(f.Figures) }
