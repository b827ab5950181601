//go:build vectorgen

package bundle

// The vector generator. It is behind the vectorgen build tag so that a
// normal test run neither regenerates nor lists it; `go generate` runs it.
// Crypto randomness comes from testing/cryptotest, so the output is
// byte-identical from run to run.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"filippo.io/age"
)

func (s *streamCipher) open(ct []byte, i int, last bool) []byte {
	s.t.Helper()
	p, err := s.a.Open(nil, chunkNonce(i, last), ct, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// grantTimesOff returns the offset of issued-at in the grant info of gc
// (expires-at follows it).
func grantTimesOff(gc *GrantContext) int {
	off := len(grantMagic) + 2 + 3*2
	for _, s := range []string{gc.GrantID, gc.OfficerID, gc.DeviceID, gc.CaseNumber, gc.DocumentID} {
		off += 2 + len(s)
	}
	return off
}

// The generator.

type sealedDoc struct {
	plaintext []byte
	payload   []byte
	manifest  []byte
	m         *Manifest
	id        *DocumentIdentity
	fileKey   []byte
}

type vecGen struct {
	grantBuilder
	stationPub ed25519.PublicKey
	other      ed25519.PrivateKey
	dev        Device
	devPriv    []byte
	dev2Pub    []byte
	vs         []*vector
}

var baseManifest = Manifest{
	CaseNumber: "2026-HOM-0117",
	DocumentID: "doc-0009",
	Title:      "Witness statement, J. Doe",
	MediaType:  "application/pdf",
	CreatedAt:  testNow.Add(-24 * time.Hour),
}

func baseGrantContext() GrantContext {
	return GrantContext{
		GrantID:   "g-0001",
		OfficerID: "4471",
		DeviceID:  "laptop-0042",
		IssuedAt:  testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
		Scope:     "view",
	}
}

func (g *vecGen) seal(plaintext []byte, m Manifest) *sealedDoc {
	g.t.Helper()
	var payload bytes.Buffer
	mb, id, err := SealDocument(&payload, bytes.NewReader(plaintext), m, g.station)
	if err != nil {
		g.t.Fatal(err)
	}
	pm, err := ParseManifest(mb, g.stationPub)
	if err != nil {
		g.t.Fatal(err)
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(payload.Bytes()))
	if err != nil {
		g.t.Fatal(err)
	}
	fk, err := age.DecryptHeader(hdr, id.id)
	if err != nil {
		g.t.Fatal(err)
	}
	return &sealedDoc{plaintext: plaintext, payload: payload.Bytes(), manifest: mb, m: pm, id: id, fileKey: fk}
}

// manifestRaw encodes m without validation, lets mod edit the body, and
// signs it with the station key.
func (g *vecGen) manifestRaw(m Manifest, mod func([]byte) []byte) []byte {
	body := m.appendBody(nil)
	if mod != nil {
		body = mod(body)
	}
	return signRaw(body, g.station)
}

// grant issues a correct grant for d (with manifest mb, default d's) via
// IssueGrant, after mod edits the context.
func (g *vecGen) grant(d *sealedDoc, mb []byte, mod func(*GrantContext)) []byte {
	g.t.Helper()
	gc := baseGrantContext()
	if mod != nil {
		mod(&gc)
	}
	if mb == nil {
		mb = d.manifest
	}
	if !bytes.Equal(mb, d.manifest) {
		// A manifest IssueGrant would refuse or that is not d's own: build
		// the grant by hand for it.
		var m *Manifest
		if len(mb) > ed25519.SignatureSize {
			m, _ = parseManifestBody(mb[:len(mb)-ed25519.SignatureSize])
		}
		if m == nil {
			m = d.m
		}
		gc.CaseNumber, gc.DocumentID = m.CaseNumber, m.DocumentID
		return g.grantRaw(grantOpts{gc: gc, manifest: mb, fileKey: d.fileKey})
	}
	gr, err := IssueGrant(gc, mb, bytes.NewReader(d.payload), d.id, g.devPub, g.station)
	if err != nil {
		g.t.Fatal(err)
	}
	return gr
}

// add records a vector; the defaults are a correct open of d.
func (g *vecGen) add(name, expect, covers, desc string, d *sealedDoc, edit func(v *vector)) {
	v := &vector{
		name:        expect + "." + name,
		expect:      expect,
		covers:      strings.Fields(covers),
		description: desc,
		stationPub:  g.stationPub,
		deviceID:    "laptop-0042",
		deviceKey:   g.devPriv,
		officerID:   "4471",
		now:         testNow,
		payloadSize: -1,
		manifest:    d.manifest,
		payload:     d.payload,
	}
	if edit != nil {
		edit(v)
	}
	if v.grant == nil {
		v.grant = g.grant(d, v.manifest, nil)
	}
	if expect == "success" && v.plainSHA == nil {
		s := sha256.Sum256(d.plaintext)
		v.plainSHA = s[:]
	}
	g.vs = append(g.vs, v)
}

func TestGenerateVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 20261203)
	g := &vecGen{grantBuilder: grantBuilder{t: t}}
	var dev2 Device
	g.station, g.dev, g.devPub = testKeys(t, 1)
	g.stationPub = g.station.Public().(ed25519.PublicKey)
	g.other, dev2, g.dev2Pub = testKeys(t, 2)
	_ = dev2
	var err error
	if g.devPriv, err = g.dev.HPKE.Bytes(); err != nil {
		t.Fatal(err)
	}

	small := g.seal(testPlaintext(100, 1), baseManifest)
	big := g.seal(testPlaintext(2*64<<10+100, 2), baseManifest) // 3 chunks
	full := g.seal(testPlaintext(64<<10, 3), baseManifest)      // exactly one full chunk
	empty := g.seal(nil, baseManifest)
	one := g.seal([]byte{0x42}, baseManifest)
	bigTwin := g.seal(testPlaintext(2*64<<10+100, 4), baseManifest) // same size, other key
	smallTwin := g.seal(testPlaintext(100, 5), baseManifest)        // same size, other key

	// Success.
	g.add("small", "success", "M2 G2 B1 K1 P1 P2 P3 P4 O1", "a 100-byte document, everything correct", small, nil)
	g.add("empty-document", "success", "P2 P4", "a 0-byte document: one empty final chunk", empty, nil)
	g.add("one-byte", "success", "P2 P4", "a 1-byte document", one, nil)
	g.add("one-full-chunk", "success", "P2 P3", "exactly 64 KiB: a single full final chunk", full, nil)
	g.add("three-chunks", "success", "P2 P3 P4", "128 KiB + 100 bytes: two full chunks and a final one", big, nil)
	uni := g.seal(testPlaintext(100, 6), Manifest{CaseNumber: "2026-ÉQ-№7", DocumentID: "doc-ü", Title: "Déclaration — témoin 🚓", MediaType: "text/plain; charset=utf-8", CreatedAt: baseManifest.CreatedAt})
	g.add("unicode-fields", "success", "M5 G5", "non-ASCII text in every text field", uni, func(v *vector) {
		v.grant = g.grant(uni, nil, func(gc *GrantContext) { gc.OfficerID = "Ølsen-4471"; gc.Scope = "voir · annoter" })
		v.officerID = "Ølsen-4471"
	})
	noTitle := g.seal(testPlaintext(10, 7), Manifest{CaseNumber: "C", DocumentID: "D", MediaType: "x/y", CreatedAt: baseManifest.CreatedAt})
	g.add("empty-title-and-scope", "success", "M5 G5", "the optional text fields empty, the others 1 byte", noTitle, func(v *vector) {
		v.grant = g.grant(noTitle, nil, func(gc *GrantContext) { gc.Scope = ""; gc.GrantID = "g"; gc.OfficerID = "4471" })
	})
	maxm := Manifest{CaseNumber: strings.Repeat("C", 64), DocumentID: strings.Repeat("D", 128), Title: strings.Repeat("T", 1024), MediaType: strings.Repeat("m", 127), CreatedAt: baseManifest.CreatedAt}
	maxDoc := g.seal(testPlaintext(10, 8), maxm)
	g.add("max-field-lengths", "success", "M1 M5 G1 G5", "every text field at its maximum length", maxDoc, func(v *vector) {
		v.grant = g.grant(maxDoc, nil, func(gc *GrantContext) {
			gc.GrantID, gc.OfficerID, gc.DeviceID, gc.Scope = strings.Repeat("G", 128), strings.Repeat("4", 64), strings.Repeat("L", 128), strings.Repeat("s", 256)
		})
		v.deviceID, v.officerID = strings.Repeat("L", 128), strings.Repeat("4", 64)
	})
	g.add("clock-skew-edge", "success", "T2", "now is exactly 5 minutes before issued-at", small, func(v *vector) {
		v.now = testNow.Add(-time.Minute - MaxClockSkew)
	})
	g.add("last-nanosecond", "success", "T1", "now is 1 ns before expires-at", small, func(v *vector) {
		v.now = testNow.Add(time.Hour - time.Nanosecond)
	})
	g.add("officer-not-checked", "success", "B4", "no officer given to Open: the officer ID is not compared", small, func(v *vector) {
		v.officerID = ""
	})

	// Sizes.
	g.add("manifest-over-4096", "too-large", "M1", "a validly signed manifest of more than 4096 bytes", small, func(v *vector) {
		m := *small.m
		m.Title = strings.Repeat("T", 5000)
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, nil, nil)
	})
	g.add("manifest-over-4096-bad-signature", "too-large", "M1 O1", "an oversized manifest with a broken signature: the size is checked first", small, func(v *vector) {
		m := *small.m
		m.Title = strings.Repeat("T", 5000)
		v.manifest = flipAt(g.manifestRaw(m, nil), -1, 0x01)
		v.grant = g.grant(small, nil, nil)
	})
	g.add("grant-over-4096", "too-large", "G1", "a validly signed grant of more than 4096 bytes", small, func(v *vector) {
		gc := baseGrantContext()
		gc.Scope = strings.Repeat("s", 5000)
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey})
	})
	g.add("payload-over-limit", "too-large", "S1", "the stored payload is said to be 1 byte above 2^30 + 2^20", small, func(v *vector) {
		v.payloadSize = MaxPayloadSize + 1
	})
	g.add("manifest-plaintext-size-over-limit", "too-large", "M8", "a signed manifest claiming 2^30 + 1 bytes of plaintext", small, func(v *vector) {
		m := *small.m
		m.PlaintextSize, m.PayloadSize = MaxPlaintextSize+1, MaxPlaintextSize+2
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, v.manifest, nil)
	})
	g.add("manifest-payload-size-over-limit", "too-large", "M8", "a signed manifest claiming a 2^31-byte payload", small, func(v *vector) {
		m := *small.m
		m.PayloadSize = 1 << 31
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, nil, nil)
	})

	// Manifest.
	g.add("manifest-signature-flipped", "tampered", "M2", "one bit of the manifest signature flipped", small, func(v *vector) {
		v.manifest = flipAt(small.manifest, -3, 0x80)
	})
	g.add("manifest-body-flipped", "tampered", "M2", "one bit of the manifest's title flipped, signature kept", small, func(v *vector) {
		v.manifest = flipAt(small.manifest, 20, 0x01)
	})
	g.add("manifest-other-station", "tampered", "M2", "the manifest is signed by another key than the pinned station key", small, func(v *vector) {
		v.manifest = signRaw(small.m.appendBody(nil), g.other)
		v.grant = g.grant(small, nil, nil)
	})
	g.add("manifest-shorter-than-signature", "tampered", "M2 M6", "a 40-byte manifest", small, func(v *vector) {
		v.manifest = small.manifest[:40]
	})
	g.add("manifest-bad-magic", "tampered", "M3", "a signed manifest whose magic is the grant's", small, func(v *vector) {
		v.manifest = g.manifestRaw(*small.m, func(b []byte) []byte { copy(b, grantMagic); return b })
		v.grant = g.grant(small, nil, nil)
	})
	g.add("manifest-version-2", "unsupported-version", "M4", "a validly signed version 2 manifest", small, func(v *vector) {
		m := *small.m
		m.Version = 2
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, nil, nil)
	})
	g.add("manifest-version-2-bad-signature", "tampered", "M2 O1", "a version 2 manifest with a broken signature: the signature is checked before the version", small, func(v *vector) {
		m := *small.m
		m.Version = 2
		v.manifest = flipAt(g.manifestRaw(m, nil), -1, 0x80)
		v.grant = g.grant(small, nil, nil)
	})
	rawManifest := func(name, covers, desc string, mod func(m *Manifest), bodyMod func([]byte) []byte) {
		g.add(name, "tampered", covers, desc, small, func(v *vector) {
			m := *small.m
			if mod != nil {
				mod(&m)
			}
			v.manifest = g.manifestRaw(m, bodyMod)
			// The grant context names the manifest's case and document.
			v.grant = g.grantRaw(grantOpts{gc: func() GrantContext {
				gc := baseGrantContext()
				gc.CaseNumber, gc.DocumentID = m.CaseNumber, m.DocumentID
				return gc
			}(), manifest: v.manifest, fileKey: small.fileKey})
		})
	}
	rawManifest("manifest-title-invalid-utf8", "M5", "a signed manifest whose title is not UTF-8", func(m *Manifest) { m.Title = "Witness \xff statement" }, nil)
	rawManifest("manifest-title-control-char", "M5", "a signed manifest whose title holds a newline", func(m *Manifest) { m.Title = "Witness\nstatement" }, nil)
	rawManifest("manifest-title-c1-control", "M5", "a signed manifest whose title holds U+009B (CSI)", func(m *Manifest) { m.Title = "Witness \u009b2J" }, nil)
	rawManifest("manifest-case-number-empty", "M5", "a signed manifest with an empty case number", func(m *Manifest) { m.CaseNumber = "" }, nil)
	rawManifest("manifest-title-1025-bytes", "M5", "a signed manifest whose title is one byte over its limit", func(m *Manifest) { m.Title = strings.Repeat("T", 1025) }, nil)
	rawManifest("manifest-media-type-128-bytes", "M5", "a signed manifest whose media type is one byte over its limit", func(m *Manifest) { m.MediaType = strings.Repeat("m", 128) }, nil)
	rawManifest("manifest-trailing-byte", "M6", "a signed manifest with one byte after created-at", nil, func(b []byte) []byte { return append(b, 0) })
	rawManifest("manifest-truncated-body", "M6", "a signed manifest body that stops inside created-at", nil, func(b []byte) []byte { return b[:len(b)-3] })
	rawManifest("manifest-length-past-end", "M6", "a signed manifest whose title length runs past the end", nil, func(b []byte) []byte {
		// Cut right after the title's length prefix.
		off := len(manifestMagic) + 2 + 2 + len(small.m.CaseNumber) + 2 + len(small.m.DocumentID)
		return b[:off+2]
	})
	rawManifest("manifest-created-at-zero", "M7", "a signed manifest with created-at 0", func(m *Manifest) { m.CreatedAt = time.Unix(0, 0) }, nil)
	rawManifest("manifest-created-at-negative", "M7", "a signed manifest with created-at above 2^63-1 (negative as int64)", nil, func(b []byte) []byte {
		binary.BigEndian.PutUint64(b[len(b)-8:], 1<<63)
		return b
	})
	rawManifest("manifest-payload-not-above-plaintext", "M8", "a signed manifest whose payload size equals its plaintext size", func(m *Manifest) { m.PayloadSize = m.PlaintextSize }, nil)

	// Grant encoding.
	gc0 := baseGrantContext()
	g.add("grant-signature-flipped", "tampered", "G2", "one bit of the grant signature flipped", small, func(v *vector) {
		v.grant = flipAt(g.grant(small, nil, nil), -10, 0x01)
	})
	g.add("grant-other-station", "tampered", "G2", "the grant is signed by another key", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, key: g.other})
	})
	g.add("grant-context-flipped", "tampered", "G2", "one bit of the grant's expires-at flipped, signature kept", small, func(v *vector) {
		gr := g.grant(small, nil, nil)
		i := bytes.Index(gr, []byte("view")) - 3 // last byte of expires-at
		v.grant = flipAt(gr, i, 0x01)
	})
	g.add("grant-bad-magic", "tampered", "G3", "a signed grant whose magic is the manifest's", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { copy(b, manifestMagic) }})
	})
	g.add("grant-version-2", "unsupported-version", "G4", "a validly signed version 2 grant", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { b[grantVersionOff+1] = 2 }})
	})
	g.add("grant-kem-mlkem768", "unsupported-version", "G4", "a validly signed grant naming KEM 0x0041 (ML-KEM-768 alone)", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff:], 0x0041) }})
	})
	g.add("grant-aead-aes128gcm", "unsupported-version", "G4", "a validly signed grant naming AEAD 0x0001 (AES-128-GCM)", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff+4:], 0x0001) }})
	})
	rawGrant := func(name, covers, desc string, mod func(gc *GrantContext), patchBody func([]byte) []byte) {
		g.add(name, "tampered", covers, desc, small, func(v *vector) {
			gc := baseGrantContext()
			gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
			if mod != nil {
				mod(&gc)
			}
			v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey, patchBody: patchBody})
		})
	}
	rawGrant("grant-officer-invalid-utf8", "G5", "a signed grant whose officer ID is not UTF-8", func(gc *GrantContext) { gc.OfficerID = "44\xc071" }, nil)
	rawGrant("grant-scope-control-char", "G5", "a signed grant whose scope holds a NUL", func(gc *GrantContext) { gc.Scope = "view\x00annotate" }, nil)
	rawGrant("grant-id-empty", "G5", "a signed grant with an empty grant ID", func(gc *GrantContext) { gc.GrantID = "" }, nil)
	rawGrant("grant-officer-65-bytes", "G5", "a signed grant whose officer ID is one byte over its limit", func(gc *GrantContext) { gc.OfficerID = strings.Repeat("4", 65) }, nil)
	rawGrant("grant-expires-before-issued", "G6", "a signed grant whose expires-at is before issued-at", func(gc *GrantContext) { gc.IssuedAt, gc.ExpiresAt = gc.ExpiresAt, gc.IssuedAt }, nil)
	rawGrant("grant-expires-equals-issued", "G6", "a signed grant whose expires-at equals issued-at", func(gc *GrantContext) { gc.ExpiresAt = gc.IssuedAt }, nil)
	rawGrant("grant-issued-at-zero", "G6", "a signed grant with issued-at 0", func(gc *GrantContext) { gc.IssuedAt = time.Unix(0, 0) }, nil)
	rawGrant("grant-sealed-len-1151", "G7", "a signed grant whose sealed key is one byte short", nil, func(b []byte) []byte {
		b = b[:len(b)-1]
		binary.BigEndian.PutUint16(b[len(b)-sealedKeySize+1-2:], sealedKeySize-1)
		return b
	})
	rawGrant("grant-sealed-len-1153", "G7", "a signed grant whose sealed key has one extra byte", nil, func(b []byte) []byte {
		b = append(b, 0)
		binary.BigEndian.PutUint16(b[len(b)-sealedKeySize-1-2:], sealedKeySize+1)
		return b
	})
	rawGrant("grant-trailing-byte", "G8", "a signed grant with one byte after the sealed key", nil, func(b []byte) []byte { return append(b, 0) })
	rawGrant("grant-truncated", "G8", "a signed grant body cut inside the sealed key", nil, func(b []byte) []byte { return b[:len(b)-100] })

	// Bindings.
	resealed := g.seal(small.plaintext, baseManifest) // same document sealed again
	g.add("grant-for-other-manifest", "tampered", "B1", "a correct grant for another sealing of the same document, used with this manifest", small, func(v *vector) {
		v.grant = g.grant(resealed, nil, nil)
	})
	g.add("grant-other-document-id", "tampered", "B2", "a station-signed grant binding this manifest's hash but naming another document", small, func(v *vector) {
		gc := baseGrantContext()
		gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, "doc-0010"
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey})
	})
	g.add("grant-other-case", "tampered", "B2", "a signed grant binding this manifest's hash but naming another case", small, func(v *vector) {
		gc := baseGrantContext()
		gc.CaseNumber, gc.DocumentID = "2026-HOM-0118", small.m.DocumentID
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey})
	})
	g.add("grant-for-other-device", "wrong-device", "B3", "a grant issued to laptop-0043 opened on laptop-0042", small, func(v *vector) {
		v.grant = g.grant(small, nil, func(gc *GrantContext) { gc.DeviceID = "laptop-0043" })
	})
	g.add("grant-for-other-officer", "wrong-officer", "B4", "a grant issued to officer 4472 opened in officer 4471's session", small, func(v *vector) {
		v.grant = g.grant(small, nil, func(gc *GrantContext) { gc.OfficerID = "4472" })
	})
	g.add("payload-truncated-by-one", "tampered", "B5", "the payload lost its last byte", small, func(v *vector) {
		v.payload = small.payload[:len(small.payload)-1]
	})
	g.add("payload-extended-by-one", "tampered", "B5", "one byte appended to the payload", small, func(v *vector) {
		v.payload = append(bytes.Clone(small.payload), 0)
	})
	g.add("payload-extended-by-chunk", "tampered", "B5", "a whole 64 KiB chunk from another payload appended", small, func(v *vector) {
		b := chunkBounds(t, big.payload)[0]
		v.payload = append(bytes.Clone(small.payload), big.payload[b[0]:b[1]]...)
	})
	g.add("payload-short-reader", "tampered", "P2", "the stored payload is 100 bytes shorter than the size given to Open (and the manifest's)", small, func(v *vector) {
		v.payloadSize = int64(len(small.payload))
		v.payload = small.payload[:len(small.payload)-100]
	})

	// Validity.
	g.add("expired-at-expiry", "expired", "T1", "now equals expires-at", small, func(v *vector) { v.now = testNow.Add(time.Hour) })
	g.add("expired-long-ago", "expired", "T1", "now is a year after expires-at", small, func(v *vector) { v.now = testNow.AddDate(1, 0, 0) })
	g.add("not-yet-valid", "expired", "T2", "now is 5 minutes and 1 ns before issued-at", small, func(v *vector) {
		v.now = testNow.Add(-time.Minute - MaxClockSkew - time.Nanosecond)
	})

	// Unwrap.
	g.add("sealed-to-other-device-key", "wrong-device", "K1", "the grant names this device but is sealed to another device's key", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: func() GrantContext {
			gc := baseGrantContext()
			gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
			return gc
		}(), manifest: small.manifest, fileKey: small.fileKey, devPub: g.dev2Pub})
	})
	g.add("sealed-under-other-context", "wrong-device", "K1", "a station-signed grant whose key was sealed under another expiry: the HPKE info differs", small, func(v *vector) {
		gc := baseGrantContext()
		gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey, sealInfo: func(b []byte) {
			i := bytes.Index(b, []byte("view")) - 3
			b[i] ^= 0x01
		}})
	})
	g.add("sealed-key-of-other-payload", "tampered", "K1 P1", "a station-signed grant carrying another payload's file key", small, func(v *vector) {
		gc := baseGrantContext()
		gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: smallTwin.fileKey})
	})

	// Payload.
	g.add("payload-header-flipped", "tampered", "P1", "one bit flipped in the age recipient stanza", small, func(v *vector) {
		v.payload = flipAt(small.payload, 60, 0x01)
	})
	g.add("payload-header-mac-flipped", "tampered", "P1", "one bit flipped in the age header MAC", small, func(v *vector) {
		v.payload = flipAt(small.payload, payloadBodyOffset(t, small.payload)-16-3, 0x01)
	})
	g.add("payload-header-from-twin", "tampered", "P1", "the age header and nonce of another payload of the same size", small, func(v *vector) {
		off := payloadBodyOffset(t, small.payload)
		v.payload = append(bytes.Clone(smallTwin.payload[:off]), small.payload[off:]...)
	})
	g.add("payload-not-age", "tampered", "P1", "a payload of the right size that is not an age file", small, func(v *vector) {
		v.payload = bytes.Repeat([]byte{'A'}, len(small.payload))
	})
	g.add("final-chunk-flipped", "tampered", "P2", "one bit flipped in the final chunk's tag", small, func(v *vector) {
		v.payload = flipAt(small.payload, -1, 0x80)
	})
	g.add("final-chunk-flag-missing", "tampered", "P2", "the final chunk re-encrypted with the file key but without the final-chunk flag", small, func(v *vector) {
		sc := streamAEAD(t, small.payload, small.fileKey)
		off := payloadBodyOffset(t, small.payload)
		p := sc.open(small.payload[off:], 0, true)
		v.payload = append(bytes.Clone(small.payload[:off]), sc.seal(p, 0, false)...)
	})
	g.add("plaintext-size-mismatch", "tampered", "P2", "a station-signed manifest whose plaintext size is one less than the payload holds", small, func(v *vector) {
		m := *small.m
		m.PlaintextSize--
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, v.manifest, nil)
	})
	bb := chunkBounds(t, big.payload)
	g.add("middle-chunk-flipped", "tampered", "P3", "one bit flipped in the second of three chunks: open succeeds, the read fails", big, func(v *vector) {
		v.payload = flipAt(big.payload, bb[1][0]+1000, 0x01)
	})
	g.add("first-chunk-flipped", "tampered", "P3", "one bit flipped in the first chunk's tag", big, func(v *vector) {
		v.payload = flipAt(big.payload, bb[0][1]-1, 0x80)
	})
	g.add("chunks-swapped", "tampered", "P3", "the first two (full) chunks swapped", big, func(v *vector) {
		p := bytes.Clone(big.payload)
		copy(p[bb[0][0]:], big.payload[bb[1][0]:bb[1][1]])
		copy(p[bb[1][0]:], big.payload[bb[0][0]:bb[0][1]])
		v.payload = p
	})
	g.add("chunk-duplicated", "tampered", "P3", "the first chunk written over the second", big, func(v *vector) {
		p := bytes.Clone(big.payload)
		copy(p[bb[1][0]:], big.payload[bb[0][0]:bb[0][1]])
		v.payload = p
	})
	g.add("chunk-spliced", "tampered", "P3", "the second chunk taken from another payload of the same size", big, func(v *vector) {
		tb := chunkBounds(t, bigTwin.payload)
		p := bytes.Clone(big.payload)
		copy(p[bb[1][0]:], bigTwin.payload[tb[1][0]:tb[1][1]])
		v.payload = p
	})
	g.add("chunk-deleted-manifest-adjusted", "tampered", "P2 P3", "the second chunk deleted, with a station-signed manifest and grant for the shorter sizes", big, func(v *vector) {
		p := append(bytes.Clone(big.payload[:bb[1][0]]), big.payload[bb[2][0]:]...)
		m := *big.m
		m.PlaintextSize -= 64 << 10
		m.PayloadSize = int64(len(p))
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(big, v.manifest, nil)
		v.payload = p
	})
	g.add("chunk-duplicated-manifest-adjusted", "tampered", "P3", "the first chunk inserted again, with a station-signed manifest and grant for the longer sizes", big, func(v *vector) {
		p := append(bytes.Clone(big.payload[:bb[1][0]]), big.payload[bb[0][0]:]...)
		m := *big.m
		m.PlaintextSize += 64 << 10
		m.PayloadSize = int64(len(p))
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(big, v.manifest, nil)
		v.payload = p
	})
	g.add("plaintext-sha256-mismatch", "tampered", "P4", "a station-signed manifest whose plaintext SHA-256 is wrong in one bit", small, func(v *vector) {
		m := *small.m
		m.PlaintextSHA256[31] ^= 1
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(small, v.manifest, nil)
	})
	g.add("payload-reencrypted-same-key", "tampered", "P4", "other plaintext of the same size encrypted with the right file key: only the SHA-256 finds it", big, func(v *vector) {
		sc := streamAEAD(t, big.payload, big.fileKey)
		other := testPlaintext(len(big.plaintext), 9)
		p := bytes.Clone(big.payload[:bb[0][0]])
		for i := range bb {
			pt := other[i*(64<<10) : min((i+1)*(64<<10), len(other))]
			p = append(p, sc.seal(pt, i, i == len(bb)-1)...)
		}
		v.payload = p
	})

	// Order of checks.
	g.add("expired-and-other-device", "wrong-device", "O1 B3", "an expired grant for another device: the device is checked before the validity window", small, func(v *vector) {
		v.grant = g.grant(small, nil, func(gc *GrantContext) { gc.DeviceID = "laptop-0043" })
		v.now = testNow.Add(2 * time.Hour)
	})
	g.add("expired-and-other-officer", "wrong-officer", "O1 B4", "an expired grant for another officer", small, func(v *vector) {
		v.grant = g.grant(small, nil, func(gc *GrantContext) { gc.OfficerID = "4472" })
		v.now = testNow.Add(2 * time.Hour)
	})
	g.add("expired-and-truncated", "tampered", "O1 B5", "an expired grant with a truncated payload: sizes are bound before the validity window", small, func(v *vector) {
		v.payload = small.payload[:len(small.payload)-1]
		v.now = testNow.Add(2 * time.Hour)
	})
	g.add("expired-and-other-key", "expired", "O1 T1", "an expired grant sealed to another key: the window is checked before the unwrap", small, func(v *vector) {
		gc := baseGrantContext()
		gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey, devPub: g.dev2Pub})
		v.now = testNow.Add(2 * time.Hour)
	})
	g.add("truncated-and-grant-version-2", "tampered", "O1 B5", "a truncated payload with a version 2 grant: the payload size is checked before the grant", small, func(v *vector) {
		v.payload = small.payload[:len(small.payload)-1]
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { b[grantVersionOff+1] = 2 }})
	})
	g.add("grant-over-4096-and-manifest-bad-signature", "too-large", "O1 G1", "an oversized grant with a broken manifest signature: sizes first", small, func(v *vector) {
		gc := baseGrantContext()
		gc.Scope = strings.Repeat("s", 5000)
		v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey})
		v.manifest = flipAt(small.manifest, -1, 0x01)
	})
	g.add("bad-grant-signature-and-other-device", "tampered", "O1 G2", "a grant for another device with a broken signature: signatures first", small, func(v *vector) {
		v.grant = flipAt(g.grant(small, nil, func(gc *GrantContext) { gc.DeviceID = "laptop-0043" }), -1, 0x01)
	})

	// Added later, and kept after all the others: each draws from the
	// deterministic randomness, so vectors added here leave the bytes of
	// the earlier ones unchanged.
	g.add("grant-kdf-hkdf-sha384", "unsupported-version", "G4", "a validly signed grant naming KDF 0x0002 (HKDF-SHA384)", small, func(v *vector) {
		v.grant = g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff+2:], 0x0002) }})
	})
	grantTimes := func(name, desc string, issued, expires uint64) {
		g.add(name, "tampered", "G6", desc, small, func(v *vector) {
			gc := baseGrantContext()
			gc.CaseNumber, gc.DocumentID = small.m.CaseNumber, small.m.DocumentID
			v.grant = g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) {
				off := grantTimesOff(&gc)
				if issued != 0 {
					binary.BigEndian.PutUint64(b[off:], issued)
				}
				if expires != 0 {
					binary.BigEndian.PutUint64(b[off+8:], expires)
				}
			}})
		})
	}
	// Read as int64, 2^63 is the earliest time there is: a verifier that
	// let it through would take the grant as valid since 1677.
	grantTimes("grant-issued-at-above-2p63-1", "a signed grant with issued-at 2^63 (negative as int64), expires-at correct", 1<<63, 0)
	grantTimes("grant-expires-at-above-2p63-1", "a signed grant with expires-at 2^64-1 (-1 ns as int64), issued-at correct", 0, 1<<64-1)
	g.add("grant-over-4096-bad-signature", "too-large", "G1 O1", "an oversized grant with a broken signature: its size is checked first", small, func(v *vector) {
		gc := baseGrantContext()
		gc.Scope = strings.Repeat("s", 5000)
		v.grant = flipAt(g.grantRaw(grantOpts{gc: gc, manifest: small.manifest, fileKey: small.fileKey}), -1, 0x01)
	})
	g.add("grant-version-2-bad-signature", "tampered", "G2 O1", "a version 2 grant with a broken signature: the signature is checked before the version", small, func(v *vector) {
		v.grant = flipAt(g.grantRaw(grantOpts{gc: gc0, manifest: small.manifest, fileKey: small.fileKey, patchInfo: func(b []byte) { b[grantVersionOff+1] = 2 }}), -1, 0x80)
	})
	g.add("final-chunk-dropped-manifest-adjusted", "tampered", "P2", "the final chunk cut off at a chunk boundary, with a station-signed manifest and grant for the shorter sizes: the last chunk left lacks the final-chunk flag", big, func(v *vector) {
		p := bytes.Clone(big.payload[:bb[2][0]])
		m := *big.m
		m.PlaintextSize = 2 * 64 << 10
		m.PayloadSize = int64(len(p))
		v.manifest = g.manifestRaw(m, nil)
		v.grant = g.grant(big, v.manifest, nil)
		v.payload = p
	})

	if err := os.RemoveAll(vectorDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range g.vs {
		if names[v.name] {
			t.Fatalf("duplicate vector name %s", v.name)
		}
		names[v.name] = true
		if err := os.WriteFile(filepath.Join(vectorDir, v.name), v.marshal(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d vectors", len(g.vs))
}
