package viewer

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"caseviewer/internal/pdfgen"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

func open(t testing.TB, e *Engine, pdf []byte) *Document {
	t.Helper()
	d, err := e.Open(context.Background(), pdf, testWatermark())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func render(t testing.TB, d *Document, page int, zoom float64) *image.RGBA {
	t.Helper()
	img, err := d.Render(context.Background(), page, zoom)
	if err != nil {
		t.Fatalf("Render page %d: %v", page, err)
	}
	return img
}

func TestDocumentBasics(t *testing.T) {
	d := open(t, engine(t), testPDF(t))
	if n := d.PageCount(); n != 6 {
		t.Fatalf("PageCount = %d, want 6", n)
	}
	w, h, err := d.PageSize(0)
	if err != nil || math.Abs(w-pdfgen.A4Width) > 0.01 || math.Abs(h-pdfgen.A4Height) > 0.01 {
		t.Errorf("PageSize(0) = %g, %g, %v; want A4", w, h, err)
	}
	for _, i := range []int{-1, 6} {
		if _, _, err := d.PageSize(i); !errors.Is(err, ErrPageRange) {
			t.Errorf("PageSize(%d) error = %v, want ErrPageRange", i, err)
		}
		if _, err := d.Render(context.Background(), i, 1); !errors.Is(err, ErrPageRange) {
			t.Errorf("Render(%d) error = %v, want ErrPageRange", i, err)
		}
	}
	for _, z := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := d.Render(context.Background(), 0, z); !errors.Is(err, ErrBadArgument) {
			t.Errorf("Render zoom %g error = %v, want ErrBadArgument", z, err)
		}
	}
	if _, err := d.Render(context.Background(), 0, MaxZoom*2); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Render zoom %g error = %v, want ErrTooLarge", MaxZoom*2, err)
	}
	m := d.Metadata()
	if m["Title"] != "Test document" || m["Author"] != "viewer tests" {
		t.Errorf("Metadata = %v", m)
	}
	img := render(t, d, 0, 1.5)
	if b := img.Bounds(); b.Dx() != int(math.Round(w*1.5)) || b.Dy() != int(math.Round(h*1.5)) {
		t.Errorf("zoom 1.5 gives %v, want %gx%g", b, w*1.5, h*1.5)
	}
	img = must(d.RenderDPI(context.Background(), 0, 144))
	if b := img.Bounds(); b.Dx() != int(math.Round(w*2)) {
		t.Errorf("144 DPI gives width %d, want %g", b.Dx(), w*2)
	}
	if d.Watermark().OfficerID != "4471" {
		t.Error("Watermark() lost the officer ID")
	}
	if got := d.WatermarkValidUntil(); !got.Equal(time.Date(2026, 12, 3, 19, 46, 0, 0, time.UTC)) {
		t.Errorf("WatermarkValidUntil = %v", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if _, err := d.Render(context.Background(), 0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Render after Close = %v, want ErrClosed", err)
	}
	if _, err := d.Find(context.Background(), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Find after Close = %v, want ErrClosed", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// encrypted returns pdf encrypted by pdfcpu with a user password.
func encrypted(t *testing.T, pdf []byte, userPW string) []byte {
	t.Helper()
	conf := model.NewAESConfiguration(userPW, "owner-secret", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(pdf), &out, conf); err != nil {
		t.Fatalf("pdfcpu encrypt: %v", err)
	}
	return out.Bytes()
}

func TestOpenErrors(t *testing.T) {
	e := engine(t)
	good := testPDF(t)
	truncated := good[:len(good)/2]
	badXref := bytes.Replace(good, []byte("startxref\n"), []byte("startxref\n9"), 1)
	noTrailer := good[:bytes.LastIndex(good, []byte("xref"))]
	tests := []struct {
		name string
		pdf  []byte
		want []error // any of these; nil means it must open
	}{
		{"empty", nil, []error{ErrInvalidPDF}},
		{"not a pdf", []byte("hello, this is not a PDF at all"), []error{ErrInvalidPDF}},
		{"header only", []byte("%PDF-1.7\n%%EOF\n"), []error{ErrInvalidPDF}},
		{"truncated", truncated, []error{ErrInvalidPDF}},
		{"user password", encrypted(t, good, "user-secret"), []error{ErrPassword}},
		// These two are repairable: pdfcpu and PDFium rebuild the
		// cross-reference table. Either they open, or they fail cleanly.
		{"wrong startxref", badXref, []error{nil, ErrInvalidPDF}},
		{"no xref table", noTrailer, []error{nil, ErrInvalidPDF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			d, err := e.Open(ctx, tt.pdf, testWatermark())
			ok := false
			for _, w := range tt.want {
				if (w == nil && err == nil) || (w != nil && errors.Is(err, w)) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("Open error = %v, want one of %v", err, tt.want)
			}
			if err == nil {
				render(t, d, 0, 0.5)
				d.Close()
			} else if err.Error() == "" {
				t.Error("error without a message")
			}
		})
	}
	// An owner password alone (anyone may open) is not a password prompt.
	conf := model.NewAESConfiguration("", "owner-secret", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(good), &out, conf); err != nil {
		t.Fatal(err)
	}
	if d, err := e.Open(context.Background(), out.Bytes(), testWatermark()); err != nil {
		t.Errorf("owner-password-only PDF: %v", err)
	} else {
		render(t, d, 0, 0.5)
		d.Close()
	}
	if _, err := e.OpenReaderAt(context.Background(), bytes.NewReader(nil), MaxPDFSize+1, testWatermark()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("OpenReaderAt over the cap = %v, want ErrTooLarge", err)
	}
	if _, err := e.OpenReaderAt(context.Background(), bytes.NewReader(good), int64(len(good))+10, testWatermark()); err == nil {
		t.Error("OpenReaderAt past the end of the reader succeeded")
	}
}

func TestWatermarkRequired(t *testing.T) {
	e := engine(t)
	pdf := testPDF(t)
	for _, blank := range []func(*Watermark){
		func(w *Watermark) { w.OfficerID = "" },
		func(w *Watermark) { w.CaseNumber = " \t" },
		func(w *Watermark) { w.Document = "" },
		func(w *Watermark) { w.SessionCode = "\x00\x01" },
	} {
		wm := testWatermark()
		blank(&wm)
		if _, err := e.Open(context.Background(), pdf, wm); !errors.Is(err, ErrWatermark) {
			t.Errorf("Open with %+v = %v, want ErrWatermark", wm, err)
		}
	}
	wm := testWatermark()
	wm.OfficerName = "A very long name " + string(bytes.Repeat([]byte("x"), 500)) + "\n\x1b[31m"
	n, err := wm.normalized()
	if err != nil {
		t.Fatal(err)
	}
	if r := []rune(n.OfficerName); len(r) > maxFieldRunes || bytes.ContainsAny([]byte(n.OfficerName), "\n\x1b") {
		t.Errorf("name not capped and cleaned: %q", n.OfficerName)
	}
}

func TestOpenReaderAtOwnsAndZeroesItsCopy(t *testing.T) {
	e := engine(t)
	pdf := testPDF(t)
	d, err := e.OpenReaderAt(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), testWatermark())
	if err != nil {
		t.Fatal(err)
	}
	render(t, d, 0, 0.5)
	buf := d.pdf
	if !bytes.Equal(buf, pdf) {
		t.Fatal("document does not hold the bytes read")
	}
	d.Close()
	e.Wipe() // waits for the workers to let go
	if !allZero(buf) {
		t.Error("the document's own copy was not zeroed at Close")
	}
}

func allZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return false
		}
	}
	return true
}

// changed reports how many pixels differ between a and b by more than a
// small amount, in each quadrant.
func changedByQuadrant(a, b *image.RGBA) [4]float64 {
	w, h := a.Bounds().Dx(), a.Bounds().Dy()
	var n, tot [4]int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			tot[q]++
			o := a.PixOffset(x, y)
			d := 0
			for c := 0; c < 3; c++ {
				v := int(a.Pix[o+c]) - int(b.Pix[o+c])
				if v < 0 {
					v = -v
				}
				d += v
			}
			if d > 24 {
				n[q]++
			}
		}
	}
	var f [4]float64
	for i := range f {
		f[i] = float64(n[i]) / float64(tot[i])
	}
	return f
}

// TestEveryPageWatermarked renders every page of a document with text,
// black and photographic pages, and finds the watermark's ink on each,
// spread over the whole page and matching where the mask says it is.
func TestEveryPageWatermarked(t *testing.T) {
	e := engine(t)
	d := open(t, e, testPDF(t))
	ctx := context.Background()
	const zoom = 0.75
	for page := 0; page < d.PageCount(); page++ {
		marked := render(t, d, page, zoom)
		clean, err := d.clean(ctx, page, zoom, true)
		if err != nil {
			t.Fatal(err)
		}
		q := changedByQuadrant(marked, clean)
		for i, f := range q {
			if f < 0.01 {
				t.Errorf("page %d quadrant %d: only %.2f%% of pixels changed by the watermark", page, i, 100*f)
			}
		}
		// Where the mask has solid text, the ink must show, and stand out
		// from the halo around it (that is what makes it legible).
		b := marked.Bounds()
		m := buildMask(b.Dx(), b.Dy(), zoom, d.wm.Lines(fixedTime))
		var solid, shown int
		// Per band of the clean page's luminance: ink and halo luminance.
		var inkLum, haloLum [4]float64
		var inkN, haloN [4]int
		for i, tv := range m.text {
			o := 4 * i
			l := lum(marked.Pix[o:])
			band := int(lum(clean.Pix[o:])) / 64
			if tv < 40 && m.halo[i] > 200 {
				haloN[band]++
				haloLum[band] += l
			}
			if tv < 220 {
				continue
			}
			solid++
			inkN[band]++
			inkLum[band] += l
			diff := 0
			for c := 0; c < 3; c++ {
				v := int(marked.Pix[o+c]) - int(clean.Pix[o+c])
				diff += max(v, -v)
			}
			if diff > 24 {
				shown++
			}
		}
		if solid < b.Dx()*b.Dy()/100 {
			t.Fatalf("page %d: mask covers only %d text pixels", page, solid)
		}
		if f := float64(shown) / float64(solid); f < 0.85 {
			t.Errorf("page %d: ink visible on %.1f%% of the text pixels, want 85%%", page, 100*f)
		}
		for band := range inkN {
			if inkN[band] < 200 || haloN[band] < 200 {
				continue // too little of the page in this band to judge
			}
			c := math.Abs(inkLum[band]/float64(inkN[band]) - haloLum[band]/float64(haloN[band]))
			if c < 50 {
				t.Errorf("page %d: on background luminance %d-%d, ink and halo differ by %.0f, want 50 or more", page, 64*band, 64*band+63, c)
			}
		}
	}
}

func lum(p []uint8) float64 { return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2]) }

func TestWatermarkFollowsTheClock(t *testing.T) {
	e := engine(t)
	now := fixedTime
	var mu sync.Mutex
	wm := testWatermark()
	wm.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d, err := e.Open(context.Background(), testPDF(t), wm)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	a := render(t, d, 0, 0.5)
	mu.Lock()
	now = now.Add(20 * time.Second) // same minute: 19:45:50
	mu.Unlock()
	b := render(t, d, 0, 0.5)
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("the watermark changed within the same minute")
	}
	mu.Lock()
	now = now.Add(20 * time.Second) // 19:46:10
	mu.Unlock()
	c := render(t, d, 0, 0.5)
	if bytes.Equal(a.Pix, c.Pix) {
		t.Error("the watermark did not change with the minute")
	}
	if got := d.WatermarkValidUntil(); !got.Equal(time.Date(2026, 12, 3, 19, 47, 0, 0, time.UTC)) {
		t.Errorf("WatermarkValidUntil = %v", got)
	}
	lines := wm.Lines(now)
	if lines[2] != "2026-12-03 19:46 UTC · Session K7Q2-9XWM" || lines[0] != "CONFIDENTIAL · 4471 · Det. Ana Rivera" || lines[1] != "Case 2026-0412 · Incident report" {
		t.Errorf("Lines = %q", lines)
	}
}

// TestGolden compares watermarked pages (text, black, photographic) with
// images kept under testdata/. Run with -update to rewrite them after a
// deliberate change, and look at them before committing.
func TestGolden(t *testing.T) {
	e := engine(t)
	d := open(t, e, testPDF(t))
	for _, page := range []int{0, 3, 4} {
		got := render(t, d, page, 0.5)
		path := filepath.Join("testdata", "golden-page"+string(rune('0'+page))+".png")
		if *update {
			var buf bytes.Buffer
			if err := png.Encode(&buf, got); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("golden missing (run with -update): %v", err)
		}
		want, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want.Bounds() != got.Bounds() {
			t.Fatalf("page %d: size %v, golden %v", page, got.Bounds(), want.Bounds())
		}
		var off, sum int
		for y := 0; y < got.Rect.Dy(); y++ {
			for x := 0; x < got.Rect.Dx(); x++ {
				r, g, b, _ := want.At(x, y).RGBA()
				o := got.PixOffset(x, y)
				d := max(absd(got.Pix[o], r>>8), absd(got.Pix[o+1], g>>8), absd(got.Pix[o+2], b>>8))
				sum += d
				if d > 12 {
					off++
				}
			}
		}
		n := got.Rect.Dx() * got.Rect.Dy()
		if float64(off) > 0.002*float64(n) || float64(sum)/float64(n) > 1 {
			t.Errorf("page %d: %d pixels (%.2f%%) off by more than 12, mean difference %.2f", page, off, 100*float64(off)/float64(n), float64(sum)/float64(n))
		}
	}
}

func absd(a uint8, b uint32) int {
	d := int(a) - int(b)
	return max(d, -d)
}

// TestFind checks hits against words placed at known positions.
func TestFind(t *testing.T) {
	d := open(t, engine(t), testPDF(t))
	ctx := context.Background()
	for _, query := range []string{"Crowbar", "exhibit", "ZEPPELIN"} {
		hits, err := d.Find(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, w := range placedWords {
			if equalFold(w.word, query) {
				want = append(want, len(want))
				found := false
				for _, h := range hits {
					if h.Page != w.page {
						continue
					}
					for _, r := range h.Rects {
						width := pdfgen.TextWidth(w.word, pdfgen.Helvetica, w.s)
						// Glyph boxes: left edge near x, right edge near
						// x+width, bottom at or a little below the
						// baseline, top below baseline + size.
						if math.Abs(r.X0-w.x) < 0.2*w.s && math.Abs(r.X1-(w.x+width)) < 0.2*w.s &&
							r.Y0 > w.y-0.3*w.s && r.Y0 < w.y+0.1*w.s && r.Y1 > w.y+0.5*w.s && r.Y1 < w.y+1.1*w.s {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("Find(%q): no rect for %q on page %d at (%g, %g); hits %+v", query, w.word, w.page, w.x, w.y, hits)
				}
			}
		}
		n := 0
		for _, h := range hits {
			n += len(h.Rects)
		}
		if n != len(want) {
			t.Errorf("Find(%q) = %d rects, want %d: %+v", query, n, len(want), hits)
		}
	}
	if hits, err := d.Find(ctx, "nowhere-to-be-found"); err != nil || len(hits) != 0 {
		t.Errorf("Find of a missing word = %v, %v", hits, err)
	}
	for _, q := range []string{"", "   "} {
		if _, err := d.Find(ctx, q); !errors.Is(err, ErrBadArgument) {
			t.Errorf("Find(%q) = %v, want ErrBadArgument", q, err)
		}
	}
	if _, err := d.Find(ctx, string(bytes.Repeat([]byte("a"), MaxQueryLen+1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("long query: %v, want ErrTooLarge", err)
	}
	// Pages in order, one Hit per page.
	hits, _ := d.Find(ctx, "page")
	for i, h := range hits {
		if i > 0 && h.Page <= hits[i-1].Page {
			t.Errorf("hits not in page order: %+v", hits)
		}
	}
	if len(hits) != 4 {
		t.Errorf("Find(page) found %d pages, want the 3 filler lines and the last page", len(hits))
	}
}

// TestFindOnRotatedPage: on a page shown rotated, hits are in displayed
// page coordinates, so the overlay lands on the word as rendered.
func TestFindOnRotatedPage(t *testing.T) {
	for _, rot := range []int{90, 180, 270} {
		pdf, err := pdfgen.Build([]pdfgen.Page{{Width: 400, Height: 300, Rotate: rot,
			Texts: []pdfgen.Text{{X: 50, Y: 200, Size: 20, Content: "Sideways"}}}})
		if err != nil {
			t.Fatal(err)
		}
		d := open(t, engine(t), pdf)
		w, h, _ := d.PageSize(0)
		if rot != 180 && (w != 300 || h != 400) {
			t.Errorf("rotation %d: page size %gx%g, want 300x400 as displayed", rot, w, h)
		}
		hits, err := d.Find(context.Background(), "sideways")
		if err != nil || len(hits) != 1 || len(hits[0].Rects) != 1 {
			t.Fatalf("rotation %d: Find = %+v, %v", rot, hits, err)
		}
		r := hits[0].Rects[0]
		if tall := r.Y1-r.Y0 > r.X1-r.X0; tall != (rot != 180) {
			t.Errorf("rotation %d: hit %+v has the wrong orientation", rot, r)
		}
		clean, err := d.clean(context.Background(), 0, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		px := PageToPixel(r, h, 1).Intersect(clean.Bounds())
		dark, all := 0, 0
		for y := px.Min.Y; y < px.Max.Y; y++ {
			for x := px.Min.X; x < px.Max.X; x++ {
				all++
				if lum(clean.Pix[clean.PixOffset(x, y):]) < 128 {
					dark++
				}
			}
		}
		if all == 0 || float64(dark)/float64(all) < 0.1 {
			t.Errorf("rotation %d: only %d of %d pixels under the hit %v are ink", rot, dark, all, px)
		}
	}
}

func equalFold(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }
