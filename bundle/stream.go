package bundle

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The age STREAM payload (age-encryption.org/v1, "Payload"): after the
// header, a 16-byte nonce; the payload key is HKDF-SHA256(ikm = file key,
// salt = nonce, info = "payload"); the plaintext is cut into 64 KiB chunks,
// each sealed with ChaCha20-Poly1305 under the nonce
// (11-byte big-endian chunk index || final-chunk flag).
//
// This reader is the same construction as age's DecryptReaderAt, with
// three differences that matter here: a whole-chunk read decrypts straight
// into the caller's buffer (one copy fewer), its one-chunk cache is wiped
// on Close, and the header must be in age's canonical encoding. The vectors,
// the tamper matrix, the interop test against the age command and a
// differential fuzz target against age.DecryptReaderAt check it.

const (
	chunkSize       = 64 << 10
	encChunkSize    = chunkSize + chacha20poly1305.Overhead
	streamNonceSize = 16
	lastChunkFlag   = 0x01
)

type streamReader struct {
	aead     cipher.AEAD
	src      io.ReaderAt
	bodyOff  int64 // offset of the first chunk in src
	bodySize int64
	size     int64 // plaintext size
	chunks   int64

	mu       sync.Mutex
	closed   bool
	cacheIdx int64  // chunk index held in cache, -1 if none
	cache    []byte // plaintext of chunk cacheIdx; capacity chunkSize
}

var scratchPool = sync.Pool{New: func() any { return new([encChunkSize]byte) }}

// newStreamReader checks the payload's header with fileKey, the size
// arithmetic, and the final chunk, as age.DecryptReaderAt does.
func newStreamReader(src io.ReaderAt, payloadSize int64, fileKey []byte) (*streamReader, error) {
	// The header: age's parser, then its MAC with the file key.
	hdr, err := age.ExtractHeader(io.NewSectionReader(src, 0, payloadSize))
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	raw := make([]byte, len(hdr)+streamNonceSize)
	if err := readFullAt(src, raw, 0); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if !bytes.Equal(raw[:len(hdr)], hdr) {
		return nil, errors.New("header is not in canonical encoding")
	}
	if _, err := age.DecryptHeader(hdr, age.NewInjectedFileKeyIdentity(fileKey)); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	nonce := raw[len(hdr):]
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	r := &streamReader{aead: aead, src: src, bodyOff: int64(len(raw)), bodySize: payloadSize - int64(len(raw)), cacheIdx: -1}
	if r.bodySize <= 0 {
		return nil, errors.New("payload has no body")
	}
	r.chunks = (r.bodySize + encChunkSize - 1) / encChunkSize
	r.size = r.bodySize - r.chunks*chacha20poly1305.Overhead
	want := (r.size + chunkSize - 1) / chunkSize
	if r.size == 0 {
		want = 1 // only an empty plaintext has (and needs) an empty chunk
	}
	if r.size < 0 || want != r.chunks {
		return nil, fmt.Errorf("invalid payload body size %d", r.bodySize)
	}
	// Authenticate the final chunk now: it fixes the plaintext size.
	r.cache = make([]byte, 0, chunkSize)
	if err := r.fillCache(r.chunks - 1); err != nil {
		return nil, err
	}
	return r, nil
}

func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// chunkNonce returns the STREAM nonce of chunk i.
func (r *streamReader) nonce(i int64) []byte {
	var n [chacha20poly1305.NonceSize]byte
	binary.BigEndian.PutUint64(n[3:11], uint64(i))
	if i == r.chunks-1 {
		n[11] = lastChunkFlag
	}
	return n[:]
}

// openChunk reads chunk i and decrypts it into dst[:0], which must have room
// for its plaintext. On failure dst holds no plaintext.
func (r *streamReader) openChunk(dst []byte, i int64) ([]byte, error) {
	off := i * encChunkSize
	n := min(encChunkSize, r.bodySize-off)
	scratch := scratchPool.Get().(*[encChunkSize]byte)
	defer scratchPool.Put(scratch)
	ct := scratch[:n]
	if err := readFullAt(r.src, ct, r.bodyOff+off); err != nil {
		return nil, fmt.Errorf("reading chunk %d: %w", i, err)
	}
	p, err := r.aead.Open(dst[:0], r.nonce(i), ct, nil)
	if err != nil {
		// x/crypto's Open zeroes its output on failure; be explicit.
		clear(dst[:n-chacha20poly1305.Overhead])
		return nil, fmt.Errorf("chunk %d does not authenticate", i)
	}
	return p, nil
}

// fillCache decrypts chunk i into the cache. r.mu must be held or r not yet
// shared.
func (r *streamReader) fillCache(i int64) error {
	r.cacheIdx = -1
	p, err := r.openChunk(r.cache[:cap(r.cache)], i)
	if err != nil {
		r.cache = r.cache[:0]
		return err
	}
	r.cache, r.cacheIdx = p, i
	return nil
}

// ReadAt reads plaintext. Whole chunks are decrypted straight into p;
// partial chunks go through the one-chunk cache.
func (r *streamReader) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 || off > r.size {
		return 0, fmt.Errorf("offset %d out of range [0, %d]", off, r.size)
	}
	for len(p) > 0 && off < r.size {
		i := off / chunkSize
		within := int(off % chunkSize)
		plainLen := int(min(chunkSize, r.size-i*chunkSize))
		if within == 0 && len(p) >= plainLen {
			r.mu.Lock()
			closed := r.closed
			r.mu.Unlock()
			if closed {
				return n, ErrClosed
			}
			if _, err := r.openChunk(p[:plainLen], i); err != nil {
				return n, err
			}
			p, off, n = p[plainLen:], off+int64(plainLen), n+plainLen
			continue
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return n, ErrClosed
		}
		if r.cacheIdx != i {
			if err := r.fillCache(i); err != nil {
				r.mu.Unlock()
				return n, err
			}
		}
		c := copy(p, r.cache[within:])
		r.mu.Unlock()
		p, off, n = p[c:], off+int64(c), n+c
	}
	if off == r.size {
		return n, io.EOF
	}
	return n, nil
}

// Close wipes the cached plaintext chunk; later reads fail.
func (r *streamReader) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	clear(r.cache[:cap(r.cache)])
	r.cache, r.cacheIdx = nil, -1
}
