// Package temporal is the Temporal side of issue 17, the registration flow
// as Temporal workflows (the nested module temporal/), as a system under
// test of package bench, driven through the `regtemporal` binary: the root
// module does not import the Temporal SDK, so that the baseline's module
// stays lean.
//
// System starts the embedded Temporal server on SQLite (`regtemporal
// server`, its file under the run's directory), the webhook receiver that
// signals workflows (`regtemporal webhook`) and the workers (`regtemporal
// worker`, the kill schedule's replicas), each with the regd flags of the
// scenario that the worker takes too (rates, recovery policy, time and
// retry scales); regd's own flags, its SQS and DynamoDB fault layer above
// all, have no counterpart and the report lists them. It seeds the load
// with `regtemporal seed` and reads campaigns, task queue backlogs and
// records with `regtemporal campaigns`, `backlog` and `history`, whose JSON
// it parses. In a run that kills workers it also kills the server once with
// SIGKILL, at half the kill interval, and starts it again on the same file
// and port: the fault only this side has.
//
// The records carry no audit items (a workflow's event history is its
// audit), so the checker runs without its history rule
// (check.History.NoAudit). Its Figures are the workflows started and closed
// (per kind and per interval, from the records), schedule-to-start and
// backlog per task queue and the calls to the server (from the workers' SDK
// metrics, temporal_*), and the server's restart.
package temporal
