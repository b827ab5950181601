package pdfgen

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
)

// Advance widths (1/1000 em) of WinAnsi 0x20..0x7e in the standard fonts,
// from Adobe's AFM files.
var helveticaWidths = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
}

var helveticaBoldWidths = [95]uint16{
	278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
	975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
	333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
	611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
}

// TextWidth returns the width in points of s set in font f at size points.
// Characters outside printable ASCII count as a digit's width.
func TextWidth(s string, f Font, size float64) float64 {
	var units float64
	for _, c := range encode(s) {
		switch {
		case f == Courier:
			units += 600
		case c < 0x20 || c > 0x7e:
			units += 556
		case f == HelveticaBold:
			units += float64(helveticaBoldWidths[c-0x20])
		default:
			units += float64(helveticaWidths[c-0x20])
		}
	}
	return units * size / 1000
}

// Wrap breaks s into lines no wider than width points in font f at size,
// breaking at spaces (a word longer than a line gets a line of its own).
func Wrap(s string, f Font, size, width float64) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		try := word
		if cur != "" {
			try = cur + " " + word
		}
		if cur != "" && TextWidth(try, f, size) > width {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// Section is one part of a [Report]: an optional heading, then paragraphs,
// then an optional table.
type Section struct {
	Heading    string
	Paragraphs []string
	// Table rows; the first row is the header, set in bold. Columns share
	// the text width equally and long cells are cut.
	Table [][]string
}

// Report describes realistic paperwork laid out on as many A4 pages as its
// text needs: an agency line and a title on the first page, header fields
// ("Case number: 2026-0412"), sections, and a footer with page numbers on
// every page.
type Report struct {
	Agency  string   // e.g. "Metro Police Department"; optional
	Title   string   // e.g. "Incident Report"
	Fields  []string // header lines, e.g. "Case number: 2026-0412"
	Footer  string   // e.g. "CONFIDENTIAL - LAW ENFORCEMENT SENSITIVE"; "Page n of N" is added
	Section []Section
}

// Layout constants of Report, in points.
const (
	reportMargin = 56.0
	bodySize     = 10.5
	bodyLeading  = 14.0
)

// Pages lays the report out and returns its pages, at least one.
func (r Report) Pages() []Page {
	const w, h = A4Width, A4Height
	textW := w - 2*reportMargin
	var pages []Page
	var p *Page
	y := 0.0
	newPage := func() {
		pages = append(pages, Page{})
		p = &pages[len(pages)-1]
		y = h - reportMargin
	}
	need := func(dy float64) {
		if y-dy < reportMargin+24 {
			newPage()
		}
	}
	text := func(x float64, s string, f Font, size float64) {
		p.Texts = append(p.Texts, Text{X: x, Y: y, Size: size, Font: f, Content: s})
	}
	newPage()
	if r.Agency != "" {
		y -= 12
		text(reportMargin, strings.ToUpper(r.Agency), HelveticaBold, 11)
		y -= 8
	}
	if r.Title != "" {
		y -= 20
		text(reportMargin, r.Title, HelveticaBold, 18)
		y -= 8
		p.Boxes = append(p.Boxes, Box{Rect: Rect{reportMargin, y, w - reportMargin, y + 1.2}, Fill: color.Black})
		y -= 6
	}
	for _, f := range r.Fields {
		need(bodyLeading)
		y -= bodyLeading
		label, value, ok := strings.Cut(f, ":")
		if ok {
			text(reportMargin, label+":", HelveticaBold, bodySize)
			text(reportMargin+130, strings.TrimSpace(value), Helvetica, bodySize)
		} else {
			text(reportMargin, f, Helvetica, bodySize)
		}
	}
	for _, s := range r.Section {
		if s.Heading != "" {
			need(3 * bodyLeading)
			y -= 1.8 * bodyLeading
			text(reportMargin, s.Heading, HelveticaBold, 12.5)
			y -= 4
		}
		for _, para := range s.Paragraphs {
			for _, line := range Wrap(para, Helvetica, bodySize, textW) {
				need(bodyLeading)
				y -= bodyLeading
				text(reportMargin, line, Helvetica, bodySize)
			}
			y -= bodyLeading / 2
		}
		if len(s.Table) > 0 {
			cols := 0
			for _, row := range s.Table {
				cols = max(cols, len(row))
			}
			colW := textW / float64(cols)
			for i, row := range s.Table {
				need(bodyLeading + 4)
				y -= bodyLeading + 4
				font := Helvetica
				if i == 0 {
					font = HelveticaBold
					p.Boxes = append(p.Boxes, Box{Rect: Rect{reportMargin, y - 4, w - reportMargin, y + bodyLeading}, Fill: color.Gray{Y: 225}})
				}
				for j, cell := range row {
					text(reportMargin+float64(j)*colW+3, clip(cell, font, bodySize, colW-6), font, bodySize)
				}
				p.Boxes = append(p.Boxes, Box{Rect: Rect{reportMargin, y - 4, w - reportMargin, y - 3.6}, Fill: color.Gray{Y: 160}})
			}
			y -= bodyLeading / 2
		}
	}
	for i := range pages {
		foot := fmt.Sprintf("Page %d of %d", i+1, len(pages))
		if r.Footer != "" {
			pages[i].Texts = append(pages[i].Texts, Text{X: reportMargin, Y: reportMargin - 20, Size: 8, Content: r.Footer})
		}
		pages[i].Texts = append(pages[i].Texts, Text{X: w - reportMargin - TextWidth(foot, Helvetica, 8), Y: reportMargin - 20, Size: 8, Content: foot})
	}
	return pages
}

func clip(s string, f Font, size, width float64) string {
	if TextWidth(s, f, size) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && TextWidth(string(r)+"...", f, size) > width {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

// DarkPage returns an A4 page filled with black, with lines of white text
// from the top-left margin (none is fine: a fully black page).
func DarkPage(lines ...string) Page {
	p := Page{Background: color.Black}
	y := A4Height - reportMargin
	for _, l := range lines {
		y -= bodyLeading
		p.Texts = append(p.Texts, Text{X: reportMargin, Y: y, Size: bodySize, Color: color.White, Content: l})
	}
	return p
}

// PhotoPage returns an A4 page covered edge to edge by a synthetic
// photograph of w by h pixels (see [Photo]), with an optional caption in
// white near the bottom.
func PhotoPage(seed uint64, w, h int, caption string) Page {
	p := Page{Images: []Image{{Rect: Rect{0, 0, A4Width, A4Height}, Image: Photo(seed, w, h)}}}
	if caption != "" {
		p.Texts = append(p.Texts, Text{X: reportMargin, Y: reportMargin, Size: 12, Font: HelveticaBold, Color: color.White, Content: caption})
	}
	return p
}

// Photo returns a w by h image that looks photographic to a renderer: smooth
// light and dark regions of several hues, hard edges and fine noise. The
// same seed gives the same image.
func Photo(seed uint64, w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type blob struct{ x, y, r, cr, cg, cb float64 }
	blobs := make([]blob, 7)
	for i := range blobs {
		blobs[i] = blob{rng.Float64(), rng.Float64(), 0.15 + 0.35*rng.Float64(),
			rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(max(h, 1))
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(max(w, 1))
			// A sky-to-ground gradient.
			r, g, b := 40+120*(1-fy), 60+110*(1-fy), 90+140*(1-fy)
			for _, bl := range blobs {
				d := math.Hypot(fx-bl.x, fy-bl.y) / bl.r
				if d < 1 {
					a := 0.8 * (1 - d*d)
					r, g, b = r*(1-a)+bl.cr*a, g*(1-a)+bl.cg*a, b*(1-a)+bl.cb*a
				}
			}
			if fy > 0.72 { // a dark horizon band with a hard edge
				r, g, b = r*0.3, g*0.3, b*0.3
			}
			n := (rng.Float64() - 0.5) * 24
			o := img.PixOffset(x, y)
			img.Pix[o] = clamp8(r + n)
			img.Pix[o+1] = clamp8(g + n)
			img.Pix[o+2] = clamp8(b + n)
			img.Pix[o+3] = 255
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
