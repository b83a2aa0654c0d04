// Package dynamo stores tendlc's records and their audit trail in the one
// DynamoDB table that infra/resources defines, and provisions that table.
//
// Each record is one item (pk "<kind>#<id>", sk "record"); each change to it
// writes an audit item (same pk, sk "audit#<version>", or for a note, which
// makes no version, "audit#<version>#<decided at>#<hash>": NoteSK) in the
// same transaction. Writes are conditional on the state and version the
// caller read, so two writers deciding from the same read cannot both win:
// the loser gets a *statemachine.ConflictError and decides again from a fresh
// read.
//
// Two sparse global secondary indexes serve the other readers, each
// projecting only what its reader uses, since every write that changes a
// projected attribute rewrites the item's copy in the index: "waiting_keys"
// holds the keys of the records in a waiting state, sorted by the start of
// their wait (the sweeper's query for stuck records, which then reads the
// records themselves with a consistent BatchGetItem), and "children" lists the
// kind, id and state of a brand's campaigns and a campaign's numbers. [Store.Dump] reads the whole table, every record
// and audit item decoded, for a checker of a finished run.
//
// A [Limiter] spaces the calls of every process to a downstream through a
// schedule item per downstream: each process leases slots from it with
// conditional writes, in batches when the rate allows, and hands them out to
// its callers.
//
// Every request asks DynamoDB for the capacity it consumed and adds it to a
// [Meter], which cost reporting reads.
package dynamo
