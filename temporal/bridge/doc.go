// Package bridge is the Temporal side of the hybrid hand-off (issue 19): a
// legacy replica run with --delegate evidence sends a campaign's opt-in
// evidence review as the command temporal.evidence_review to the temporal
// queue, and the bridge (regtemporal bridge) hands it to a workflow and the
// workflow's result back:
//
//   - [Drainer] consumes the temporal queue: each command starts the
//     DelegatedEvidence workflow with signal-with-start under an id derived
//     from the campaign and the command's event id, so a duplicate command
//     starts nothing new; a command whose workflow had ended re-sends its
//     result to the legacy events queue.
//   - [Status] answers the legacy sweeper's look-up, GET
//     /delegated/evidence/{campaignID}, in the registry's look-up format.
//   - [Sink] is the webhook handler's sink: the registry's evidence
//     decisions go to the campaign's running delegated workflow, every other
//     event to the legacy events queue.
package bridge
