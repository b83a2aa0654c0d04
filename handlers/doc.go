// Package handlers turns queue messages into record changes: the message and
// handler shape shared by every consumer, the middleware chain, and the
// dispatcher that reads a record, decides with the state machine, writes the
// transition with its audit item, sends the follow-ups and acknowledges.
package handlers
