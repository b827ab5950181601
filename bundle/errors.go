package bundle

import "errors"

// Sentinel errors. Every error returned by this package while parsing or
// opening a bundle wraps exactly one of them (or an I/O error of the
// caller's payload reader, or a context error).
var (
	// ErrTampered means a signature, a MAC, an authentication tag, a
	// binding between manifest, grant and payload, or the encoding itself
	// did not check out. The bundle must not be used.
	ErrTampered = errors.New("bundle: tampered or malformed")

	// ErrExpired means the grant is outside its validity window: after its
	// expiry, or (beyond the allowed clock skew) before its issue time.
	ErrExpired = errors.New("bundle: grant expired or not yet valid")

	// ErrWrongDevice means the grant was issued to another device, or the
	// device's HPKE key cannot unwrap it.
	ErrWrongDevice = errors.New("bundle: grant is for another device")

	// ErrWrongOfficer means the grant names another officer than the one
	// the caller expects (see OpenOptions.OfficerID).
	ErrWrongOfficer = errors.New("bundle: grant is for another officer")

	// ErrUnsupportedVersion means a validly signed manifest or grant uses a
	// format version or cipher suite this package does not implement.
	ErrUnsupportedVersion = errors.New("bundle: unsupported format version")

	// ErrTooLarge means an input or a field exceeds a size limit of the
	// format.
	ErrTooLarge = errors.New("bundle: too large")

	// ErrClosed means the Document was closed.
	ErrClosed = errors.New("bundle: document closed")
)
