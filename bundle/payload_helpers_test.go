package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// Payload layout and raw-grant helpers, shared by the tamper matrix, the
// fuzz targets and the vector generator (gen_vectors_test.go).

const encChunk = 64<<10 + chacha20poly1305.Overhead

// payloadBodyOffset returns where the STREAM body starts: after the age
// header and the 16-byte stream nonce.
func payloadBodyOffset(t testing.TB, payload []byte) int {
	t.Helper()
	hdr, err := age.ExtractHeader(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	return len(hdr) + 16
}

// chunkBounds returns the [start, end) of each encrypted chunk.
func chunkBounds(t testing.TB, payload []byte) [][2]int {
	off := payloadBodyOffset(t, payload)
	var b [][2]int
	for ; off < len(payload); off += encChunk {
		b = append(b, [2]int{off, min(off+encChunk, len(payload))})
	}
	return b
}

// streamAEAD returns the payload's STREAM cipher, given its file key.
func streamAEAD(t testing.TB, payload, fileKey []byte) *streamCipher {
	t.Helper()
	off := payloadBodyOffset(t, payload)
	key, err := hkdf.Key(sha256.New, fileKey, payload[off-16:off], "payload", chacha20poly1305.KeySize)
	if err != nil {
		t.Fatal(err)
	}
	a, err := chacha20poly1305.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return &streamCipher{t: t, a: a}
}

type streamCipher struct {
	t testing.TB
	a interface {
		Seal(dst, nonce, plaintext, ad []byte) []byte
		Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
	}
}

func chunkNonce(i int, last bool) []byte {
	n := make([]byte, chacha20poly1305.NonceSize)
	binary.BigEndian.PutUint64(n[3:11], uint64(i))
	if last {
		n[11] = 1
	}
	return n
}

func (s *streamCipher) seal(p []byte, i int, last bool) []byte {
	return s.a.Seal(nil, chunkNonce(i, last), p, nil)
}

// signRaw signs body with key, with no checks: for malformed vectors.
func signRaw(body []byte, key ed25519.PrivateKey) []byte {
	return append(bytes.Clone(body), ed25519.Sign(key, body)...)
}

// grantOpts describes a raw grant. Zero values mean "as a correct grant".
type grantOpts struct {
	gc        GrantContext
	manifest  []byte              // the signed manifest the grant binds
	fileKey   []byte              // the key to seal
	devPub    []byte              // the device key to seal to
	patchInfo func([]byte)        // edits the signed info (and the HPKE info)
	sealInfo  func([]byte)        // edits only the HPKE info
	patchBody func([]byte) []byte // edits the whole body before signing
	key       ed25519.PrivateKey
}

// grantBuilder signs raw grants for the generator and the tamper matrix.
type grantBuilder struct {
	t       testing.TB
	station ed25519.PrivateKey
	devPub  []byte
}

// grantRaw builds and signs a grant as described by o, with no checks.
func (g *grantBuilder) grantRaw(o grantOpts) []byte {
	g.t.Helper()
	if o.devPub == nil {
		o.devPub = g.devPub
	}
	if o.key == nil {
		o.key = g.station
	}
	info := appendGrantInfo(nil, &o.gc, manifestHash(o.manifest))
	if o.patchInfo != nil {
		o.patchInfo(info)
	}
	hinfo := bytes.Clone(info)
	if o.sealInfo != nil {
		o.sealInfo(hinfo)
	}
	pk, err := hpke.MLKEM768X25519().NewPublicKey(o.devPub)
	if err != nil {
		g.t.Fatal(err)
	}
	sealed, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), hinfo, o.fileKey)
	if err != nil {
		g.t.Fatal(err)
	}
	e := encoder{info}
	e.bytes16(sealed)
	body := e.b
	if o.patchBody != nil {
		body = o.patchBody(body)
	}
	return signRaw(body, o.key)
}

func flipAt(b []byte, i int, mask byte) []byte {
	b = bytes.Clone(b)
	if i < 0 {
		i += len(b)
	}
	b[i] ^= mask
	return b
}

// Offsets in a grant body (after magic 8 bytes).
const (
	grantVersionOff = 8
	grantKEMOff     = 10
)
