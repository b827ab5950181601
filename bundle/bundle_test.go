package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3*64<<10 + 123} {
		f := newFixture(t, size)
		doc, err := f.open(f.manifest, f.grant, f.payload)
		if err != nil {
			t.Fatalf("size %d: open: %v", size, err)
		}
		if doc.Size() != int64(size) {
			t.Fatalf("size %d: Size() = %d", size, doc.Size())
		}
		got, err := doc.ReadAll(context.Background())
		if err != nil {
			t.Fatalf("size %d: ReadAll: %v", size, err)
		}
		if !bytes.Equal(got, f.plaintext) {
			t.Fatalf("size %d: plaintext differs", size)
		}
		// Random access through a SectionReader.
		sr := io.NewSectionReader(doc, 0, doc.Size())
		got2, err := io.ReadAll(sr)
		if err != nil || !bytes.Equal(got2, f.plaintext) {
			t.Fatalf("size %d: SectionReader: %v", size, err)
		}
		if size > 10 {
			p := make([]byte, 5)
			n, err := doc.ReadAt(p, int64(size-3))
			if n != 3 || err != io.EOF || !bytes.Equal(p[:3], f.plaintext[size-3:]) {
				t.Fatalf("size %d: tail ReadAt = %d, %v", size, n, err)
			}
		}
		m := doc.Manifest()
		if m.PlaintextSize != int64(size) || m.PayloadSize != int64(len(f.payload)) || m.Version != Version {
			t.Fatalf("size %d: manifest %+v", size, m)
		}
		if g := doc.Grant(); g.GrantID != "g-1" || g.CaseNumber != "2026-HOM-0117" || g.DocumentID != "doc-9" {
			t.Fatalf("grant context %+v", g)
		}
		doc.Close()
		if _, err := doc.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	}
}

func TestOpenChecks(t *testing.T) {
	f := newFixture(t, 1000)
	cases := []struct {
		name string
		mod  func(*fixture)
		want error
	}{
		{"expired", func(f *fixture) { f.now = testNow.Add(time.Hour) }, ErrExpired},
		{"not yet valid", func(f *fixture) { f.now = testNow.Add(-time.Minute - MaxClockSkew - time.Second) }, ErrExpired},
		{"skew allowed", func(f *fixture) { f.now = testNow.Add(-time.Minute - MaxClockSkew + time.Second) }, nil},
		{"other device id", func(f *fixture) { f.dev.ID = "laptop-0043" }, ErrWrongDevice},
		{"other device key", func(f *fixture) { _, d, _ := testKeys(t, 2); f.dev.HPKE = d.HPKE }, ErrWrongDevice},
		{"other station", func(f *fixture) { p, _, _ := testKeys(t, 3); f.stationPub = p.Public().(ed25519.PublicKey) }, ErrTampered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := *f
			c.mod(&g)
			_, err := g.open(g.manifest, g.grant, g.payload)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// TestSealFreshIdentity: Covers spec I1. Each document gets its own hybrid
// identity, the payload is encrypted to it alone, and neither the manifest
// nor the grant carries it.
func TestSealFreshIdentity(t *testing.T) {
	a, b := newFixture(t, 100), newFixture(t, 100)
	if a.id.String() == b.id.String() || a.id.Recipient() == b.id.Recipient() {
		t.Fatal("two documents share a document identity")
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(a.payload))
	if err != nil {
		t.Fatal(err)
	}
	var stanzas []string
	for _, line := range strings.Split(string(hdr), "\n") {
		if strings.HasPrefix(line, "-> ") {
			stanzas = append(stanzas, strings.Fields(line)[1])
		}
	}
	if len(stanzas) != 1 || stanzas[0] != "mlkem768x25519" {
		t.Fatalf("payload stanzas %v, want exactly one mlkem768x25519", stanzas)
	}
	// The identity's bytes are not in anything that leaves the station.
	secret := a.id.String()
	parsed, err := ParseDocumentIdentity(secret)
	if err != nil || parsed.String() != secret {
		t.Fatalf("identity does not round-trip: %v", err)
	}
	for name, b := range map[string][]byte{"manifest": a.manifest, "grant": a.grant, "payload": a.payload} {
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(secret[len("AGE-SECRET-KEY-PQ-1"):len("AGE-SECRET-KEY-PQ-1")+20]))) {
			t.Errorf("%s contains the document identity", name)
		}
	}
	if len(a.grant) != len(b.grant) {
		t.Errorf("grant sizes differ (%d, %d): a grant must carry a fixed-size sealed key only", len(a.grant), len(b.grant))
	}
	// And the payload opens with the identity alone, as any age client would.
	r, err := age.Decrypt(bytes.NewReader(a.payload), parsed.id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, a.plaintext) {
		t.Fatal("payload does not decrypt to the plaintext with the identity")
	}
}

// TestIssueGrantChecks: Covers spec I2. IssueGrant refuses to seal a key
// for a manifest it did not sign, for another case or document, with a
// payload that the identity does not open, or to a malformed device key.
func TestIssueGrantChecks(t *testing.T) {
	f := newFixture(t, 100)
	other := newFixture(t, 100)
	otherStation, _, _ := testKeys(t, 3)
	cases := []struct {
		name string
		do   func() ([]byte, error)
	}{
		{"manifest of another station", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, otherStation)
		}},
		{"other case", func() ([]byte, error) {
			gc := f.gc
			gc.CaseNumber = "2026-HOM-0118"
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"other document", func() ([]byte, error) {
			gc := f.gc
			gc.DocumentID = "doc-10"
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"payload of another document", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(other.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"identity of another document", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), other.id, f.devPub, f.stationPriv)
		}},
		{"device key too short", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub[:100], f.stationPriv)
		}},
		{"X25519 device key", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), f.id, make([]byte, 32), f.stationPriv)
		}},
		{"expires before issued", func() ([]byte, error) {
			gc := f.gc
			gc.ExpiresAt = gc.IssuedAt
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"zero issued-at", func() ([]byte, error) {
			gc := f.gc
			gc.IssuedAt = time.Time{}
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"empty officer", func() ([]byte, error) {
			gc := f.gc
			gc.OfficerID = ""
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"control character in scope", func() ([]byte, error) {
			gc := f.gc
			gc.Scope = "view\r\nannotate"
			return IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
		}},
		{"nil identity", func() ([]byte, error) {
			return IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), nil, f.devPub, f.stationPriv)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := c.do()
			if err == nil || g != nil {
				t.Fatalf("IssueGrant succeeded (%d bytes), want an error", len(g))
			}
		})
	}
	// Empty case and document are filled from the manifest.
	gc := f.gc
	gc.CaseNumber, gc.DocumentID = "", ""
	g, err := IssueGrant(gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := ParseGrant(g, f.stationPub)
	if err != nil || pg.CaseNumber != "2026-HOM-0117" || pg.DocumentID != "doc-9" {
		t.Fatalf("filled grant: %+v, %v", pg, err)
	}
}

func TestSealDocumentChecks(t *testing.T) {
	station, _, _ := testKeys(t, 1)
	good := Manifest{CaseNumber: "C-1", DocumentID: "D-1", MediaType: "application/pdf", CreatedAt: testNow}
	cases := []struct {
		name string
		mod  func(*Manifest)
		want error
	}{
		{"empty case", func(m *Manifest) { m.CaseNumber = "" }, nil},
		{"long title", func(m *Manifest) { m.Title = strings.Repeat("x", maxTitle+1) }, ErrTooLarge},
		{"invalid UTF-8", func(m *Manifest) { m.DocumentID = "\xff" }, nil},
		{"escape in title", func(m *Manifest) { m.Title = "\x1b[2J" }, nil},
		{"version 2", func(m *Manifest) { m.Version = 2 }, ErrUnsupportedVersion},
		{"before 1970", func(m *Manifest) { m.CreatedAt = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good
			c.mod(&m)
			var payload bytes.Buffer
			_, _, err := SealDocument(&payload, strings.NewReader("x"), m, station)
			if err == nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if payload.Len() != 0 {
				t.Fatalf("%d bytes written before the manifest was checked", payload.Len())
			}
		})
	}
	// Version 1 given explicitly is fine; CreatedAt is kept to the nanosecond in UTC.
	m := good
	m.Version = 1
	m.CreatedAt = time.Date(2026, 12, 3, 21, 0, 0, 123456789, time.FixedZone("EST", -5*3600))
	var payload bytes.Buffer
	mb, _, err := SealDocument(&payload, strings.NewReader("x"), m, station)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := ParseManifest(mb, station.Public().(ed25519.PublicKey))
	if err != nil || !pm.CreatedAt.Equal(m.CreatedAt) || pm.CreatedAt.Location() != time.UTC {
		t.Fatalf("created-at %v, want %v in UTC (%v)", pm.CreatedAt, m.CreatedAt, err)
	}
}

func TestSealTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB through the sealer")
	}
	station, _, _ := testKeys(t, 1)
	var n int64
	_, _, err := SealDocument(writerFunc(func(p []byte) (int, error) { n += int64(len(p)); return len(p), nil }),
		io.LimitReader(zeroReader{}, MaxPlaintextSize+1),
		Manifest{CaseNumber: "C", DocumentID: "D", MediaType: "x/y", CreatedAt: testNow}, station)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestDocumentReadAtEdges(t *testing.T) {
	f := newFixture(t, 3*64<<10+500)
	doc, err := f.open(f.manifest, f.grant, f.payload)
	if err != nil {
		t.Fatal(err)
	}
	size := doc.Size()
	cases := []struct {
		off  int64
		n    int
		want int
		err  error
	}{
		{0, 0, 0, nil},
		{size, 0, 0, nil},
		{size, 1, 0, io.EOF},
		{size + 1, 1, 0, io.EOF},
		{size - 1, 1, 1, io.EOF},
		{size - 1, 10, 1, io.EOF},
		{64<<10 - 1, 2, 2, nil},             // across a chunk boundary, via the cache
		{64 << 10, 64 << 10, 64 << 10, nil}, // one whole chunk, straight into p
		{100, 3 * 64 << 10, 3 * 64 << 10, nil},
		{0, int(size) + 10, int(size), io.EOF},
	}
	for _, c := range cases {
		p := make([]byte, c.n)
		n, err := doc.ReadAt(p, c.off)
		if n != c.want || err != c.err {
			t.Errorf("ReadAt(%d bytes, %d) = %d, %v; want %d, %v", c.n, c.off, n, err, c.want, c.err)
			continue
		}
		if n > 0 && !bytes.Equal(p[:n], f.plaintext[c.off:c.off+int64(n)]) {
			t.Errorf("ReadAt(%d bytes, %d): wrong bytes", c.n, c.off)
		}
	}
	if _, err := doc.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("negative offset accepted")
	}
}

func TestDocumentConcurrentReadsAndClose(t *testing.T) {
	f := newFixture(t, 4*64<<10+77)
	doc, err := f.open(f.manifest, f.grant, f.payload)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for w := range 4 {
		go func() {
			p := make([]byte, 5000+w*64<<10/2)
			for i := range 50 {
				off := int64((i*7919 + w*104729) % int(doc.Size()))
				n, err := doc.ReadAt(p, off)
				if err != nil && err != io.EOF {
					done <- err
					return
				}
				if !bytes.Equal(p[:n], f.plaintext[off:off+int64(n)]) {
					done <- errors.New("concurrent read returned wrong bytes")
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// Close while readers run: every read either succeeds with the right
	// bytes or fails with ErrClosed.
	for w := range 2 {
		go func() {
			p := make([]byte, 1000)
			for i := 0; ; i++ {
				off := int64((i*31 + w*64<<10) % int(doc.Size()-1000))
				n, err := doc.ReadAt(p, off)
				if errors.Is(err, ErrClosed) {
					done <- nil
					return
				}
				if err != nil || !bytes.Equal(p[:n], f.plaintext[off:off+int64(n)]) {
					done <- fmt.Errorf("read during close: %d, %v", n, err)
					return
				}
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	doc.Close()
	doc.Close()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := doc.ReadAll(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadAll after Close: %v", err)
	}
}

func TestCloseWipesCache(t *testing.T) {
	f := newFixture(t, 1000)
	doc, err := f.open(f.manifest, f.grant, f.payload)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.r.Load()
	cache := r.cache[:cap(r.cache)]
	if !bytes.Contains(cache, f.plaintext[:100]) {
		t.Fatal("test premise: the final chunk is cached after Open")
	}
	doc.Close()
	if !bytes.Equal(cache, make([]byte, len(cache))) {
		t.Fatal("Close left plaintext in the chunk cache")
	}
}

func TestReadAllContext(t *testing.T) {
	f := newFixture(t, 3<<20)
	doc, err := f.open(f.manifest, f.grant, f.payload)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b, err := doc.ReadAll(ctx); b != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAll with a canceled context: %d bytes, %v", len(b), err)
	}
}

// errReaderAt fails every read: an I/O error is not tampering.
type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestPayloadIOErrorIsNotTampering(t *testing.T) {
	f := newFixture(t, 100)
	_, err := Open(f.manifest, f.grant, errReaderAt{}, int64(len(f.payload)), f.dev, f.stationPub, f.opts())
	if err == nil || errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v, want the reader's own error", err)
	}
}

func TestTimeRange(t *testing.T) {
	for _, c := range []struct {
		t  time.Time
		ok bool
	}{
		{time.Time{}, false},
		{time.Unix(0, 0), false},
		{time.Unix(0, 1), true},
		{time.Unix(0, 1<<63-1), true},
		{time.Unix(0, 1<<63-1).Add(time.Nanosecond), false},
		{time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), false},
		{testNow, true},
	} {
		err := checkTime("t", c.t)
		if (err == nil) != c.ok {
			t.Errorf("checkTime(%v) = %v, want ok=%v", c.t, err, c.ok)
			continue
		}
		if c.ok {
			e := encoder{}
			e.time(c.t)
			d := decoder{b: e.b}
			if got := d.time("t"); d.err != nil || !got.Equal(c.t) {
				t.Errorf("time %v round-trips to %v, %v", c.t, got, d.err)
			}
		}
	}
}
