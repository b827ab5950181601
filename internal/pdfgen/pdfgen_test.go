package pdfgen

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func init() { api.DisableConfigDir() }

// validate runs pdfcpu's validator in relaxed mode (the mode the viewer uses;
// strict mode wants /FirstChar and /Widths even for the standard fonts, which
// PDF 1.7 section 9.6.2.2 lets a writer leave out) and returns the page count.
func validate(t *testing.T, pdf []byte) int {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("pdfcpu strict validation: %v", err)
	}
	return ctx.PageCount
}

func samplePages() []Page {
	r := Report{
		Agency: "Metro Police Department",
		Title:  "Incident Report",
		Fields: []string{"Case number: 2026-0412", "Reporting officer: Det. A. Rivera (4471)"},
		Footer: "CONFIDENTIAL",
		Section: []Section{
			{Heading: "Narrative", Paragraphs: []string{strings.Repeat("On arrival the officer found the door forced (see photo). ", 40)}},
			{Heading: "Evidence", Table: [][]string{{"Item", "Description", "Location"}, {"E-1", "Crowbar, 60 cm, red paint", "Hallway"}, {"E-2", "Glove – left hand, leather “brand X”", strings.Repeat("Kitchen ", 20)}}},
		},
	}
	pages := r.Pages()
	pages = append(pages, DarkPage(), DarkPage("white on black (parens) \\ back"), PhotoPage(7, 64, 48, "Photo 1"),
		Page{Rotate: 90, Texts: []Text{{X: 72, Y: 700, Content: "rotated"}}})
	pages = append(pages, Page{Width: LetterWidth, Height: LetterHeight, Boxes: []Box{
		{Rect: Rect{10, 10, 100, 100}, Stroke: color.RGBA{R: 255, A: 255}, LineWidth: 2},
		{Rect: Rect{20, 20, 30, 30}, Fill: color.RGBA{B: 255, A: 255}, Stroke: color.Black},
		{Rect: Rect{20, 20, 30, 30}}, // neither: skipped
	}, Texts: []Text{{X: 72, Y: 700, Font: Courier, Size: 9, Content: "tab\there"}}})
	return pages
}

func TestBuildValidates(t *testing.T) {
	pages := samplePages()
	doc := Document{Info: Info{Title: "Incident (draft)", Author: "Det. Rivera", Subject: "s", Keywords: "k", Creator: "test",
		Created: time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)}, Pages: pages}
	pdf, err := doc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if n := validate(t, pdf); n != len(pages) {
		t.Fatalf("pdfcpu counts %d pages, want %d", n, len(pages))
	}
	if !bytes.Contains(pdf, []byte("/Title (Incident \\(draft\\))")) || !bytes.Contains(pdf, []byte("/CreationDate (D:20261203190000Z)")) {
		t.Error("information dictionary not written as expected")
	}
	again, err := doc.Bytes()
	if err != nil || !bytes.Equal(pdf, again) {
		t.Error("output is not deterministic")
	}
}

func TestReportFlowsOverPages(t *testing.T) {
	var paras []string
	for i := 0; i < 60; i++ {
		paras = append(paras, strings.Repeat("word ", 60))
	}
	pages := Report{Title: "Long", Section: []Section{{Paragraphs: paras}}}.Pages()
	if len(pages) < 3 {
		t.Fatalf("60 long paragraphs fit on %d pages", len(pages))
	}
	for i, p := range pages {
		var foundFooter bool
		for _, tx := range p.Texts {
			if tx.Y < reportMargin-30 || tx.Y > A4Height-reportMargin {
				t.Errorf("page %d: text %q at y=%g outside the margins", i, tx.Content, tx.Y)
			}
			if w := TextWidth(tx.Content, tx.Font, tx.Size); tx.X+w > A4Width-reportMargin+0.01 {
				t.Errorf("page %d: text %q runs to x=%g past the margin", i, tx.Content, tx.X+w)
			}
			if strings.HasPrefix(tx.Content, "Page ") && strings.HasSuffix(tx.Content, " of "+strconv.Itoa(len(pages))) {
				foundFooter = true
			}
		}
		if !foundFooter {
			t.Errorf("page %d has no 'Page n of N' footer", i)
		}
	}
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		s    string
		f    Font
		size float64
		want float64
	}{
		{"", Helvetica, 12, 0},
		{"Hello", Helvetica, 10, (722 + 556 + 222 + 222 + 556) * 10 / 1000.0},
		{"Hello", HelveticaBold, 10, (722 + 556 + 278 + 278 + 611) * 10 / 1000.0},
		{"abc", Courier, 10, 18},
		{"é", Helvetica, 1, 0.556},
	}
	for _, tt := range tests {
		if got := TextWidth(tt.s, tt.f, tt.size); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("TextWidth(%q, %v, %g) = %g, want %g", tt.s, tt.f, tt.size, got, tt.want)
		}
	}
	lines := Wrap("aaa bbb ccc ddd", Courier, 10, 50) // 8.3 characters per line
	if strings.Join(lines, "|") != "aaa bbb|ccc ddd" {
		t.Errorf("Wrap = %q", lines)
	}
}

func TestBuildErrors(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	tests := []struct {
		name  string
		pages []Page
		want  error
	}{
		{"no pages", nil, ErrNoPages},
		{"too many pages", make([]Page, MaxPages+1), ErrTooLarge},
		{"NaN width", []Page{{Width: math.NaN()}}, ErrInvalid},
		{"negative height", []Page{{Height: -5}}, ErrInvalid},
		{"huge page", []Page{{Width: MaxPageSide + 1}}, ErrTooLarge},
		{"inf text", []Page{{Texts: []Text{{X: math.Inf(1)}}}}, ErrInvalid},
		{"bad font", []Page{{Texts: []Text{{Font: 9}}}}, ErrInvalid},
		{"nil image", []Page{{Images: []Image{{Rect: Rect{0, 0, 1, 1}}}}}, ErrInvalid},
		{"empty image rect", []Page{{Images: []Image{{Rect: Rect{1, 1, 1, 1}, Image: img}}}}, ErrInvalid},
		{"empty image", []Page{{Images: []Image{{Rect: Rect{0, 0, 1, 1}, Image: image.NewRGBA(image.Rectangle{})}}}}, ErrInvalid},
		{"huge image", []Page{{Images: []Image{{Rect: Rect{0, 0, 1, 1}, Image: image.NewGray(image.Rect(0, 0, MaxImageSide+1, 1))}}}}, ErrTooLarge},
		{"bad box", []Page{{Boxes: []Box{{LineWidth: -1}}}}, ErrInvalid},
		{"bad rotation", []Page{{Rotate: 45}}, ErrInvalid},
		{"negative rotation", []Page{{Rotate: -90}}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.pages)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Build error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEscapeAndEncode(t *testing.T) {
	tests := map[string]string{
		"plain":       "plain",
		"a(b)c\\":     "a\\(b\\)c\\\\",
		"café":        "caf\\351",
		"“q” – x":     "\\223q\\224 \\226 x",
		"日本":          "??",
		"line\nbreak": "line break",
		"\x00control": "?control",
	}
	for in, want := range tests {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	if num(-0.0001) != "0" || num(1.5) != "1.5" || num(2) != "2" || num(595.276) != "595.276" {
		t.Errorf("num formats wrongly: %s %s %s %s", num(-0.0001), num(1.5), num(2), num(595.276))
	}
}

func TestPhotoIsVaried(t *testing.T) {
	img := Photo(1, 80, 60)
	var dark, light int
	for i := 0; i < len(img.Pix); i += 4 {
		l := int(img.Pix[i]) + int(img.Pix[i+1]) + int(img.Pix[i+2])
		if l < 150 {
			dark++
		}
		if l > 400 {
			light++
		}
	}
	if dark == 0 || light == 0 {
		t.Errorf("photo has %d dark and %d light pixels; want both", dark, light)
	}
	if !bytes.Equal(img.Pix, Photo(1, 80, 60).Pix) || bytes.Equal(img.Pix, Photo(2, 80, 60).Pix) {
		t.Error("Photo is not a function of its seed")
	}
}

// TestPopplerReadsText checks with an independent reader (poppler's
// pdftotext, when installed) that the text is where it was put.
func TestPopplerReadsText(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (poppler-utils) is missing; CI installs it")
		}
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	pdf, err := Build([]Page{{Texts: []Text{{X: 100, Y: 700, Content: "Canary-4471 café"}}}, DarkPage("second page")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // no case content: generated test text only
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "Canary-4471 café") || !strings.Contains(string(out), "second page") {
		t.Errorf("pdftotext read %q", out)
	}
}

func FuzzBuildText(f *testing.F) {
	f.Add("hello", 12.0)
	f.Add("(unbalanced \\", 0.0)
	f.Add("é—€日", 999.0)
	f.Fuzz(func(t *testing.T, s string, size float64) {
		pdf, err := Build([]Page{{Texts: []Text{{X: 10, Y: 10, Size: size, Content: s}}}})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		conf := model.NewDefaultConfiguration()
		if _, err := api.ReadAndValidate(bytes.NewReader(pdf), conf); err != nil {
			t.Fatalf("invalid PDF for %q: %v", s, err)
		}
	})
}
