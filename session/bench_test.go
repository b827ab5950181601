package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"caseviewer/keystore"
)

// BenchmarkWipe measures the wipe of a session holding an opened document,
// a 500 MB ciphertext cache (50 files of 10 MB) and 100 rendered-page
// buffers the size of an A4 page shown at 100 % on a 96-DPI screen
// (794 x 1123 RGBA, 3.6 MB each, 357 MB in all: about the viewer's default
// 256 MiB page cache). Goal: under 100 ms. The keyring is in memory, and,
// inside the test environment, also the real Secret Service.
func BenchmarkWipe(b *testing.B) {
	b.Run("memory keyring", func(b *testing.B) { benchWipe(b, memKeyring(b, nil)) })
	if os.Getenv("CV_IN_TEST_ENV") == "1" {
		b.Run("secret service", func(b *testing.B) { benchWipe(b, realKeyring(b)) })
	}
}

func benchWipe(b *testing.B, keys *keystore.Store) {
	const (
		cacheFiles = 50
		fileSize   = 10 << 20
		pageCount  = 100
		pageBytes  = 794 * 1123 * 4
	)
	ts := newTestStation(b, stationOpts{})
	c := newClient(b, clientOpts{keys: keys, interval: 3e9})
	enroll(b, c, ts, "D1")
	pages := &pageBuffers{pages: make([][]byte, pageCount)}
	for i := range pages.pages {
		pages.pages[i] = make([]byte, pageBytes)
	}
	c.RegisterPageWiper(pages)
	blob := make([]byte, fileSize)
	for i := range blob {
		blob[i] = byte(i*7 + 1)
	}
	ctx := context.Background()
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		login(b, c, "D1")
		doc, err := c.OpenDocument(ctx, ts.docH1)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < cacheFiles; j++ {
			if err := os.WriteFile(filepath.Join(c.opts.CacheDir, fmt.Sprintf("bench-%02d%s", j, cacheFileExt)), blob, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		for _, p := range pages.pages {
			for k := range p {
				p[k] = 0xA5
			}
		}
		b.StartTimer()
		ev := c.Wipe(Logout)
		b.StopTimer()
		if len(ev.Failures) != 0 || !allZero(doc.PDF) || !allZero(pages.pages[pageCount-1]) || len(dirEntries(b, c.opts.CacheDir)) != 0 {
			b.Fatalf("incomplete wipe: %+v", ev)
		}
		c.WaitBackground()
	}
}

// BenchmarkAuditTrail measures reading and verifying a case's audit trail
// of about 200 records (one inclusion proof per record).
func BenchmarkAuditTrail(b *testing.B) {
	ts := newTestStation(b, stationOpts{})
	ctx := context.Background()
	det := newClient(b, clientOpts{interval: 3e9})
	enroll(b, det, ts, "D1")
	login(b, det, "D1")
	for i := 0; i < 200; i++ {
		d, err := det.OpenDocument(ctx, ts.docH1)
		if err != nil {
			b.Fatal(err)
		}
		det.CloseDocument(d)
	}
	sup := newClient(b, clientOpts{interval: 3e9})
	enroll(b, sup, ts, "S1")
	login(b, sup, "S1")
	ts.advance(6e9)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		tr, err := sup.AuditTrail(ctx, "H-1", "")
		if err != nil || !tr.Verified {
			b.Fatalf("%v %+v", err, tr)
		}
		n = len(tr.Entries)
	}
	b.ReportMetric(float64(n), "records")
}
