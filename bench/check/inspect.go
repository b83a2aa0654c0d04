package check

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// timeout bounds reading a run's records and carriersim's journal.
const timeout = 2 * time.Minute

// History is every record of a run and every audit item of its records.
type History struct {
	Records []statemachine.Record
	Audit   []statemachine.AuditEntry
	// NoAudit says the system keeps no audit items at all (Input.NoAudit),
	// rather than none for these records.
	NoAudit bool
}

// Sources are where the checker reads a run.
type Sources struct {
	// History reads the run's records and audit items from the system under
	// test; its error fails the check.
	History func(ctx context.Context) (History, error)
	// Simulator is carriersim's base URL, which serves its journal.
	Simulator string
	// Rates is the system's limit per downstream group, per second.
	Rates map[string]float64
	// Settle is how long to wait between reading the history and reading
	// the journal (bench.Scenario.JournalSettle).
	Settle time.Duration
}

// Inspect reads the run's history, then, after src.Settle, carriersim's
// journal, and checks them. The history is read first, so that the webhook
// of every event a record applied is already in the journal read after it.
// A source that cannot be read fails the check: the result then says why.
func Inspect(ctx context.Context, src Sources) Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h, err := src.History(ctx)
	if err != nil {
		return Failed(fmt.Errorf("read the records: %w", err))
	}
	if src.Settle > 0 {
		t := time.NewTimer(src.Settle)
		select {
		case <-ctx.Done():
			t.Stop()
			return Failed(fmt.Errorf("wait for carriersim's held-back webhooks: %w", ctx.Err()))
		case <-t.C:
		}
	}
	j, err := fetchJournal(ctx, http.DefaultClient, src.Simulator)
	if err != nil {
		return Failed(err)
	}
	return check(Input{Records: h.Records, Audit: h.Audit, Journal: j, Rates: src.Rates, NoAudit: h.NoAudit})
}
