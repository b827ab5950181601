package session

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"caseviewer/bundle"
	"caseviewer/keystore"
	"caseviewer/wire"
)

// Document is a decrypted document handed to the viewer. The session owns
// PDF: the wipe (or CloseDocument) zeroes it, so the viewer must not keep
// references to it beyond the session.
type Document struct {
	// PDF is the document's plaintext, checked against the signed
	// manifest's SHA-256.
	PDF []byte
	// Manifest is the station-signed description of the document.
	Manifest bundle.Manifest
	// Grant is what the station's grant is bound to (officer, device, case,
	// document, validity, scope).
	Grant bundle.GrantContext
	// GrantExpires is when access to the document ends.
	GrantExpires time.Time
	// SessionCode is the session code for the watermark.
	SessionCode string
	// Scope is the access scope ("view" or "annotate").
	Scope string

	mu     sync.Mutex
	wiped  bool
	locked bool
}

// wipe zeroes and drops the plaintext.
func (d *Document) wipe() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return
	}
	keystore.Zero(d.PDF)
	if d.locked {
		keystore.UnlockMemory(d.PDF)
	}
	d.wiped = true
}

// Wiped reports whether the document's bytes were zeroed.
func (d *Document) Wiped() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wiped
}

// OpenDocument asks the station for document docID, which checks access
// and writes the audit record before it issues a grant sealed to this
// device; then it fetches the ciphertext (or takes it from the encrypted
// cache), opens the bundle in memory and returns the checked plaintext.
func (c *Client) OpenDocument(ctx context.Context, docID string) (*Document, error) {
	s, sc, enr, err := c.current()
	if err != nil {
		return nil, err
	}
	if docID == "" || len(docID) > 128 {
		return nil, fmt.Errorf("%w: document ID", ErrBadRequest)
	}
	var resp wire.OpenDocumentResponse
	if err := c.sessionCall(ctx, s, sc, "POST", wire.DocumentOpenPath(docID), nil, &resp); err != nil {
		return nil, err
	}
	key := ed25519.PublicKey(enr.StationKey)
	m, err := bundle.ParseManifest(resp.SignedManifest, key)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrTampered, err)
	}
	if m.DocumentID != docID || resp.DocumentID != docID || m.PayloadSize != resp.PayloadSize || m.PayloadSize <= 0 || m.PayloadSize > bundle.MaxPayloadSize {
		return nil, fmt.Errorf("%w: the station's answer does not match the signed manifest", ErrTampered)
	}
	payload, err := c.payload(ctx, s, sc, enr, docID, resp.SignedManifest, m.PayloadSize)
	if err != nil {
		return nil, err
	}
	hp, err := s.identity.HPKEPrivate()
	if err != nil {
		return nil, fmt.Errorf("%w: device key: %v", ErrKeyringUnavailable, err)
	}
	doc, err := bundle.Open(resp.SignedManifest, resp.Grant, bytes.NewReader(payload), int64(len(payload)),
		bundle.Device{ID: enr.DeviceID, HPKE: hp}, key, &bundle.OpenOptions{Now: c.opts.Now, OfficerID: s.officer.ID})
	if err != nil {
		return nil, bundleErr(err)
	}
	pt, err := doc.ReadAll(ctx)
	doc.Close()
	if err != nil {
		return nil, bundleErr(err)
	}
	d := &Document{PDF: pt, Manifest: *doc.Manifest(), Grant: doc.Grant(), GrantExpires: doc.Grant().ExpiresAt,
		SessionCode: resp.SessionCode, Scope: resp.Scope}
	d.locked = keystore.LockMemory(pt) == nil // best effort (RLIMIT_MEMLOCK)
	// Register it unless the session ended meanwhile.
	c.mu.Lock()
	active := c.sess == s
	if active {
		s.mu.Lock()
		s.docs = append(s.docs, d)
		s.mu.Unlock()
	}
	c.mu.Unlock()
	if !active {
		d.wipe()
		return nil, ErrNotLoggedIn
	}
	return d, nil
}

// CloseDocument zeroes a document's bytes and forgets it.
func (c *Client) CloseDocument(d *Document) {
	if d == nil {
		return
	}
	d.wipe()
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	for i, x := range s.docs {
		if x == d {
			s.docs = append(s.docs[:i], s.docs[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
}

func bundleErr(err error) error {
	switch {
	case errors.Is(err, bundle.ErrExpired):
		return fmt.Errorf("%w: %v", ErrGrantExpired, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
}

// Cache file format: "CVC1" | 24-byte nonce | XChaCha20-Poly1305 sealed
// payload, with the file name (which binds station, document and manifest)
// as additional data. The key is a random 32-byte value kept in the keyring
// for the session: deleting it makes every cache file unreadable.
const (
	cacheMagic   = "CVC1"
	cacheKeySize = chacha20poly1305.KeySize
	cacheFileExt = ".cvc"
	// cacheTempPrefix starts the names of cache files being written.
	cacheTempPrefix = ".cvc-tmp-"
	cacheOverhead   = len(cacheMagic) + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
)

// cacheName names the cache file of a document's payload.
func cacheName(stationID, docID string, signedManifest []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "caseviewer cache v1\x00%s\x00%s\x00", stationID, docID)
	h.Write(signedManifest)
	return hex.EncodeToString(h.Sum(nil)) + cacheFileExt
}

// payload returns the document's ciphertext from the cache or the station.
func (c *Client) payload(ctx context.Context, s *live, sc *stationClient, enr *Enrollment, docID string, signedManifest []byte, size int64) ([]byte, error) {
	name := cacheName(enr.StationID, docID, signedManifest)
	path := filepath.Join(c.opts.CacheDir, name)
	aead, err := chacha20poly1305.NewX(s.cacheKey)
	if err != nil {
		return nil, err
	}
	if blob, err := readCapped(path, size+int64(cacheOverhead)); err == nil {
		if p, err := openCache(aead, blob, name); err == nil && int64(len(p)) == size {
			return p, nil
		}
		os.Remove(path) // unreadable: fetch again
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 15*time.Minute)
		defer cancel()
	}
	p, err := sc.download(ctx, wire.DocumentPayloadPath(docID), s.token, size)
	c.afterCall(s, err)
	if err != nil {
		return nil, err
	}
	// Caching is an optimisation: a failure to write is not an error.
	c.writeCache(s, aead, name, p)
	return p, nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max || !st.Mode().IsRegular() {
		return nil, errors.New("cache file too large")
	}
	b := make([]byte, st.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

func openCache(aead interface {
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	NonceSize() int
}, blob []byte, name string) ([]byte, error) {
	if len(blob) < cacheOverhead || string(blob[:len(cacheMagic)]) != cacheMagic {
		return nil, errors.New("not a cache file")
	}
	nonce := blob[len(cacheMagic) : len(cacheMagic)+aead.NonceSize()]
	ct := blob[len(cacheMagic)+aead.NonceSize():]
	return aead.Open(ct[:0], nonce, ct, []byte(name))
}

// writeCache seals p under the session's cache key and writes it
// atomically, unless the session ended meanwhile.
func (c *Client) writeCache(s *live, aead interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	NonceSize() int
}, name string, p []byte) {
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	blob := make([]byte, 0, len(cacheMagic)+len(nonce)+len(p)+chacha20poly1305.Overhead)
	blob = append(blob, cacheMagic...)
	blob = append(blob, nonce...)
	blob = aead.Seal(blob, nonce, p, []byte(name))
	if err := os.MkdirAll(c.opts.CacheDir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(c.opts.CacheDir, cacheTempPrefix+"*")
	if err != nil {
		return
	}
	tmp := f.Name()
	_, werr := f.Write(blob)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp)
		return
	}
	// The wipe holds wipeMu while it clears the folder: rename under it so
	// that a file cannot appear after the wipe emptied the cache.
	c.wipeMu.Lock()
	defer c.wipeMu.Unlock()
	c.mu.Lock()
	active := c.sess == s
	c.mu.Unlock()
	if !active {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, filepath.Join(c.opts.CacheDir, name)); err != nil {
		os.Remove(tmp)
	}
}

// clearCache removes the cache files in dir: the sealed payloads and any
// temporary file of an interrupted write. It leaves other files alone, so
// that a cache folder set to a shared place cannot take the user's files
// with it. A missing dir is already clear.
func clearCache(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, cacheFileExt) && !strings.HasPrefix(name, cacheTempPrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openCacheWithKey opens the cache file at path with key (tests).
func openCacheWithKey(key []byte, path, name string) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	blob, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return openCache(aead, blob, name)
}
