package bundle

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
)

// SealDocument encrypts plaintext into payload as an age file to a fresh
// DocumentIdentity and returns the signed manifest and that identity.
//
// The caller fills m's CaseNumber, DocumentID, Title, MediaType and
// CreatedAt (a zero CreatedAt means now). Version may be 0 or Version;
// others fail with ErrUnsupportedVersion. SealDocument computes
// PlaintextSize, PlaintextSHA256 and PayloadSize itself and ignores what m
// holds there. Documents above MaxPlaintextSize fail with ErrTooLarge; the
// bytes already written to payload must then be discarded.
func SealDocument(payload io.Writer, plaintext io.Reader, m Manifest, station ed25519.PrivateKey) (signedManifest []byte, id *DocumentIdentity, err error) {
	if len(station) != ed25519.PrivateKeySize {
		return nil, nil, errors.New("bundle: station signing key has the wrong size")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	// Check the caller's fields before writing anything.
	if m.Version == 0 {
		m.Version = Version
	}
	m.PlaintextSize, m.PayloadSize = 0, 1
	if err := m.validate(); err != nil {
		return nil, nil, err
	}

	id, err = NewDocumentIdentity()
	if err != nil {
		return nil, nil, err
	}
	cw := &countingWriter{w: payload}
	w, err := age.Encrypt(cw, id.id.Recipient())
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: starting encryption: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(plaintext, MaxPlaintextSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: encrypting document: %w", err)
	}
	if n > MaxPlaintextSize {
		return nil, nil, fmt.Errorf("%w: document is larger than %d bytes", ErrTooLarge, MaxPlaintextSize)
	}
	if err := w.Close(); err != nil {
		return nil, nil, fmt.Errorf("bundle: finishing encryption: %w", err)
	}
	if cw.err != nil {
		return nil, nil, fmt.Errorf("bundle: writing payload: %w", cw.err)
	}
	m.PlaintextSize = n
	h.Sum(m.PlaintextSHA256[:0])
	m.PayloadSize = cw.n
	signedManifest, err = signManifest(&m, station)
	if err != nil {
		return nil, nil, err
	}
	return signedManifest, id, nil
}

// ManifestForPayload signs a manifest for a payload that already exists: an
// age file encrypted to id by any age implementation (the station's import
// path, and the interop check). It decrypts the whole payload with id to
// measure and hash the plaintext. The caller fills m as for SealDocument.
func ManifestForPayload(payload io.Reader, m Manifest, id *DocumentIdentity, station ed25519.PrivateKey) (signedManifest []byte, err error) {
	if id == nil {
		return nil, errors.New("bundle: no document identity")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	if m.Version == 0 {
		m.Version = Version
	}
	m.PlaintextSize, m.PayloadSize = 0, 1
	if err := m.validate(); err != nil {
		return nil, err
	}
	cr := &countingReader{r: io.LimitReader(payload, MaxPayloadSize+1)}
	r, err := age.Decrypt(cr, id.id)
	if err != nil {
		return nil, fmt.Errorf("%w: payload does not decrypt with the document identity: %v", ErrTampered, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, MaxPlaintextSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrTampered, err)
	}
	if n > MaxPlaintextSize || cr.n > MaxPayloadSize {
		return nil, fmt.Errorf("%w: document is larger than %d bytes", ErrTooLarge, MaxPlaintextSize)
	}
	// age's reader stops at the authenticated final chunk and rejects
	// trailing data; make sure nothing follows all the same.
	if extra, _ := io.Copy(io.Discard, cr); extra != 0 {
		return nil, fmt.Errorf("%w: trailing data after payload", ErrTampered)
	}
	m.PlaintextSize = n
	h.Sum(m.PlaintextSHA256[:0])
	m.PayloadSize = cr.n
	return signManifest(&m, station)
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
