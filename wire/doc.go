// Package wire holds the JSON types that the Case Viewer station server and
// its clients exchange over HTTPS, the URL paths they use, the byte strings
// that device and station keys sign, and a strict JSON decoder that both
// sides use on untrusted input.
//
// # Transport
//
// Every endpoint is served over TLS 1.3 only. Requests and responses are JSON
// objects (Content-Type application/json) except the document payload, which
// is an opaque ciphertext stream (application/octet-stream). Byte fields
// ([]byte) travel as standard base64, times as RFC 3339 in UTC, durations as
// whole seconds.
//
// # First contact and enrollment
//
// The administrator reads out the station's CA fingerprint and public key
// and gives the user a one-time enrollment token. The client then:
//
//  1. connects without verifying the certificate, GETs [PathInfo], and
//     verifies it with [VerifyStationInfo] (pub nil), which also checks that
//     [SignedStationInfo.CACert] matches the fingerprint inside;
//  2. shows [Fingerprint] of the CA certificate and the station key, and
//     goes on only when the user confirms they match what was read out;
//  3. checks that the certificate the TLS connection presented chains to
//     that CA, pins the CA and the station key, and from then on verifies
//     every connection against the pinned CA only (TLS 1.3);
//  4. generates its Ed25519 and HPKE keys and POSTs an [EnrollRequest] with
//     a proof of possession; the [EnrollResponse] gives its device ID.
//
// # Authentication
//
// Station info, enrollment, the login challenge, login and wipe receipts are
// reachable without a session. Every other endpoint needs the header
//
//	Authorization: Bearer <session token>
//
// where the token comes from [LoginResponse]. A session is bound to the
// officer and the device that logged in; it ends on logout, after
// [IdleTimeout] without a request, or [AbsoluteTimeout] after login.
//
// # Errors
//
// Every failure is a 4xx or 5xx status with an [Error] body. Callers branch on
// [Error.Code] (the Code* constants), never on the message, which is a
// sentence meant for a person. A client that gets [CodeDeviceRevoked] must
// wipe.
//
// # Signatures
//
// Signed objects carry their payload as raw bytes (the JSON encoding of the
// inner type) next to an Ed25519 signature over a domain-separated message
// built by the *Message functions of this package, so that no JSON
// canonicalisation is needed: the verifier checks the signature over the
// exact bytes, then decodes them.
package wire
