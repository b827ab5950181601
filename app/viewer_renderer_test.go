package app

import (
	"context"
	"image"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"caseviewer/internal/pdfgen"
	"caseviewer/viewer"
)

// TestViewerRendererDocument runs the document screen over the real PDF
// engine (ViewerRenderer, as the app does): the page on screen carries the
// watermark, an annotation is drawn where it lies, find lists a word at a
// known position and highlights it there, and the wipe zeroes the page.
func TestViewerRendererDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF engine (seconds); skipped in -short mode")
	}
	r := NewViewerRenderer(func() *viewer.Engine { return viewer.NewEngine(viewer.Config{Workers: 2}) })
	r.Start()
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := r.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	pdf, err := pdfgen.Build([]pdfgen.Page{
		{Width: 612, Height: 792, Texts: []pdfgen.Text{{X: 72, Y: 700, Size: 14, Content: "Kitchen: one kitchen knife recovered"}}},
		{Width: 612, Height: 792, Texts: []pdfgen.Text{{X: 72, Y: 700, Size: 14, Content: "Second page of the report"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newFakeBackend()
	for i := range b.cases {
		b.cases[i].pdf = pdf
	}
	note := Rect{X0: 300, Y0: 300, X1: 500, Y1: 400} // an empty part of page 1
	b.annots["a1"] = []Annotation{{ID: "a1", DocumentID: "d1", Page: 0, Rect: note, Note: "blood trace", Author: "T-3300", Time: time.Now(), Revision: 1}}
	b.nextID = 1

	u := New(test.NewTempApp(t), b, r, Options{Synchronous: true})
	u.Window.Resize(fyne.NewSize(1200, 800))
	u.Start()
	t.Cleanup(u.Window.Close)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	if d.count != 2 {
		t.Fatalf("page count %d, want 2", d.count)
	}
	img := d.ShownImage()
	if n, total := watermarkPixels(img, img.Bounds()); n < total/100 {
		t.Errorf("watermark missing from the shown page: %d of %d pixels", n, total)
	}
	at := func(rc Rect) [3]uint8 {
		px := r.PageToPixel(rc, 792, d.zoom)
		c := px.Min.Add(px.Size().Div(2))
		return pixel(d.ShownImage(), c.X, c.Y)
	}
	if got := at(note); !(got[0] > 240 && got[1] > 220 && got[2] < 180) { // yellow
		t.Errorf("annotation not highlighted: %v", got)
	}

	test.Type(d.FindEntry, "knife")
	test.Tap(d.FindButton)
	if d.FindStatus.Text != "1 match on 1 page." || len(d.hits) != 1 || d.hits[0].Page != 0 || len(d.hits[0].Rects) != 1 {
		t.Fatalf("find: %q, hits %+v", d.FindStatus.Text, d.hits)
	}
	hit := d.hits[0].Rects[0]
	// "knife" is the fourth word of the line at y=700: it lies on that
	// line, to the right of the margin.
	if hit.X0 < 150 || hit.X1 > 400 || hit.Y0 > 705 || hit.Y1 < 700 {
		t.Errorf("hit rectangle %+v is not where the word is", hit)
	}
	if got := at(hit); !(got[0] > 240 && got[1] < 215 && got[2] < got[1]) { // orange
		t.Errorf("find hit not highlighted: %v", got)
	}

	shown := d.ShownImage()
	u.wipePages()
	for i, v := range shown.Pix {
		if v != 0 {
			t.Fatalf("byte %d of the shown page survived the wipe: %d", i, v)
		}
	}
}

// watermarkPixels counts, inside rc, the pixels of the viewer's watermark
// ink over white (a greyish blue, bluer than it is red or green).
func watermarkPixels(img *image.RGBA, rc image.Rectangle) (n, total int) {
	for y := rc.Min.Y; y < rc.Max.Y; y++ {
		for x := rc.Min.X; x < rc.Max.X; x++ {
			p := pixel(img, x, y)
			R, G, B := int(p[0]), int(p[1]), int(p[2])
			total++
			if R >= 100 && R <= 215 && B-R >= 18 && B-R <= 70 && B-G >= 12 {
				n++
			}
		}
	}
	return n, total
}
