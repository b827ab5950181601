package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
)

var grantMagic = []byte("\x89CVG\r\n\x1a\n")

// The HPKE cipher suite of version 1 grants (RFC 9180 and
// draft-ietf-hpke-pq identifiers).
const (
	kemMLKEM768X25519  = 0x647a
	kdfHKDFSHA256      = 0x0001
	aeadChaCha20Poly13 = 0x0003
	// sealedKeySize is the encapsulated key (1120 bytes) plus the sealed
	// 16-byte age file key and its 16-byte tag.
	sealedKeySize = 1120 + 16 + 16
	fileKeySize   = 16
)

// Limits of the grant's text fields, in bytes of UTF-8.
const (
	maxGrantID   = 128
	maxOfficerID = 64
	maxDeviceID  = 128
	maxScope     = 256
)

// GrantContext is what a grant is bound to. All of it is signed by the
// station and bound as HPKE info to the sealed file key.
type GrantContext struct {
	// GrantID identifies the grant in the station's audit log (1 to 128 bytes).
	GrantID string
	// OfficerID is the officer the grant is for (1 to 64 bytes).
	OfficerID string
	// DeviceID is the enrolled device the grant is sealed to (1 to 128 bytes).
	DeviceID string
	// CaseNumber and DocumentID must match the manifest's (IssueGrant fills
	// them from the manifest when empty).
	CaseNumber, DocumentID string
	// IssuedAt and ExpiresAt bound the grant's validity; ExpiresAt must be
	// after IssuedAt. They are kept to the nanosecond, in UTC.
	IssuedAt, ExpiresAt time.Time
	// Scope is what the officer may do with the document, such as "view" or
	// "view annotate" (0 to 256 bytes). This package does not interpret it.
	Scope string
}

// Grant is a parsed, signature-checked grant. It embeds the GrantContext
// it is bound to.
type Grant struct {
	GrantContext
	// Version is the grant's format version.
	Version int
	// ManifestSHA256 is the SHA-256 of the signed manifest the grant is for.
	ManifestSHA256 [32]byte

	info   []byte // the signed body up to the sealed key: the HPKE info
	sealed []byte // HPKE enc || ciphertext of the file key
}

func (gc *GrantContext) validate() error {
	for _, f := range []struct {
		name     string
		v        string
		min, max int
	}{
		{"grant ID", gc.GrantID, 1, maxGrantID},
		{"officer ID", gc.OfficerID, 1, maxOfficerID},
		{"device ID", gc.DeviceID, 1, maxDeviceID},
		{"case number", gc.CaseNumber, 1, maxCaseNumber},
		{"document ID", gc.DocumentID, 1, maxDocumentID},
		{"scope", gc.Scope, 0, maxScope},
	} {
		if err := checkText(f.name, f.v, f.min, f.max); err != nil {
			return fmt.Errorf("bundle: grant: %w", err)
		}
	}
	if err := checkTime("issued-at", gc.IssuedAt); err != nil {
		return fmt.Errorf("bundle: grant: %w", err)
	}
	if err := checkTime("expires-at", gc.ExpiresAt); err != nil {
		return fmt.Errorf("bundle: grant: %w", err)
	}
	if !gc.ExpiresAt.After(gc.IssuedAt) {
		return errors.New("bundle: grant: expires-at is not after issued-at")
	}
	return nil
}

// appendInfo appends the grant's signed fields before the sealed key: the
// bytes bound as HPKE info.
func appendGrantInfo(b []byte, gc *GrantContext, mh [32]byte) []byte {
	e := encoder{b}
	e.raw(grantMagic)
	e.u16(Version)
	e.u16(kemMLKEM768X25519)
	e.u16(kdfHKDFSHA256)
	e.u16(aeadChaCha20Poly13)
	e.str(gc.GrantID)
	e.str(gc.OfficerID)
	e.str(gc.DeviceID)
	e.str(gc.CaseNumber)
	e.str(gc.DocumentID)
	e.time(gc.IssuedAt)
	e.time(gc.ExpiresAt)
	e.str(gc.Scope)
	e.raw(mh[:])
	return e.b
}

// IssueGrant seals the payload's file key to one device. It reads the
// payload's age header from payloadHeader (which may be the whole payload:
// only the header is read), unwraps the file key with id, checks that the
// signed manifest verifies with the station's key and names the same case
// and document as gc (empty gc.CaseNumber and gc.DocumentID are filled from
// the manifest), and seals the key with HPKE to deviceHPKEPublic (the bytes
// of an ML-KEM-768+X25519 hpke.PublicKey, as PublicKey.Bytes gives).
func IssueGrant(gc GrantContext, signedManifest []byte, payloadHeader io.Reader, id *DocumentIdentity, deviceHPKEPublic []byte, station ed25519.PrivateKey) (grant []byte, err error) {
	if len(station) != ed25519.PrivateKeySize {
		return nil, errors.New("bundle: station signing key has the wrong size")
	}
	if id == nil {
		return nil, errors.New("bundle: no document identity")
	}
	m, err := ParseManifest(signedManifest, station.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("bundle: issuing grant: %w", err)
	}
	if gc.CaseNumber == "" {
		gc.CaseNumber = m.CaseNumber
	}
	if gc.DocumentID == "" {
		gc.DocumentID = m.DocumentID
	}
	if gc.CaseNumber != m.CaseNumber || gc.DocumentID != m.DocumentID {
		return nil, errors.New("bundle: issuing grant: case or document does not match the manifest")
	}
	if err := gc.validate(); err != nil {
		return nil, err
	}
	gc.IssuedAt, gc.ExpiresAt = gc.IssuedAt.UTC(), gc.ExpiresAt.UTC()
	pk, err := hpke.MLKEM768X25519().NewPublicKey(deviceHPKEPublic)
	if err != nil {
		return nil, errors.New("bundle: issuing grant: device HPKE public key is not an ML-KEM-768+X25519 key")
	}
	hdr, err := age.ExtractHeader(io.LimitReader(payloadHeader, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("bundle: issuing grant: reading payload header: %w", err)
	}
	fileKey, err := age.DecryptHeader(hdr, id.id)
	if err != nil {
		return nil, fmt.Errorf("bundle: issuing grant: payload header does not open with the document identity: %w", err)
	}
	defer clear(fileKey)
	if len(fileKey) != fileKeySize {
		return nil, errors.New("bundle: issuing grant: unexpected file key size")
	}
	info := appendGrantInfo(make([]byte, 0, 512+sealedKeySize), &gc, manifestHash(signedManifest))
	sealed, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, fileKey)
	if err != nil {
		return nil, fmt.Errorf("bundle: issuing grant: sealing: %w", err)
	}
	if len(sealed) != sealedKeySize {
		return nil, fmt.Errorf("bundle: issuing grant: sealed key is %d bytes, want %d", len(sealed), sealedKeySize)
	}
	e := encoder{info}
	e.bytes16(sealed)
	body := e.b
	return append(body, ed25519.Sign(station, body)...), nil
}

// ParseGrant verifies a signed grant with the station's public key and
// decodes it. It checks, in order: the size limit (ErrTooLarge), the
// signature (ErrTampered), the version and cipher suite
// (ErrUnsupportedVersion) and the canonical encoding (ErrTampered). It does
// not check the validity window, the device or the manifest: Open does.
func ParseGrant(grant []byte, station ed25519.PublicKey) (*Grant, error) {
	if len(grant) > MaxGrantSize {
		return nil, fmt.Errorf("%w: grant is %d bytes (limit %d)", ErrTooLarge, len(grant), MaxGrantSize)
	}
	body, err := verifySigned(grant, station, "grant")
	if err != nil {
		return nil, err
	}
	return parseGrantBody(body)
}

// parseGrantBody decodes a grant body whose signature was already checked
// (or which a fuzz test feeds directly), enforcing canonical form.
func parseGrantBody(body []byte) (*Grant, error) {
	d := decoder{b: body}
	magic := d.take(len(grantMagic), "magic")
	if d.err != nil || !bytes.Equal(magic, grantMagic) {
		return nil, fmt.Errorf("%w: not a case bundle grant", ErrTampered)
	}
	g := &Grant{}
	g.Version = int(d.u16("version"))
	kem, kdf, aead := d.u16("KEM"), d.u16("KDF"), d.u16("AEAD")
	if d.err != nil {
		return nil, d.err
	}
	if g.Version != Version {
		return nil, fmt.Errorf("%w: grant version %d", ErrUnsupportedVersion, g.Version)
	}
	if kem != kemMLKEM768X25519 || kdf != kdfHKDFSHA256 || aead != aeadChaCha20Poly13 {
		return nil, fmt.Errorf("%w: HPKE suite %#04x/%#04x/%#04x", ErrUnsupportedVersion, kem, kdf, aead)
	}
	gc := &g.GrantContext
	gc.GrantID = d.str("grant ID", 1, maxGrantID)
	gc.OfficerID = d.str("officer ID", 1, maxOfficerID)
	gc.DeviceID = d.str("device ID", 1, maxDeviceID)
	gc.CaseNumber = d.str("case number", 1, maxCaseNumber)
	gc.DocumentID = d.str("document ID", 1, maxDocumentID)
	gc.IssuedAt = d.time("issued-at")
	gc.ExpiresAt = d.time("expires-at")
	gc.Scope = d.str("scope", 0, maxScope)
	copy(g.ManifestSHA256[:], d.take(32, "manifest hash"))
	infoLen := len(body) - len(d.b)
	n := d.u16("sealed key length")
	if d.err == nil && n != sealedKeySize {
		d.fail("sealed key is %d bytes, want %d", n, sealedKeySize)
	}
	g.sealed = d.take(int(n), "sealed key")
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes of trailing data in grant", ErrTampered, len(d.b))
	}
	if !gc.ExpiresAt.After(gc.IssuedAt) {
		return nil, fmt.Errorf("%w: grant expires-at is not after issued-at", ErrTampered)
	}
	g.info = body[:infoLen:infoLen]
	return g, nil
}

// unwrap opens the sealed file key with the device's HPKE private key.
func (g *Grant) unwrap(k hpke.PrivateKey) ([]byte, error) {
	if k == nil || k.KEM().ID() != kemMLKEM768X25519 {
		return nil, fmt.Errorf("%w: device key is not an ML-KEM-768+X25519 HPKE key", ErrWrongDevice)
	}
	fileKey, err := hpke.Open(k, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), g.info, g.sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: the device key does not open the grant", ErrWrongDevice)
	}
	if len(fileKey) != fileKeySize {
		clear(fileKey)
		return nil, fmt.Errorf("%w: sealed file key has the wrong size", ErrTampered)
	}
	return fileKey, nil
}
