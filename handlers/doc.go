// Package handlers turns queue messages into record changes: the dispatcher
// that reads a record, decides with the state machine, writes the transition
// with its audit item, sends the follow-ups and acknowledges; the outbound
// handler that calls a downstream under its shared rate limit and turns the
// answer into an event; and the Logging middleware that builds each
// message's logger from the envelope ids its attributes mirror.
//
// The message and handler shapes, the middleware chain and the outcome errors
// they return are in package message, which the adapters import too.
package handlers
