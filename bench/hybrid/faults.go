package hybrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/fault"
)

// sendFaults are the faults of regd's --faults that the workers and the
// bridge inject too, into their sends to the events queue: the result
// event duplicated or delayed.
var sendFaults = []string{fault.DuplicatedSends, fault.DelayedSends, "max-delay", "seed"}

// sendFaultsOf returns the part of the --faults of regd's flags that the
// workers and the bridge take (sendFaults), as regtemporal's --faults
// flag, or nil when it names none.
func sendFaultsOf(regd []string) []string {
	var parts []string
	for part := range strings.SplitSeq(bench.FlagValue(regd, "faults"), ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
		if slices.Contains(sendFaults, name) {
			parts = append(parts, strings.TrimSpace(part))
		}
	}
	if len(parts) == 0 {
		return nil
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

// Faults returns regd's injected faults and checks, then the workers' and
// the bridge's: each send fault of regd's --faults, configured as regd's,
// with how often the Temporal side injected it.
func (f figures) Faults() (map[string]float64, []bench.FaultCheck) {
	injected, checks := f.Figures.Faults()
	cfg, err := fault.Parse(bench.FlagValue(f.regd, "faults"))
	if err != nil {
		return injected, checks
	}
	for _, p := range []struct {
		name string
		prob float64
	}{{fault.DuplicatedSends, cfg.DuplicateSend}, {fault.DelayedSends, cfg.DelaySend}} {
		if p.prob > 0 {
			checks = append(checks, bench.FaultCheck{Fault: "workers and bridge " + p.name,
				Configured: strconv.FormatFloat(p.prob, 'g', -1, 64), Count: f.injected[p.name]})
		}
	}
	return injected, checks
}

// MarshalJSON marshals legacy's figures, as report.json holds them.
func (f figures) MarshalJSON() ([]byte, error) { return json.Marshal(f.Figures) }
