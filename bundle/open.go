package bundle

import (
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// MaxClockSkew is how far before a grant's IssuedAt the device clock may be
// and still open it.
const MaxClockSkew = 5 * time.Minute

// Device is the laptop's identity as Open needs it: its enrolled device ID
// and its HPKE (ML-KEM-768+X25519) private key.
type Device struct {
	// ID is the device ID the station enrolled this laptop under.
	ID string
	// HPKE is the device's private key; grants are sealed to its public half.
	HPKE hpke.PrivateKey
}

// OpenOptions adjusts Open. A nil *OpenOptions means the defaults.
type OpenOptions struct {
	// Now returns the current time for the validity check; nil means
	// time.Now.
	Now func() time.Time
	// OfficerID, when set, must equal the grant's officer (ErrWrongOfficer
	// otherwise). The client SHOULD set it to the logged-in officer.
	OfficerID string
}

// Open checks a bundle and returns a reader over its plaintext.
//
// It checks, in this order, and stops at the first failure: sizes
// (ErrTooLarge); the manifest's signature and encoding (ErrTampered,
// ErrUnsupportedVersion); that payloadSize equals the manifest's payload
// size (ErrTampered); the grant's signature and encoding; that the grant
// names this manifest's hash, case and document (ErrTampered), this device
// (ErrWrongDevice) and, when opts.OfficerID is set, this officer
// (ErrWrongOfficer); the validity window (ErrExpired); the HPKE unwrap of
// the file key (ErrWrongDevice); that the age header and the final chunk
// authenticate with the file key and give the manifest's plaintext size
// (ErrTampered). Full-document checks are in Document.ReadAll.
//
// payload must stay readable while the Document is in use.
func Open(signedManifest, grant []byte, payload io.ReaderAt, payloadSize int64, dev Device, station ed25519.PublicKey, opts *OpenOptions) (*Document, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	if len(signedManifest) > MaxManifestSize {
		return nil, fmt.Errorf("%w: manifest is %d bytes (limit %d)", ErrTooLarge, len(signedManifest), MaxManifestSize)
	}
	if len(grant) > MaxGrantSize {
		return nil, fmt.Errorf("%w: grant is %d bytes (limit %d)", ErrTooLarge, len(grant), MaxGrantSize)
	}
	if payloadSize > MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload is %d bytes (limit %d)", ErrTooLarge, payloadSize, MaxPayloadSize)
	}
	m, err := ParseManifest(signedManifest, station)
	if err != nil {
		return nil, err
	}
	if payloadSize != m.PayloadSize {
		return nil, fmt.Errorf("%w: payload is %d bytes, the manifest says %d", ErrTampered, payloadSize, m.PayloadSize)
	}
	g, err := ParseGrant(grant, station)
	if err != nil {
		return nil, err
	}
	mh := manifestHash(signedManifest)
	if subtle.ConstantTimeCompare(mh[:], g.ManifestSHA256[:]) != 1 {
		return nil, fmt.Errorf("%w: the grant is for another manifest", ErrTampered)
	}
	if g.CaseNumber != m.CaseNumber || g.DocumentID != m.DocumentID {
		return nil, fmt.Errorf("%w: the grant names another case or document than the manifest", ErrTampered)
	}
	if dev.ID == "" || g.DeviceID != dev.ID {
		return nil, fmt.Errorf("%w: grant %s was issued to device %q, this is %q", ErrWrongDevice, g.GrantID, g.DeviceID, dev.ID)
	}
	if opts.OfficerID != "" && g.OfficerID != opts.OfficerID {
		return nil, fmt.Errorf("%w: grant %s was issued to officer %q", ErrWrongOfficer, g.GrantID, g.OfficerID)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	t := now()
	if !t.Before(g.ExpiresAt) {
		return nil, fmt.Errorf("%w: grant %s expired at %v", ErrExpired, g.GrantID, g.ExpiresAt)
	}
	if t.Before(g.IssuedAt.Add(-MaxClockSkew)) {
		return nil, fmt.Errorf("%w: grant %s is valid only from %v", ErrExpired, g.GrantID, g.IssuedAt)
	}
	fileKey, err := g.unwrap(dev.HPKE)
	if err != nil {
		return nil, err
	}
	defer clear(fileKey)
	return openPayload(payload, fileKey, m, g.GrantContext)
}

// openPayload opens the age payload with the unwrapped file key and checks
// it against the manifest. The caller has checked everything else.
func openPayload(payload io.ReaderAt, fileKey []byte, m *Manifest, gc GrantContext) (*Document, error) {
	if payload == nil {
		return nil, errors.New("bundle: no payload")
	}
	r, err := newStreamReader(&ioErrorReaderAt{r: payload}, m.PayloadSize, fileKey)
	if err != nil {
		return nil, payloadError(err)
	}
	if r.size != m.PlaintextSize {
		r.Close() // wipe the final chunk it authenticated
		return nil, fmt.Errorf("%w: payload holds %d bytes of plaintext, the manifest says %d", ErrTampered, r.size, m.PlaintextSize)
	}
	doc := &Document{m: *m, g: gc, size: r.size}
	doc.r.Store(r)
	return doc, nil
}

// Document is an opened bundle: an io.ReaderAt over the plaintext. Every
// ReadAt authenticates each 64 KiB chunk it touches; a chunk that fails
// yields ErrTampered and none of its bytes (n counts only the chunks before
// it, and the part of p it would have filled is zeroed). ReadAt may be
// called concurrently. Partial reads check chunks, not the whole document's
// SHA-256: use ReadAll for that. Close wipes the reader's cached chunk.
type Document struct {
	m    Manifest
	g    GrantContext
	size int64
	r    atomic.Pointer[streamReader]
}

// Size returns the plaintext size, which equals Manifest().PlaintextSize.
func (d *Document) Size() int64 { return d.size }

// Manifest returns a copy of the document's verified manifest.
func (d *Document) Manifest() *Manifest {
	m := d.m
	return &m
}

// Grant returns the context of the grant the document was opened with.
func (d *Document) Grant() GrantContext { return d.g }

// ReadAt implements io.ReaderAt over the plaintext. It returns io.EOF at the
// end, ErrTampered for a chunk that fails authentication or a payload that
// is shorter than it should be, ErrClosed after Close, and the payload
// reader's own errors wrapped.
func (d *Document) ReadAt(p []byte, off int64) (int, error) {
	r := d.r.Load()
	if r == nil {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, errors.New("bundle: negative offset")
	}
	if off >= d.size {
		if len(p) == 0 && off == d.size {
			return 0, nil
		}
		return 0, io.EOF
	}
	n, err := r.ReadAt(p, off)
	if err == ErrClosed {
		return n, err
	}
	if err != nil && err != io.EOF {
		return n, payloadError(err)
	}
	return n, err
}

// Close wipes the decryption state, including the cached plaintext chunk.
// Later reads fail with ErrClosed. Bytes already returned to the caller are
// the caller's to wipe. Close is safe to call more than once and
// concurrently with reads.
func (d *Document) Close() error {
	if r := d.r.Swap(nil); r != nil {
		r.Close()
	}
	return nil
}

// ReadAll reads and authenticates the whole document into a fresh slice and
// checks its SHA-256 against the manifest. On any failure it wipes what it
// read and returns no bytes. It stops early when ctx is done. Hashing runs
// in a second goroutine, overlapped with decryption.
func (d *Document) ReadAll(ctx context.Context) ([]byte, error) {
	buf := make([]byte, d.size)
	pieces := make(chan []byte, 4)
	sums := make(chan [32]byte, 1)
	go func() {
		h := sha256.New()
		for p := range pieces {
			h.Write(p)
		}
		var sum [32]byte
		h.Sum(sum[:0])
		sums <- sum
	}()
	fail := func(err error) ([]byte, error) {
		close(pieces)
		<-sums // the hasher has stopped reading buf
		clear(buf)
		return nil, err
	}
	const step = 1 << 20
	for off := int64(0); off < d.size; off += step {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		end := min(off+step, d.size)
		n, err := d.ReadAt(buf[off:end], off)
		if int64(n) != end-off || (err != nil && err != io.EOF) {
			if err == nil || err == io.EOF {
				err = fmt.Errorf("%w: short read", ErrTampered)
			}
			return fail(err)
		}
		pieces <- buf[off:end]
	}
	close(pieces)
	sum := <-sums
	if subtle.ConstantTimeCompare(sum[:], d.m.PlaintextSHA256[:]) != 1 {
		clear(buf)
		return nil, fmt.Errorf("%w: plaintext SHA-256 does not match the manifest", ErrTampered)
	}
	return buf, nil
}

// VerifiedBytes is ReadAll without a context.
func (d *Document) VerifiedBytes() ([]byte, error) {
	return d.ReadAll(context.Background())
}

// ioError marks an error of the caller's payload reader, so that it is not
// mistaken for tampering.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

type ioErrorReaderAt struct{ r io.ReaderAt }

func (s *ioErrorReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = &ioError{err}
	}
	return n, err
}

// payloadError maps an error of the payload layer to ErrTampered, unless it
// came from the caller's payload reader itself.
func payloadError(err error) error {
	var ioe *ioError
	if errors.As(err, &ioe) {
		return fmt.Errorf("bundle: reading payload: %w", ioe.err)
	}
	return fmt.Errorf("%w: payload: %v", ErrTampered, err)
}
