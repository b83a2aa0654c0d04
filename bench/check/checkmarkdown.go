package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SummaryViolations caps the violations summary.md shows; report.json and
// `regbench check` show them all.
const SummaryViolations = 20

// WriteMarkdown renders the verdict as summary.md's "## Checker" section: the
// verdict, the rules with their counts, the figures behind them, and up to
// limit violations (all for limit < 0), each with its record, audit items
// and the simulator's lines.
func (r Result) WriteMarkdown(b *strings.Builder, limit int) {
	in := r.Inputs
	b.WriteString("\n## Checker\n\n")
	audit, rules := fmt.Sprintf("%d audit items", in.AuditItems), "every rule"
	if in.NoAudit {
		audit, rules = "the system keeps no audit items", "every applicable rule"
	}
	inputs := fmt.Sprintf("%d records (%s) and carriersim's journal (%d requests, %d webhook deliveries)",
		in.Records, audit, in.Requests, in.WebhookDeliveries)
	switch {
	case r.Error != "":
		fmt.Fprintf(b, "**Could not check**: %s. Nothing is proved, so the check fails.\n", r.Error)
		return
	case r.Passed:
		fmt.Fprintf(b, "**Passed**: %s holds over %s.\n", rules, inputs)
	default:
		fmt.Fprintf(b, "**Failed**: %s over %s.\n", plural(len(r.Violations), "violation"), inputs)
	}

	b.WriteString("\n| rule | a pass proves | checked | violations |\n|---|---|---:|---:|\n")
	for _, rr := range r.Rules {
		if rr.NotApplicable != "" {
			fmt.Fprintf(b, "| %s | %s | %s | – |\n", rr.Rule, rr.Proves, rr.NotApplicable)
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %d %s | %d |\n", rr.Rule, rr.Proves, rr.Checked, rr.Unit, rr.Violations)
	}

	q := r.Requests
	fmt.Fprintf(b, "\nDownstream requests (POST and DELETE): %d decided and kept, %d resubmitted after a loss, %d repeated under the same key",
		q.Decided, q.ResubmittedAfterLoss, q.Repeated)
	if outcomes := countList(q.ByOutcome); outcomes != "" {
		fmt.Fprintf(b, "; by outcome: %s", outcomes)
	}
	b.WriteString(".\n")
	w := r.Webhooks
	traced := fmt.Sprintf("%d audit items written by webhook events, each traced back to its webhook", w.FromWebhooks)
	if in.NoAudit {
		traced = "applied events not traced back to their webhooks (no audit items)"
	}
	fmt.Fprintf(b, "Webhook events: %d (deliveries: %s): applied %d, stale in the record's final state %d, superseded %d, informational %d, vanished %d; %s.\n",
		w.Events, countList(w.Deliveries), w.Applied, w.Ignorable, w.Superseded, w.Informational, w.Vanished, traced)
	fmt.Fprintf(b, "World: %d settled records compared with the simulator's decisions (%d never answered, so FAILED 30901); %d not settled, not compared.\n",
		r.World.Settled, r.World.Unanswered, r.World.Unsettled)

	b.WriteString("\n| downstream | regd's rate per second | requests received | most in ten seconds | most in one second |\n|---|---:|---:|---:|---:|\n")
	for _, f := range r.Rates {
		fmt.Fprintf(b, "| %s | %g | %d | %d | %d |\n", f.Group, f.Limit, f.Requests, f.MaxPerWindow, f.MaxPerSecond)
	}

	if len(r.Violations) == 0 {
		return
	}
	b.WriteString("\n### Violations\n\n")
	shown := r.Violations
	if limit >= 0 && len(shown) > limit {
		shown = shown[:limit]
		fmt.Fprintf(b, "The first %d of %d; report.json has every one.\n\n", limit, len(r.Violations))
	}
	for i, v := range shown {
		if i > 0 {
			b.WriteString("\n")
		}
		subject := ""
		if v.RecordID != "" {
			subject = fmt.Sprintf(" %s `%s`", v.Kind, v.RecordID)
		}
		fmt.Fprintf(b, "%d. **%s**%s: %s\n", i+1, v.Rule, subject, v.Problem)
		if rec := v.Record; rec != nil {
			fmt.Fprintf(b, "\n   record: %s, version %d", rec.State, rec.Version)
			if rec.ParentID != "" {
				fmt.Fprintf(b, ", parent %s", rec.ParentID)
			}
			if rec.Reason != nil {
				fmt.Fprintf(b, ", reason %s", reasonText(*rec.Reason))
			}
			if len(rec.Carriers) > 0 {
				var cs []string
				for _, c := range slices.Sorted(maps.Keys(rec.Carriers)) {
					cs = append(cs, fmt.Sprintf("%s %s", c, rec.Carriers[c]))
				}
				fmt.Fprintf(b, ", carriers %s", strings.Join(cs, ", "))
			}
			fmt.Fprintf(b, ", last message %s\n", short(rec.LastMessageID))
		}
		if len(v.Audit)+len(v.Simulator) > 0 {
			b.WriteString("\n   ```\n")
			writeBlock(b, "audit", v.Audit)
			writeBlock(b, "simulator", v.Simulator)
			b.WriteString("   ```\n")
		}
	}
}

// writeBlock writes a titled list of lines inside a list item's code block.
func writeBlock(b *strings.Builder, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "   %s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(b, "   %s\n", l)
	}
}

// countList writes counts by name, sorted: "delivered 12, dropped 1".
func countList[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
