// Package audit is the station's tamper-evident audit log.
//
// Every request that touches case data, every access decision (allowed
// or denied), every login attempt and every administrative action is
// appended as a [Record] carrying the content that CJIS AU-3 and AU-3(1)
// ask for. Records are leaves of a Merkle tree (the RFC 6962 tree of
// golang.org/x/mod/sumdb/tlog, as the Go checksum database uses it), and
// the station periodically signs a [Checkpoint] of the tree's size and
// hash with its Ed25519 key as a note (golang.org/x/mod/sumdb/note).
//
// # Storage
//
// [Open] takes the station's *sql.DB (modernc.org/sqlite, WAL) and
// creates its own tables: records, stored tree hashes, checkpoints and a
// one-row state. [Log.Append] commits the record and its tree hashes in
// one immediate transaction with synchronous=FULL before it returns; if
// it cannot, it returns an error wrapping [ErrUnavailable] and the
// station must refuse the operation (fail closed). Checkpoints are
// signed every Config.CheckpointEvery records, on a timer, and on
// demand, and are also appended to Config.CheckpointFile so that cutting
// the database back is caught even if the checkpoint rows go with it.
//
// There is no API to delete or change records, and triggers refuse
// UPDATE and DELETE on the tables, so the one-year retention of AU-11
// holds by construction.
//
// # Verifying
//
// [Log.Verify] (or [VerifyDatabase] with only the verifier key)
// recomputes the tree from the record bytes and reports each problem
// with its record index: a deleted record, records swapped, bytes
// changed, the log cut back behind a checkpoint, and checkpoints whose
// signature does not verify.
//
// Clients need no database: [VerifyInclusion] checks a record against a
// signed checkpoint with a proof from [Log.ProveInclusion], and
// [VerifyConsistency] checks that a newer checkpoint extends an older
// one with a proof from [Log.ProveConsistency].
//
// The record encoding, checkpoint text and file format are specified in
// doc/audit-log.md.
package audit
