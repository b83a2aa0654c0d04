package statemachine

import "time"

// StuckQuery selects the records of one kind that have been waiting in one
// watched state since Cutoff or earlier: the sweeper's question to a record
// store.
type StuckQuery struct {
	Kind   Kind
	State  State     // a state of Kind the sweeper watches ([IsWatched])
	Cutoff time.Time // the wait started at or before (Record.WaitSince)
}

// Stuck is what a search for stuck records found, and what finding it cost.
type Stuck struct {
	Records []Record
	// Examined counts the items the store read to find them, matching or
	// not: what the search is billed for.
	Examined int64
	// ReadUnits is the read capacity the search consumed.
	ReadUnits float64
}
