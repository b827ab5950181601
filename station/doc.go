// Package station is the Case Viewer station server: the department's
// machine that keeps case documents encrypted at rest, knows officers, roles,
// devices and case teams, issues short-lived per-document grants, runs the
// access-request workflow, stores annotations and writes every access to the
// tamper-evident audit log (package audit).
//
// # Data folder
//
// [Init] creates a station in a folder: station.db (SQLite in WAL mode with
// full fsync), payloads/ (age ciphertext only, one file per document),
// tls/ (an ECDSA P-256 CA and the server certificate it issued), station.key
// (the Ed25519 key that signs manifests, grants, the station info, beacon
// answers and audit checkpoints), master.key (256 bits that encrypt document
// identities and annotation text in the database) and the audit checkpoint
// file. [Open] opens it; the admin operations ([Station.AddOfficer],
// [Station.IssueEnrollToken], [Station.AddDocument], ...) and the API share
// one [Station].
//
// # API
//
// [NewServer] serves the HTTPS API of package wire over TLS 1.3 only, with
// timeouts on every connection phase and idle connections dropped after an
// hour (CJIS SC-10). Its rules:
//
//   - Enrollment takes a single-use, expiring token and the device's Ed25519
//     and HPKE public keys with a proof of possession.
//   - Login needs the officer's password (Argon2id, RFC 9106 parameters) and
//     the device's signature over a fresh, single-use challenge bound to that
//     device. Five failures within fifteen minutes lock the account until an
//     administrator unlocks it (CJIS AC-7). Sessions are random tokens stored
//     only as hashes, ending after 30 minutes idle, 12 hours in all, or at
//     logout.
//   - Access to a case is case-team membership or an approved, unexpired
//     access grant. Evidence technicians, team technicians and annotate
//     grants may annotate. Supervisors decide requests for their unit's
//     cases, never their own, and read their unit's audit trails.
//   - Opening a document checks access, writes the audit record and only then
//     issues a bundle grant sealed to the device, expiring no later than the
//     session and the access grant. If the record cannot be written the open
//     is refused with wire.CodeAuditUnavailable (fail closed). Every decision,
//     allowed or denied, is audited.
//   - Requests from a revoked device get wire.CodeDeviceRevoked, so the
//     laptop wipes; its signed wipe receipt is still accepted and audited.
//
// Malformed input gets a 4xx status and a wire.Error; the fuzz targets in
// this package hold the handlers to that.
//
// The command line lives in package cli below this one; doc/station.md says
// how to run a station.
package station
