// Package bundle implements Case Viewer's sealed case bundle format: how the
// station stores a case document and hands it to a laptop.
//
// The format is specified in doc/bundle-format.md. A bundle has three parts:
//
//   - The payload: the document's plaintext encrypted as a standard age v1 file
//     (filippo.io/age) to a per-document ML-KEM-768+X25519 hybrid identity, a
//     [DocumentIdentity]. Any age implementation decrypts it given that
//     identity; the identity never leaves the station.
//   - The manifest: what the payload is (case, document, title, media type,
//     sizes, plaintext SHA-256, creation time) in a canonical binary
//     encoding, signed with the station's Ed25519 key. See [Manifest].
//   - The grant: the payload's age file key sealed with HPKE
//     (ML-KEM-768+X25519, HKDF-SHA256, ChaCha20-Poly1305) to one device's
//     public key, bound to the officer, device, case, document, validity
//     window, scope and the manifest's hash, and signed by the station. See
//     [GrantContext] and [Grant].
//
// # Station side
//
// [SealDocument] encrypts a document, returning the payload, the signed
// manifest and the document identity, which the station keeps encrypted at
// rest. [IssueGrant] unwraps the payload's file key with that identity and
// seals it to one device for a limited time.
//
// # Laptop side
//
// [Open] checks the manifest and grant signatures, then the bindings between
// them and the device, then the validity window, then unwraps the file key,
// and returns a [Document]: an [io.ReaderAt] over the plaintext that
// authenticates every 64 KiB chunk before releasing any of its bytes.
// [Document.ReadAll] reads the whole document and also checks its SHA-256
// against the manifest.
//
// # Errors
//
// Every failure wraps one of the sentinel errors [ErrTampered], [ErrExpired],
// [ErrWrongDevice], [ErrWrongOfficer], [ErrUnsupportedVersion] or
// [ErrTooLarge], so that a caller can branch with [errors.Is]. Anything that
// cannot be checked is refused.
package bundle

//go:generate go test -tags vectorgen -run TestGenerateVectors
