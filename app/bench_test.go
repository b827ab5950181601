package app

import (
	"context"
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"caseviewer/internal/pdfgen"
	"caseviewer/viewer"
)

// BenchmarkOpenDocumentFirstPage measures what an officer waits for after
// tapping a document once the renderer is warm: the screen is built, the
// document opened by the real PDF engine, the first page rendered with its
// watermark at fit width and composited (the fake backend answers at once,
// so the station's share is not included). Goal: well under 1.5 s.
func BenchmarkOpenDocumentFirstPage(b *testing.B) {
	r := NewViewerRenderer(func() *viewer.Engine { return viewer.NewEngine(viewer.Config{Workers: 2}) })
	r.Start()
	defer r.Close()
	if err := r.Ready(context.Background()); err != nil {
		b.Fatal(err)
	}
	var secs []pdfgen.Section
	for i := 0; i < 12; i++ {
		secs = append(secs, pdfgen.Section{Heading: fmt.Sprintf("Section %d", i+1), Paragraphs: []string{
			"At 23:40 officers responded to a report of a disturbance. The caller heard shouting and a car leaving at speed. A knife was recovered from the kitchen floor and bagged as item 3."}})
	}
	pdf, err := pdfgen.Build(pdfgen.Report{Title: "Incident Report", Fields: []string{"Case number: 2026-0117"}, Section: secs}.Pages())
	if err != nil {
		b.Fatal(err)
	}
	be := newFakeBackend()
	for i := range be.cases {
		be.cases[i].pdf = pdf
	}
	a := test.NewTempApp(b)
	u := New(a, be, r, Options{Synchronous: true})
	u.Window.Resize(fyne.NewSize(1200, 800))
	u.Start()
	u.showLogin()
	u.Login.OfficerID.SetText("D-4471")
	u.Login.Password.SetText("detective-pw")
	test.Tap(u.Login.LoginBtn)
	u.Cases.List.Select(0)
	detail := u.Case.Detail
	for b.Loop() {
		u.openDocument(detail, detail.Documents[0])
		if u.Doc == nil || u.Doc.ShownImage() == nil {
			b.Fatalf("no page shown: %q", u.lastError)
		}
	}
}
