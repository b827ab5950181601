package viewer_test

import (
	"context"
	"fmt"
	"image"
	"time"

	"caseviewer/internal/pdfgen"
	"caseviewer/viewer"
)

// The life of the engine in the app: started at launch, a document opened
// from decrypted bytes, pages rendered with the watermark, the shown page
// rendered again when the minute changes, everything wiped at logout.
func ExampleNewEngine() {
	e := viewer.NewEngine(viewer.Config{Workers: 2, CacheBudget: 256 << 20}) // at launch
	defer e.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pdf, _ := pdfgen.Build(pdfgen.Report{Title: "Incident Report"}.Pages()) // the session's decrypted bytes
	d, err := e.Open(ctx, pdf, viewer.Watermark{
		OfficerID: "4471", OfficerName: "Det. Ana Rivera", CaseNumber: "2026-0412",
		Document: "Incident report", SessionCode: "K7Q2-9XWM",
	})
	if err != nil {
		fmt.Println(err) // errors.Is(err, viewer.ErrInvalidPDF), ErrPassword, ...
		return
	}
	img, err := d.Render(ctx, 0, 1.5) // watermarked; the caller's to keep
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Dx(), "pixels wide")
	d.Prefetch(1, 1.5) // the next page, in the background

	// Keep the time in the watermark current while the page is shown.
	time.AfterFunc(time.Until(d.WatermarkValidUntil()), func() { d.Render(ctx, 0, 1.5) })

	e.Wipe() // at logout, idle lock or leaving the station network
}

// Annotation rectangles are stored in PDF points (origin bottom-left); the
// overlay maps them to the pixels of the page as shown, and back.
func ExamplePageToPixel() {
	const pageHeight = 792.0 // US Letter
	note := viewer.Rect{X0: 72, Y0: 700, X1: 144, Y1: 720}
	px := viewer.PageToPixel(note, pageHeight, 2) // rendered at zoom 2 (144 DPI)
	fmt.Println(px)
	fmt.Println(viewer.PixelToPage(px, pageHeight, 2))

	img := image.NewRGBA(image.Rect(0, 0, 1224, 1584))
	viewer.DrawHighlights(img, []viewer.Rect{note}, pageHeight, 2, viewer.HighlightColor)
	fmt.Println(img.RGBAAt(200, 160).A > 0, img.RGBAAt(10, 10).A > 0)
	// Output:
	// (144,144)-(288,184)
	// {72 700 144 720}
	// true false
}
