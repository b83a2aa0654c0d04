// Package message is tendlc's transport-free message kernel: the [Message] a
// consumer runtime hands to handlers, the [Handler] and [Middleware] shapes and
// [Chain], the outcomes a handler reports ([ErrDeferred], [DeferredError],
// [RejectedError], [PanicError], [RetryDelayer]), the one classification of a
// downstream's HTTP statuses ([ClassifyStatus], [StatusOf]), panic recovery
// ([Recover]), and what travels with a message in its context: the
// per-message logger ([WithLogger], [SetLogger], [LoggerFrom]) and the hooks
// run once it is deleted ([WithSettled], [OnSettled]).
//
// It imports no transport and no domain package, so that the dispatcher
// (package handlers), the retry policy (package retry) and the adapters
// (infra/sqsq, infra/tcr) share it without importing each other, as
// Watermill keeps its message package apart from its routers.
package message
