package bundle

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// Version is the format version this package writes and reads, for both
// manifests and grants.
const Version = 1

// Size limits of the format. Inputs above them are refused with ErrTooLarge.
const (
	// MaxManifestSize is the largest signed manifest accepted.
	MaxManifestSize = 4096
	// MaxGrantSize is the largest signed grant accepted.
	MaxGrantSize = 4096
	// MaxPlaintextSize is the largest document accepted: 1 GiB.
	MaxPlaintextSize = 1 << 30
	// MaxPayloadSize is the largest payload accepted: MaxPlaintextSize plus
	// room for the age header and per-chunk tags.
	MaxPayloadSize = MaxPlaintextSize + 1<<20
)

// Limits of the manifest's text fields, in bytes of UTF-8.
const (
	maxCaseNumber = 64
	maxDocumentID = 128
	maxTitle      = 1024
	maxMediaType  = 127
)

var manifestMagic = []byte("\x89CVM\r\n\x1a\n")

// Manifest describes one sealed document. It is encoded canonically (one
// byte sequence per manifest, see doc/bundle-format.md) and signed by the
// station.
type Manifest struct {
	// Version is the format version; SealDocument sets it to Version.
	Version int
	// CaseNumber is the case the document belongs to (1 to 64 bytes).
	CaseNumber string
	// DocumentID identifies the document at the station (1 to 128 bytes).
	DocumentID string
	// Title is the document's title for display (0 to 1024 bytes).
	Title string
	// MediaType is the document's media type, such as "application/pdf"
	// (1 to 127 bytes).
	MediaType string
	// PlaintextSize is the document's size in bytes.
	PlaintextSize int64
	// PlaintextSHA256 is the SHA-256 of the document's plaintext.
	PlaintextSHA256 [32]byte
	// PayloadSize is the size in bytes of the age file that holds the
	// document.
	PayloadSize int64
	// CreatedAt is when the station sealed the document. It is kept to the
	// nanosecond, in UTC, between 1970 and 2262.
	CreatedAt time.Time
}

// validate checks every field against the format's rules.
func (m *Manifest) validate() error {
	if m.Version != Version {
		return fmt.Errorf("%w: manifest version %d", ErrUnsupportedVersion, m.Version)
	}
	for _, f := range []struct {
		name     string
		v        string
		min, max int
	}{
		{"case number", m.CaseNumber, 1, maxCaseNumber},
		{"document ID", m.DocumentID, 1, maxDocumentID},
		{"title", m.Title, 0, maxTitle},
		{"media type", m.MediaType, 1, maxMediaType},
	} {
		if err := checkText(f.name, f.v, f.min, f.max); err != nil {
			return fmt.Errorf("bundle: manifest: %w", err)
		}
	}
	if m.PlaintextSize < 0 || m.PlaintextSize > MaxPlaintextSize {
		return fmt.Errorf("%w: plaintext size %d (limit %d)", ErrTooLarge, m.PlaintextSize, MaxPlaintextSize)
	}
	if m.PayloadSize <= m.PlaintextSize || m.PayloadSize > MaxPayloadSize {
		return fmt.Errorf("%w: payload size %d for plaintext size %d", ErrTooLarge, m.PayloadSize, m.PlaintextSize)
	}
	if err := checkTime("created-at", m.CreatedAt); err != nil {
		return fmt.Errorf("bundle: manifest: %w", err)
	}
	return nil
}

// appendBody appends the manifest's canonical body (everything the
// signature covers). m must be valid.
func (m *Manifest) appendBody(b []byte) []byte {
	e := encoder{b}
	e.raw(manifestMagic)
	e.u16(uint16(m.Version))
	e.str(m.CaseNumber)
	e.str(m.DocumentID)
	e.str(m.Title)
	e.str(m.MediaType)
	e.u64(uint64(m.PlaintextSize))
	e.raw(m.PlaintextSHA256[:])
	e.u64(uint64(m.PayloadSize))
	e.time(m.CreatedAt)
	return e.b
}

// signManifest validates m and returns its signed encoding.
func signManifest(m *Manifest, station ed25519.PrivateKey) ([]byte, error) {
	if len(station) != ed25519.PrivateKeySize {
		return nil, errors.New("bundle: station signing key has the wrong size")
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	body := m.appendBody(make([]byte, 0, 256))
	return append(body, ed25519.Sign(station, body)...), nil
}

// parseManifestBody decodes a manifest body whose signature was already
// checked (or which a fuzz test feeds directly). It enforces canonical form:
// parsing then re-encoding gives the same bytes.
func parseManifestBody(body []byte) (*Manifest, error) {
	d := decoder{b: body}
	magic := d.take(len(manifestMagic), "magic")
	if d.err != nil || string(magic) != string(manifestMagic) {
		return nil, fmt.Errorf("%w: not a case bundle manifest", ErrTampered)
	}
	m := &Manifest{}
	m.Version = int(d.u16("version"))
	if d.err == nil && m.Version != Version {
		return nil, fmt.Errorf("%w: manifest version %d", ErrUnsupportedVersion, m.Version)
	}
	m.CaseNumber = d.str("case number", 1, maxCaseNumber)
	m.DocumentID = d.str("document ID", 1, maxDocumentID)
	m.Title = d.str("title", 0, maxTitle)
	m.MediaType = d.str("media type", 1, maxMediaType)
	plain := d.u64("plaintext size")
	copy(m.PlaintextSHA256[:], d.take(32, "plaintext SHA-256"))
	payload := d.u64("payload size")
	m.CreatedAt = d.time("created-at")
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes of trailing data in manifest", ErrTampered, len(d.b))
	}
	if plain > MaxPlaintextSize || payload > MaxPayloadSize {
		return nil, fmt.Errorf("%w: manifest sizes %d/%d", ErrTooLarge, plain, payload)
	}
	m.PlaintextSize, m.PayloadSize = int64(plain), int64(payload)
	if m.PayloadSize <= m.PlaintextSize {
		return nil, fmt.Errorf("%w: payload size %d not above plaintext size %d", ErrTampered, m.PayloadSize, m.PlaintextSize)
	}
	return m, nil
}

// ParseManifest verifies a signed manifest with the station's public key and
// decodes it. It checks, in order: the size limit (ErrTooLarge), the
// signature (ErrTampered), the version (ErrUnsupportedVersion) and the
// canonical encoding (ErrTampered).
func ParseManifest(signedManifest []byte, station ed25519.PublicKey) (*Manifest, error) {
	if len(signedManifest) > MaxManifestSize {
		return nil, fmt.Errorf("%w: manifest is %d bytes (limit %d)", ErrTooLarge, len(signedManifest), MaxManifestSize)
	}
	body, err := verifySigned(signedManifest, station, "manifest")
	if err != nil {
		return nil, err
	}
	return parseManifestBody(body)
}

// verifySigned splits body||signature and checks the Ed25519 signature.
func verifySigned(signed []byte, station ed25519.PublicKey, what string) ([]byte, error) {
	if len(station) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("bundle: station public key has the wrong size (%d bytes)", len(station))
	}
	if len(signed) < ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %s too short for a signature", ErrTampered, what)
	}
	body := signed[:len(signed)-ed25519.SignatureSize]
	sig := signed[len(signed)-ed25519.SignatureSize:]
	if !ed25519.Verify(station, body, sig) {
		return nil, fmt.Errorf("%w: %s signature does not verify", ErrTampered, what)
	}
	return body, nil
}

// manifestHash is the hash a grant binds: SHA-256 over the whole signed
// manifest.
func manifestHash(signedManifest []byte) [32]byte {
	return sha256.Sum256(signedManifest)
}
