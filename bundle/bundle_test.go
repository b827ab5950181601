package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"testing"
	"time"
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
