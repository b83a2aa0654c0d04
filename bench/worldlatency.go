package bench

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

// productionLatencies are the production delays of carriersim's steps
// (tcrsim.Steps; carriersim draws each uniformly between Min and Max), from
// the request to its webhook, for profiles that scale time uniformly. The
// figures come from the project's domain reference (DOMAIN.md) where it
// gives one:
//   - registry (brand identity, CAMPAIGN_ADD): "within minutes": 1-10 min;
//   - revet (external secondary vetting): 30 s to 24 h;
//   - reviewer (manual vetting): "often days": 1-3 days;
//   - T-Mobile: its published SLA, instant to 24 h: 1 min-24 h;
//   - AT&T and Verizon: the published SLA is 1 to 3 days and "delays of
//     weeks happen": 1-5 days, so some reviews run two days past the SLA;
//   - numbers: DOMAIN.md only says registration "can be delayed"; 1 min-2 h
//     is this harness's assumption;
//   - evidence (flow v2's review of a campaign's opt-in evidence by the
//     registry): a manual review like the reviewer's, 1-3 days, this
//     harness's assumption too.
var productionLatencies = map[tcrsim.Step]tcrsim.Latency{
	tcrsim.StepRegistry: {Min: time.Minute, Max: 10 * time.Minute},
	tcrsim.StepRevet:    {Min: 30 * time.Second, Max: 24 * time.Hour},
	tcrsim.StepReviewer: {Min: day, Max: 3 * day},
	tcrsim.StepEvidence: {Min: day, Max: 3 * day},
	tcrsim.StepTMobile:  {Min: time.Minute, Max: 24 * time.Hour},
	tcrsim.StepATT:      {Min: day, Max: 5 * day},
	tcrsim.StepVerizon:  {Min: day, Max: 5 * day},
	tcrsim.StepNumbers:  {Min: time.Minute, Max: 2 * time.Hour},
}

// latencyArg returns carriersim's --latency value for production ranges
// multiplied by scale, steps in name order: with scale 10/86400 (1 day =
// 10 s), "att=10s-50s,...,registry=7ms-69ms,...". It writes min-max also
// when the two are equal (tcrsim.Latency's String would write one).
func latencyArg(production map[tcrsim.Step]tcrsim.Latency, scale float64) string {
	parts := make([]string, 0, len(production))
	for _, step := range slices.Sorted(maps.Keys(production)) {
		r := production[step]
		parts = append(parts, string(step)+"="+scaleDuration(r.Min, scale).String()+"-"+scaleDuration(r.Max, scale).String())
	}
	return strings.Join(parts, ",")
}

// scaleDuration returns d multiplied by scale, rounded to the millisecond:
// finer than carriersim's timers and HTTP round trips can honour, and short
// to read. A positive d stays at least 1 ms, so no step becomes instant.
func scaleDuration(d time.Duration, scale float64) time.Duration {
	s := time.Duration(float64(d) * scale).Round(time.Millisecond)
	if s <= 0 && d > 0 {
		return time.Millisecond
	}
	return s
}
