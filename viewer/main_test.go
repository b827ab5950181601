package viewer

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"caseviewer/internal/pdfgen"
)

// PDFium takes seconds and hundreds of MB to start: the tests share one
// engine, started once.
var (
	sharedOnce   sync.Once
	sharedEngine *Engine
)

func engine(t testing.TB) *Engine {
	t.Helper()
	sharedOnce.Do(func() { sharedEngine = NewEngine(Config{}) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sharedEngine.Ready(ctx); err != nil {
		t.Fatalf("engine did not start: %v", err)
	}
	return sharedEngine
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedEngine != nil {
		sharedEngine.Close()
	}
	os.Exit(code)
}

// fixedClock is the watermark clock of the tests.
var fixedTime = time.Date(2026, 12, 3, 19, 45, 30, 0, time.UTC)

func testWatermark() Watermark {
	return Watermark{
		OfficerID: "4471", OfficerName: "Det. Ana Rivera", CaseNumber: "2026-0412",
		Document: "Incident report", SessionCode: "K7Q2-9XWM",
		Now: func() time.Time { return fixedTime },
	}
}

// Word positions of the find test page: word, page, x, baseline y, size.
var placedWords = []struct {
	word    string
	page    int
	x, y, s float64
}{
	{"Crowbar", 0, 72, 700, 12},
	{"Exhibit", 0, 300, 400, 18},
	{"Exhibit", 2, 100, 150, 10},
	{"Zeppelin", 1, 420, 780, 14},
}

// testPDF builds the standard test document: text pages with placed
// words, a fully black page, a photographic page.
func testPDF(t testing.TB) []byte {
	t.Helper()
	pages := make([]pdfgen.Page, 3)
	for _, w := range placedWords {
		pages[w.page].Texts = append(pages[w.page].Texts, pdfgen.Text{X: w.x, Y: w.y, Size: w.s, Content: w.word})
	}
	for i := range pages {
		pages[i].Texts = append(pages[i].Texts, pdfgen.Text{X: 72, Y: 72, Size: 10, Content: fmt.Sprintf("Filler text on page %d", i+1)})
	}
	pages = append(pages, pdfgen.DarkPage(), pdfgen.PhotoPage(3, 200, 280, ""))
	pages = append(pages, pdfgen.Page{Background: color.White, Texts: []pdfgen.Text{{X: 72, Y: 760, Size: 24, Font: pdfgen.HelveticaBold, Content: "Last page"}}})
	pdf, err := (&pdfgen.Document{Info: pdfgen.Info{Title: "Test document", Author: "viewer tests"}, Pages: pages}).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// reportPDF builds an n-page A4 case file of text, like the benchmark's.
func reportPDF(t testing.TB, n int) []byte {
	t.Helper()
	var pages []pdfgen.Page
	para := strings.Repeat("The suspect vehicle, a dark blue sedan, was seen leaving the parking lot at 23:14 heading north. ", 6)
	for len(pages) < n {
		r := pdfgen.Report{Agency: "Metro Police Department", Title: "Incident Report", Fields: []string{"Case number: 2026-0412"},
			Footer: "CONFIDENTIAL", Section: []pdfgen.Section{{Heading: "Narrative", Paragraphs: []string{para, para, para, para, para, para, para, para}}}}
		pages = append(pages, r.Pages()...)
	}
	pdf, err := pdfgen.Build(pages[:n])
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
