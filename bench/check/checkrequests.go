package check

import "github.com/tendlc/tendlc/infra/tcr/tcrsim"

// requestFigures count the state-changing requests (POST and DELETE) the
// simulator received.
type requestFigures struct {
	ByOutcome map[tcrsim.RequestOutcome]int `json:"by_outcome"` // decided, resubmitted, repeated, lost, rate_limited, ...
	// Decided are the requests the simulator decided and kept: decided new
	// or anew (resubmitted).
	Decided int `json:"decided"`
	// Repeated were answered from an earlier request under the same key:
	// retries and duplicate sends, counted, not violations.
	Repeated int `json:"repeated"`
	// ResubmittedAfterLoss are the requests sent again under a new key
	// after the request before them was lost: the recoveries the rule
	// allows.
	ResubmittedAfterLoss int `json:"resubmitted_after_loss"`
}

// checkRequests proves that every state-changing request the simulator
// decided belongs to an existing record of its endpoint's kind (the path id),
// and that a request the simulator took for the same record again under a
// new key (resubmitted, or lost after a kept decision) followed a request it
// lost, with no kept decision in between: otherwise the downstream registered
// the record twice.
func (c *checker) checkRequests() {
	f := &c.res.Requests
	f.ByOutcome = map[tcrsim.RequestOutcome]int{}
	type place struct{ endpoint, id string }
	last := map[place]tcrsim.RequestOutcome{} // the outcome of the last decided, resubmitted or lost request
	for _, r := range c.in.Journal.Requests {
		if !changesState(r) {
			continue
		}
		f.ByOutcome[r.Outcome]++
		if r.Outcome == tcrsim.OutcomeRepeated {
			f.Repeated++
		}
		k := recordKey{requestKind(r), r.RecordID}
		if decided(r) {
			f.Decided++
			c.checked[ruleRequests]++
			switch {
			case k.kind == "":
				c.violate(ruleRequests, k, -1, "%s decided a request of no record kind: %s", r.Endpoint, requestLine(r))
			case c.records[k] == nil:
				c.violate(ruleRequests, k, -1, "orphan registration: %s decided a request for %s, which does not exist", r.Endpoint, k)
			}
		}
		p := place{r.Endpoint, r.RecordID}
		switch r.Outcome {
		case tcrsim.OutcomeDecided:
			last[p] = r.Outcome
		case tcrsim.OutcomeResubmitted, tcrsim.OutcomeLost:
			switch prev := last[p]; {
			case prev == tcrsim.OutcomeLost && r.Outcome == tcrsim.OutcomeResubmitted:
				f.ResubmittedAfterLoss++
			case prev == tcrsim.OutcomeDecided || prev == tcrsim.OutcomeResubmitted:
				c.violate(ruleRequests, k, -1, "resubmitted without a loss: %s took %s again under key %s (%s), but kept the request before it (%s)",
					r.Endpoint, r.RecordID, short(r.Key), r.Outcome, prev)
			case prev == "" && r.Outcome == tcrsim.OutcomeResubmitted:
				c.violate(ruleRequests, k, -1, "resubmitted without a loss: %s took %s again under key %s, but the journal has no request before it",
					r.Endpoint, r.RecordID, short(r.Key))
			}
			last[p] = r.Outcome
		}
	}
}
