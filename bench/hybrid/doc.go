// Package hybrid is issue 19's hybrid hand-off as a system under test of
// package bench: tendlc's regd replicas (package legacy's System, whose
// queues, table, records, checker inputs and figures it keeps) run flow v2
// with the evidence review delegated (regd --delegate evidence
// --bridge-url), and the Temporal side runs the step: the embedded server
// (package temporal's StartServer), workers that report the step's result
// to the run's events queue (regtemporal worker --prefix), and the bridge
// (regtemporal bridge), which drains the temporal queue and takes the
// simulator's webhooks.
//
// Beside the scenario's faults (the replicas' kill schedule, regd's fault
// layer, carriersim's), it injects the boundary's own (boundary): the
// bridge and a worker killed with SIGKILL on a schedule and started again,
// and the Temporal server killed once and restarted on its file. Its
// Handoff figures are the hand-off's latencies both ways and its
// duplicates, read from the records' audit and the DelegatedEvidence
// workflows (`regtemporal delegated`).
package hybrid
