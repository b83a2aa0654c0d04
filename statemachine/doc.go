// Package statemachine is the domain of tendlc: the three record kinds of US A2P
// 10DLC registration (brand, campaign, number), their states and events, the
// looplab/fsm tables that move a record between states, and the disposition of
// every (state, event) pair: transition, ignore, defer or reject.
//
// It imports no AWS package and does no I/O. Handlers load a record, call
// [Decide], write what it returns and send the messages it emits. The
// sweeper finds stuck records with a [StuckQuery] (a record store answers
// with [Stuck]) and asks [Redrive] what to do with each.
package statemachine
