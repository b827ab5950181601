package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
)

// The tamper matrix: every single-bit class (0x01, 0x80) of every byte of
// manifest, grant and payload, truncation at every offset (three ways:
// through Open, which stops at the payload-size check; through the payload
// reader with a manifest sized for the cut payload, so that the STREAM
// reader's own checks must refuse it; and under a document already open),
// extension, chunk deletion, duplication, swapping and splicing, every
// signed field changed, and grants for the wrong time, device, officer or
// document. Each trial must fail with a sentinel error and release no
// plaintext.
//
// With -short, payload bytes and truncation offsets are sampled (except
// under an open document, where each trial is cheap).

const tamperSize = 2*64<<10 + 1000 // three chunks

type tamperBundle struct {
	*fixture
	fileKey []byte
	chunks  [][2]int // ciphertext bounds of each chunk
}

func newTamperBundle(t *testing.T) *tamperBundle {
	f := newFixture(t, tamperSize)
	hdr, err := age.ExtractHeader(bytes.NewReader(f.payload))
	if err != nil {
		t.Fatal(err)
	}
	fk, err := age.DecryptHeader(hdr, f.id.id)
	if err != nil {
		t.Fatal(err)
	}
	tb := &tamperBundle{fixture: f, fileKey: fk, chunks: chunkBounds(t, f.payload)}
	if len(tb.chunks) != 3 {
		t.Fatalf("tamper bundle has %d chunks, want 3", len(tb.chunks))
	}
	return tb
}

// openAll opens and reads the whole document. It fails the test if the
// document opens and reads but differs from the plaintext.
func (tb *tamperBundle) openAll(t *testing.T, manifest, grant, payload []byte) error {
	doc, err := Open(manifest, grant, bytes.NewReader(payload), int64(len(payload)), tb.dev, tb.stationPub, tb.opts())
	if err != nil {
		return err
	}
	defer doc.Close()
	got, err := doc.ReadAll(context.Background())
	if err != nil {
		if got != nil {
			t.Errorf("ReadAll returned %d bytes with error %v", len(got), err)
		}
		return err
	}
	if !bytes.Equal(got, tb.plaintext) {
		t.Errorf("opened a tampered bundle to different plaintext")
	}
	return nil
}

// expectFail records one trial: err must wrap want (or any sentinel if
// want is nil).
func expectFail(t *testing.T, what string, err error, want error, trials *atomic.Int64) {
	t.Helper()
	expectFailf(t, err, want, trials, "%s", what)
}

// expectFailf is expectFail with the description formatted only on failure.
func expectFailf(t *testing.T, err error, want error, trials *atomic.Int64, format string, args ...any) {
	t.Helper()
	trials.Add(1)
	if err == nil || want != nil && !errors.Is(err, want) || outcome(err) == "unclassified: "+err.Error() {
		expectFailSlow(t, fmt.Sprintf(format, args...), err, want)
	}
}

func expectFailSlow(t *testing.T, what string, err error, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: not detected", what)
		return
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
		return
	}
	if outcome(err) == "unclassified: "+err.Error() {
		t.Errorf("%s: error wraps no sentinel: %v", what, err)
	}
}

func sampled(i, n int) bool {
	if !testing.Short() {
		return true
	}
	return i < 64 || n-i <= 64 || i%61 == 0
}

func TestTamperMatrix(t *testing.T) {
	tb := newTamperBundle(t)
	if err := tb.openAll(t, tb.manifest, tb.grant, tb.payload); err != nil {
		t.Fatalf("untampered bundle: %v", err)
	}
	var trials atomic.Int64
	masks := []byte{0x01, 0x80}

	t.Run("matrix", func(t *testing.T) { tb.matrix(t, &trials, masks) })
	t.Logf("%d tampering trials, all detected (short=%v)", trials.Load(), testing.Short())
}

func (tb *tamperBundle) matrix(t *testing.T, trials *atomic.Int64, masks []byte) {
	t.Run("manifest bits", func(t *testing.T) {
		for i := range tb.manifest {
			for _, m := range masks {
				err := tb.openAll(t, flipAt(tb.manifest, i, m), tb.grant, tb.payload)
				expectFail(t, fmt.Sprintf("manifest byte %d ^ %#x", i, m), err, ErrTampered, trials)
			}
		}
	})
	t.Run("grant bits", func(t *testing.T) {
		for i := range tb.grant {
			for _, m := range masks {
				err := tb.openAll(t, tb.manifest, flipAt(tb.grant, i, m), tb.payload)
				expectFail(t, fmt.Sprintf("grant byte %d ^ %#x", i, m), err, ErrTampered, trials)
			}
		}
	})
	t.Run("payload header bits", func(t *testing.T) {
		// Header and stream nonce: every byte, full open each time.
		for i := 0; i < tb.chunks[0][0]; i++ {
			for _, m := range masks {
				err := tb.openAll(t, tb.manifest, tb.grant, flipAt(tb.payload, i, m))
				expectFailf(t, err, ErrTampered, trials, "payload header byte %d ^ %#x", i, m)
			}
		}
	})
	t.Run("payload chunk bits", func(t *testing.T) {
		t.Parallel()
		// One Document over a buffer that the test edits in place: a flip
		// in chunk c must make every read of chunk c fail and release
		// nothing, and undoing it must make the read succeed again. The
		// header and final chunk checks of Open are covered above and by
		// the final-chunk trials (the final chunk is re-read here too).
		buf := bytes.Clone(tb.payload)
		doc, err := Open(tb.manifest, tb.grant, bytes.NewReader(buf), int64(len(buf)), tb.dev, tb.stationPub, tb.opts())
		if err != nil {
			t.Fatal(err)
		}
		defer doc.Close()
		for c, cb := range tb.chunks {
			plainOff := int64(c) * 64 << 10
			plainLen := min(64<<10, doc.Size()-plainOff)
			full := make([]byte, plainLen)
			// Each trial reads 16 bytes from the middle of the chunk: any
			// read decrypts and authenticates the whole chunk.
			p := make([]byte, 16)
			pOff := plainOff + plainLen/2 - 8
			pattern := bytes.Repeat([]byte{0xa5}, len(p))
			// Move the reader's one-chunk cache to another chunk.
			other := int64((c+1)%len(tb.chunks)) * 64 << 10
			if _, err := doc.ReadAt(make([]byte, 1), other); err != nil {
				t.Fatal(err)
			}
			n := cb[1] - cb[0]
			for i := cb[0]; i < cb[1]; i++ {
				if !sampled(i-cb[0], n) {
					continue
				}
				for _, m := range masks {
					buf[i] ^= m
					copy(p, pattern)
					got, err := doc.ReadAt(p, pOff)
					buf[i] ^= m
					expectFailf(t, err, ErrTampered, trials, "chunk %d byte %d ^ %#x", c, i-cb[0], m)
					if got != 0 || !bytes.Equal(p, pattern) {
						t.Fatalf("chunk %d byte %d ^ %#x: %d bytes released", c, i-cb[0], m, got)
					}
				}
			}
			// Control: the restored chunk reads correctly, so the failures
			// above came from the flips.
			if got, err := doc.ReadAt(full, plainOff); int64(got) != plainLen || (err != nil && got != len(full)) || !bytes.Equal(full, tb.plaintext[plainOff:plainOff+plainLen]) {
				t.Fatalf("chunk %d after restoring: %d, %v", c, got, err)
			}
		}
	})
	t.Run("truncate at every offset", func(t *testing.T) {
		t.Parallel()
		for off := 0; off < len(tb.payload); off++ {
			if !sampled(off, len(tb.payload)) {
				continue
			}
			err := tb.openAll(t, tb.manifest, tb.grant, tb.payload[:off])
			expectFailf(t, err, ErrTampered, trials, "truncated at %d", off)
		}
	})
	t.Run("truncate at every offset, through the payload reader", func(t *testing.T) {
		t.Parallel()
		// The trials above stop at the payload-size check [B5], before any
		// decryption. Here each cut payload goes straight to the payload
		// reader (openPayload, as Open calls it after the unwrap) with the
		// file key and a manifest sized for the cut payload, its plaintext
		// size following age's arithmetic (agePlaintextSize, as FuzzPayload
		// does): only the STREAM reader's own checks (header, body size,
		// final chunk) can refuse it.
		m0, err := ParseManifest(tb.manifest, tb.stationPub)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for off := 0; off < len(tb.payload); off++ {
			if !sampled(off, len(tb.payload)) {
				continue
			}
			cut := tb.payload[:off]
			m := *m0
			m.PayloadSize, m.PlaintextSize = int64(off), agePlaintextSize(cut)
			doc, err := openPayload(bytes.NewReader(cut), tb.fileKey, &m, tb.gc)
			if doc != nil {
				doc.Close()
				t.Errorf("payload cut at %d opened (%d bytes of plaintext)", off, doc.Size())
				continue
			}
			expectFailf(t, err, ErrTampered, trials, "payload cut at %d, payload reader", off)
			reason := streamRefusal(err)
			if reason == "" {
				t.Errorf("payload cut at %d: refused by something other than the payload reader: %v", off, err)
			}
			reasons[reason]++
		}
		t.Logf("cuts refused by the payload reader: %v", reasons)
	})
	t.Run("truncate at every offset, under an open document", func(t *testing.T) {
		t.Parallel()
		// The stored payload shrinks after Open (storage truncated under a
		// live document): every read of the chunk holding the cut, whole
		// (decrypted in place) or partial (through the one-chunk cache),
		// must fail and release none of its bytes.
		src := &cutReaderAt{b: tb.payload, n: len(tb.payload)}
		doc, err := Open(tb.manifest, tb.grant, src, int64(len(tb.payload)), tb.dev, tb.stationPub, tb.opts())
		if err != nil {
			t.Fatal(err)
		}
		defer doc.Close()
		// Evict the final chunk that Open authenticated and cached: a failed
		// read of another chunk empties the cache.
		src.n = 0
		if _, err := doc.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrTampered) {
			t.Fatalf("read of a cut payload: %v", err)
		}
		buf := make([]byte, 64<<10)
		pattern, zeros := bytes.Repeat([]byte{0xa5}, len(buf)), make([]byte, len(buf))
		for off := 0; off < len(tb.payload); off++ {
			src.n = off
			c := 0
			for c < len(tb.chunks)-1 && off >= tb.chunks[c][1] {
				c++
			}
			plainOff := int64(c) * 64 << 10
			plainLen := min(64<<10, doc.Size()-plainOff)
			for _, r := range []struct {
				p   []byte
				off int64
			}{{buf[:plainLen], plainOff}, {buf[:16], plainOff + plainLen/2 - 8}} {
				copy(r.p, pattern)
				n, err := doc.ReadAt(r.p, r.off)
				expectFailf(t, err, ErrTampered, trials, "payload cut at %d under an open document, %d-byte read of chunk %d", off, len(r.p), c)
				if n != 0 || !bytes.Equal(r.p, pattern[:len(r.p)]) && !bytes.Equal(r.p, zeros[:len(r.p)]) {
					t.Fatalf("payload cut at %d under an open document: %d bytes released from chunk %d", off, n, c)
				}
			}
		}
		// Control: the whole payload back, the same document reads it all.
		src.n = len(tb.payload)
		got, err := doc.ReadAll(context.Background())
		if err != nil || !bytes.Equal(got, tb.plaintext) {
			t.Fatalf("after restoring the payload: %d bytes, %v", len(got), err)
		}
	})
	t.Run("short reader at full size", func(t *testing.T) {
		// The stored payload is short but Open is told the manifest's size:
		// age's own checks must catch it.
		var offs []int
		for off := 0; off < len(tb.payload); off += 997 {
			offs = append(offs, off)
		}
		for _, cb := range tb.chunks {
			offs = append(offs, cb[0]-1, cb[0], cb[0]+1, cb[1]-1)
		}
		for _, off := range offs {
			doc, err := Open(tb.manifest, tb.grant, bytes.NewReader(tb.payload[:off]), int64(len(tb.payload)), tb.dev, tb.stationPub, tb.opts())
			if err == nil {
				_, err = doc.ReadAll(context.Background())
			}
			expectFail(t, fmt.Sprintf("short reader cut at %d", off), err, ErrTampered, trials)
		}
	})
	t.Run("extend", func(t *testing.T) {
		sc := streamAEAD(t, tb.payload, tb.fileKey)
		last := tb.chunks[2]
		for name, p := range map[string][]byte{
			"one zero byte":                              append(bytes.Clone(tb.payload), 0),
			"one 0xff byte":                              append(bytes.Clone(tb.payload), 0xff),
			"copy of the first chunk":                    append(bytes.Clone(tb.payload), tb.payload[tb.chunks[0][0]:tb.chunks[0][1]]...),
			"copy of the final chunk":                    append(bytes.Clone(tb.payload), tb.payload[last[0]:last[1]]...),
			"chunk 3 sealed with the right key as final": append(bytes.Clone(tb.payload), sc.seal(testPlaintext(100, 9), 3, true)...),
		} {
			expectFail(t, "append "+name, tb.openAll(t, tb.manifest, tb.grant, p), ErrTampered, trials)
			// Even with a station-signed manifest and a grant for the new
			// size, the STREAM layer refuses it.
			mb, gr := tb.resign(t, int64(len(p)), len(p)-len(tb.payload))
			expectFail(t, "append "+name+" (sizes re-signed)", tb.openAll(t, mb, gr, p), nil, trials)
		}
	})
	t.Run("chunks", func(t *testing.T) {
		twin := newTamperBundle(t)
		ch := func(i int) []byte { return tb.payload[tb.chunks[i][0]:tb.chunks[i][1]] }
		head := tb.payload[:tb.chunks[0][0]]
		build := func(parts ...[]byte) []byte {
			p := bytes.Clone(head)
			for _, x := range parts {
				p = append(p, x...)
			}
			return p
		}
		variants := map[string][]byte{
			"delete chunk 0":    build(ch(1), ch(2)),
			"delete chunk 1":    build(ch(0), ch(2)),
			"delete chunk 2":    build(ch(0), ch(1)),
			"duplicate chunk 0": build(ch(0), ch(0), ch(1), ch(2)),
			"duplicate chunk 1": build(ch(0), ch(1), ch(1), ch(2)),
			"duplicate chunk 2": build(ch(0), ch(1), ch(2), ch(2)),
			"swap chunks 0, 1":  build(ch(1), ch(0), ch(2)),
			"swap chunks 0, 2":  build(ch(2), ch(1), ch(0)),
			"swap chunks 1, 2":  build(ch(0), ch(2), ch(1)),
		}
		for i := range tb.chunks {
			parts := [][]byte{ch(0), ch(1), ch(2)}
			parts[i] = twin.payload[twin.chunks[i][0]:twin.chunks[i][1]]
			variants[fmt.Sprintf("splice chunk %d from another bundle", i)] = build(parts...)
		}
		variants["header of another bundle"] = append(bytes.Clone(twin.payload[:twin.chunks[0][0]]), tb.payload[tb.chunks[0][0]:]...)
		for name, p := range variants {
			expectFail(t, name, tb.openAll(t, tb.manifest, tb.grant, p), ErrTampered, trials)
			if len(p) != len(tb.payload) {
				mb, gr := tb.resign(t, int64(len(p)), len(p)-len(tb.payload))
				expectFail(t, name+" (sizes re-signed)", tb.openAll(t, mb, gr, p), nil, trials)
			}
		}
	})
	t.Run("signed manifest fields", func(t *testing.T) {
		other, _, _ := testKeys(t, 9)
		orig, err := ParseManifest(tb.manifest, tb.stationPub)
		if err != nil {
			t.Fatal(err)
		}
		edits := map[string]func(m *Manifest){
			"version":          func(m *Manifest) { m.Version = 2 },
			"case number":      func(m *Manifest) { m.CaseNumber = "2026-HOM-0118" },
			"document ID":      func(m *Manifest) { m.DocumentID = "doc-8" },
			"title":            func(m *Manifest) { m.Title = "Witness statement, R. Roe" },
			"media type":       func(m *Manifest) { m.MediaType = "text/html" },
			"plaintext size":   func(m *Manifest) { m.PlaintextSize-- },
			"plaintext SHA256": func(m *Manifest) { m.PlaintextSHA256[0] ^= 1 },
			"payload size":     func(m *Manifest) { m.PayloadSize++ },
			"created-at":       func(m *Manifest) { m.CreatedAt = m.CreatedAt.Add(time.Nanosecond) },
		}
		for name, edit := range edits {
			m := *orig
			edit(&m)
			body := m.appendBody(nil)
			sig := tb.manifest[len(tb.manifest)-ed25519.SignatureSize:]
			expectFail(t, name+" changed, signature kept", tb.openAll(t, append(body, sig...), tb.grant, tb.payload), ErrTampered, trials)
			expectFail(t, name+" changed, signed by another key", tb.openAll(t, signRaw(body, other), tb.grant, tb.payload), ErrTampered, trials)
			want := ErrTampered // the grant binds the old manifest
			if name == "version" {
				want = ErrUnsupportedVersion
			}
			expectFail(t, name+" changed, signed by the station", tb.openAll(t, signRaw(body, tb.stationPriv), tb.grant, tb.payload), want, trials)
		}
	})
	t.Run("signed grant fields", func(t *testing.T) {
		other, _, _ := testKeys(t, 9)
		orig, err := ParseGrant(tb.grant, tb.stationPub)
		if err != nil {
			t.Fatal(err)
		}
		type edit struct {
			gc    func(*GrantContext)
			mh    bool
			patch func([]byte) // on the encoded info
		}
		edits := map[string]edit{
			"grant ID":        {gc: func(g *GrantContext) { g.GrantID = "g-2" }},
			"officer ID":      {gc: func(g *GrantContext) { g.OfficerID = "4472" }},
			"device ID":       {gc: func(g *GrantContext) { g.DeviceID = "laptop-0043" }},
			"case number":     {gc: func(g *GrantContext) { g.CaseNumber = "2026-HOM-0118" }},
			"document ID":     {gc: func(g *GrantContext) { g.DocumentID = "doc-8" }},
			"issued-at":       {gc: func(g *GrantContext) { g.IssuedAt = g.IssuedAt.Add(-time.Hour) }},
			"expires-at":      {gc: func(g *GrantContext) { g.ExpiresAt = g.ExpiresAt.Add(24 * time.Hour) }},
			"scope":           {gc: func(g *GrantContext) { g.Scope = "view annotate" }},
			"manifest SHA256": {mh: true},
			"version":         {patch: func(b []byte) { b[grantVersionOff+1] = 2 }},
			"KEM":             {patch: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff:], 0x0041) }},
			"KDF":             {patch: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff+2:], 0x0002) }},
			"AEAD":            {patch: func(b []byte) { binary.BigEndian.PutUint16(b[grantKEMOff+4:], 0x0001) }},
		}
		for name, e := range edits {
			gc := orig.GrantContext
			if e.gc != nil {
				e.gc(&gc)
			}
			mh := orig.ManifestSHA256
			if e.mh {
				mh[5] ^= 1
			}
			info := appendGrantInfo(nil, &gc, mh)
			if e.patch != nil {
				e.patch(info)
			}
			enc := encoder{info}
			enc.bytes16(orig.sealed)
			body := enc.b
			sig := tb.grant[len(tb.grant)-ed25519.SignatureSize:]
			expectFail(t, name+" changed, signature kept", tb.openAll(t, tb.manifest, append(bytes.Clone(body), sig...), tb.payload), ErrTampered, trials)
			expectFail(t, name+" changed, signed by another key", tb.openAll(t, tb.manifest, signRaw(body, other), tb.payload), ErrTampered, trials)
			// Station-signed, but the sealed key was bound to the old
			// context: some check or the HPKE info must refuse it.
			expectFail(t, name+" changed, signed by the station", tb.openAll(t, tb.manifest, signRaw(body, tb.stationPriv), tb.payload), nil, trials)
		}
		// The sealed key itself, each bit class of a few positions,
		// re-signed by the station: HPKE refuses it.
		for _, i := range []int{0, 1119, 1120, 1151} {
			for _, m := range []byte{0x01, 0x80} {
				sealed := flipAt(orig.sealed, i, m)
				enc := encoder{bytes.Clone(orig.info)}
				enc.bytes16(sealed)
				expectFail(t, fmt.Sprintf("sealed key byte %d ^ %#x, signed by the station", i, m), tb.openAll(t, tb.manifest, signRaw(enc.b, tb.stationPriv), tb.payload), ErrWrongDevice, trials)
			}
		}
	})
	t.Run("grants for the wrong time, device, officer or document", func(t *testing.T) {
		issue := func(mod func(*GrantContext), mb []byte, payload []byte, id *DocumentIdentity, devPub []byte) []byte {
			gc := tb.gc
			if mod != nil {
				mod(&gc)
			}
			g, err := IssueGrant(gc, mb, bytes.NewReader(payload), id, devPub, tb.stationPriv)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		_, _, otherDevPub := testKeys(t, 5)
		// Another document of the same case, sealed by the same station.
		var otherPayload bytes.Buffer
		otherMB, otherID, err := SealDocument(&otherPayload, bytes.NewReader([]byte("another document")), Manifest{
			CaseNumber: "2026-HOM-0117", DocumentID: "doc-10", MediaType: "text/plain", CreatedAt: testNow,
		}, tb.stationPriv)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			grant []byte
			now   time.Time
			want  error
		}{
			{"expired", tb.grant, tb.gc.ExpiresAt, ErrExpired},
			{"expired a year ago", tb.grant, tb.gc.ExpiresAt.AddDate(1, 0, 0), ErrExpired},
			{"not yet valid", tb.grant, tb.gc.IssuedAt.Add(-MaxClockSkew - time.Second), ErrExpired},
			{"another device ID", issue(func(g *GrantContext) { g.DeviceID = "laptop-0043" }, tb.manifest, tb.payload, tb.id, tb.devPub), testNow, ErrWrongDevice},
			{"another device key", issue(nil, tb.manifest, tb.payload, tb.id, otherDevPub), testNow, ErrWrongDevice},
			{"another officer", issue(func(g *GrantContext) { g.OfficerID = "4472" }, tb.manifest, tb.payload, tb.id, tb.devPub), testNow, ErrWrongOfficer},
			{"another document", issue(func(g *GrantContext) { g.DocumentID = "" }, otherMB, otherPayload.Bytes(), otherID, tb.devPub), testNow, ErrTampered},
		}
		for _, c := range cases {
			doc, err := Open(tb.manifest, c.grant, bytes.NewReader(tb.payload), int64(len(tb.payload)), tb.dev, tb.stationPub,
				&OpenOptions{Now: func() time.Time { return c.now }, OfficerID: "4471"})
			if doc != nil {
				t.Errorf("%s: Open returned a document", c.name)
			}
			expectFail(t, c.name, err, c.want, trials)
		}
	})
}

// cutReaderAt reads b as if it were only n bytes long.
type cutReaderAt struct {
	b []byte
	n int
}

func (r *cutReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(r.n) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:r.n])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// streamRefusal names the payload reader's check that refused a payload,
// or "" if the error did not come from the payload reader.
func streamRefusal(err error) string {
	msg := err.Error()
	for _, r := range []struct{ substr, name string }{
		{"payload: reading header", "header"},
		{"payload: header is not in canonical", "header"},
		{"payload: header:", "header MAC"},
		{"payload: payload has no body", "no body"},
		{"payload: invalid payload body size", "body size"},
		{"payload: reading chunk", "final chunk short"},
		{"does not authenticate", "final chunk authentication"},
	} {
		if strings.Contains(msg, r.substr) {
			return r.name
		}
	}
	return ""
}

// resign makes a station-signed manifest for a payload of payloadSize, that
// is delta bytes longer than the original, and a grant for it.
func (tb *tamperBundle) resign(t *testing.T, payloadSize int64, delta int) ([]byte, []byte) {
	t.Helper()
	m, err := ParseManifest(tb.manifest, tb.stationPub)
	if err != nil {
		t.Fatal(err)
	}
	m.PayloadSize = payloadSize
	// A plaintext size consistent with age's arithmetic for this payload
	// size, so the manifest itself is not what rejects it.
	chunksDelta := (delta + encChunk - 1) / encChunk
	if delta < 0 {
		chunksDelta = -((-delta + encChunk - 1) / encChunk)
	}
	m.PlaintextSize += int64(delta - chunksDelta*16)
	mb := signRaw(m.appendBody(nil), tb.stationPriv)
	g := &grantBuilder{t: t, station: tb.stationPriv, devPub: tb.devPub}
	gc := tb.gc
	gc.CaseNumber, gc.DocumentID = m.CaseNumber, m.DocumentID
	return mb, g.grantRaw(grantOpts{gc: gc, manifest: mb, fileKey: tb.fileKey})
}
