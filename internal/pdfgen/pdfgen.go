// Package pdfgen writes small, valid PDF documents in pure Go, for tests and
// for demo case files.
//
// A document is a list of [Page] values. Each page holds filled or stroked
// boxes, raster images and single lines of text placed at exact positions, all
// in PDF user space: points (1/72 inch), origin at the bottom-left corner of
// the page, y growing upwards. Text uses the standard Type 1 fonts Helvetica,
// Helvetica-Bold and Courier with WinAnsiEncoding, which every PDF reader
// carries, so no font is embedded and the output stays small. Runes outside
// WinAnsi are written as '?'.
//
// [Report] lays out a realistic multi-page paper (title, header fields,
// sections of wrapped paragraphs, simple tables, page footers) on top of
// that, and [Photo], [PhotoPage] and [DarkPage] make the hard cases of a
// renderer test: a photographic page and a fully black one.
//
// The output is deterministic: the same input gives the same bytes. Nothing
// is read from or written to disk.
package pdfgen

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"
)

// Paper sizes in points.
const (
	A4Width      = 595.276
	A4Height     = 841.89
	LetterWidth  = 612.0
	LetterHeight = 792.0
)

// Limits that keep a mistaken call from building a huge document.
const (
	// MaxPages is the largest number of pages Build accepts.
	MaxPages = 10000
	// MaxImageSide is the largest width or height, in pixels, of an image.
	MaxImageSide = 8192
	// MaxPageSide is the largest page width or height in points (200 inches,
	// the PDF limit).
	MaxPageSide = 14400.0
)

// Errors returned by Build.
var (
	// ErrNoPages is returned for a document without pages.
	ErrNoPages = errors.New("pdfgen: document has no pages")
	// ErrTooLarge is returned when a limit above is exceeded.
	ErrTooLarge = errors.New("pdfgen: document too large")
	// ErrInvalid is returned for a non-finite or negative number, or an
	// empty rectangle or image.
	ErrInvalid = errors.New("pdfgen: invalid page content")
)

// Font names one of the standard fonts.
type Font int

// The standard fonts that pages may use.
const (
	Helvetica Font = iota
	HelveticaBold
	Courier
	numFonts
)

var fontNames = [numFonts]string{"Helvetica", "Helvetica-Bold", "Courier"}

// String returns the font's PostScript name.
func (f Font) String() string {
	if f < 0 || f >= numFonts {
		return fmt.Sprintf("Font(%d)", int(f))
	}
	return fontNames[f]
}

// Rect is a rectangle in PDF points, origin bottom-left: (X0, Y0) is the
// lower-left corner and (X1, Y1) the upper-right one.
type Rect struct {
	X0, Y0, X1, Y1 float64
}

// Text is one line of text. (X, Y) is the start of its baseline.
type Text struct {
	X, Y    float64
	Size    float64     // font size in points; 0 means 11
	Font    Font        // Helvetica when zero
	Color   color.Color // nil means black
	Content string      // one line; newlines are written as spaces
}

// Box is a rectangle, filled, stroked or both.
type Box struct {
	Rect      Rect
	Fill      color.Color // nil means not filled
	Stroke    color.Color // nil means not stroked
	LineWidth float64     // 0 means 1 point
}

// Image is a raster image drawn into a rectangle of the page (stretched to
// fill it). It is stored losslessly (RGB, Flate).
type Image struct {
	Rect  Rect
	Image image.Image
}

// Page is one page. Content is drawn in this order: Background, Boxes,
// Images, Texts.
type Page struct {
	Width, Height float64     // points; zero means A4 portrait
	Rotate        int         // clockwise display rotation: 0, 90, 180 or 270
	Background    color.Color // nil means none (the reader's white)
	Boxes         []Box
	Images        []Image
	Texts         []Text
	// Stamps are Square annotations (with an appearance stream drawing the
	// box), as a reviewer's stamp or a form widget sits over the page's
	// content: only a renderer that draws annotations shows them.
	Stamps []Box
}

// Size returns the page's width and height in points, with A4 for zeros.
func (p *Page) Size() (w, h float64) {
	w, h = p.Width, p.Height
	if w == 0 {
		w = A4Width
	}
	if h == 0 {
		h = A4Height
	}
	return w, h
}

// Info is the document information dictionary. Empty fields are left out.
type Info struct {
	Title, Author, Subject, Keywords, Creator string
	Created                                   time.Time // zero means not written
}

// Document is a whole PDF: its information dictionary and its pages.
type Document struct {
	Info  Info
	Pages []Page
}

// Build writes pages as a PDF document with no information dictionary.
func Build(pages []Page) ([]byte, error) {
	return (&Document{Pages: pages}).Bytes()
}

// Bytes writes the document as PDF 1.7 with a classic cross-reference table.
func (d *Document) Bytes() ([]byte, error) {
	if len(d.Pages) == 0 {
		return nil, ErrNoPages
	}
	if len(d.Pages) > MaxPages {
		return nil, fmt.Errorf("%w: %d pages, at most %d", ErrTooLarge, len(d.Pages), MaxPages)
	}
	w := &writer{}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

	// Fixed objects: 1 catalog, 2 page tree, 3.. fonts, then info.
	const catalogID, pagesID = 1, 2
	fontBase := 3
	infoID := fontBase + int(numFonts)
	w.next = infoID + 1

	pageIDs := make([]int, len(d.Pages))
	for i := range d.Pages {
		id, err := w.writePage(&d.Pages[i], i, pagesID, fontBase)
		if err != nil {
			return nil, err
		}
		pageIDs[i] = id
	}

	w.object(catalogID, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesID))
	var kids strings.Builder
	for i, id := range pageIDs {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", id)
	}
	w.object(pagesID, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), len(pageIDs)))
	for f := Font(0); f < numFonts; f++ {
		w.object(fontBase+int(f), fmt.Sprintf(
			"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>", fontNames[f]))
	}
	w.object(infoID, d.Info.dict())

	// Cross-reference table: one entry per object number, in order.
	n := w.next
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", n)
	for id := 1; id < n; id++ {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", w.offsets[id])
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		n, catalogID, infoID, xref)
	return w.buf.Bytes(), nil
}

type writer struct {
	buf     bytes.Buffer
	next    int
	offsets map[int]int
}

func (w *writer) alloc() int {
	id := w.next
	w.next++
	return id
}

func (w *writer) object(id int, body string) {
	if w.offsets == nil {
		w.offsets = map[int]int{}
	}
	w.offsets[id] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", id, body)
}

func (w *writer) stream(id int, dict string, data []byte) {
	if w.offsets == nil {
		w.offsets = map[int]int{}
	}
	w.offsets[id] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", id, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *writer) writePage(p *Page, index, pagesID, fontBase int) (int, error) {
	pw, ph := p.Size()
	if !finite(pw, ph) || pw <= 0 || ph <= 0 {
		return 0, fmt.Errorf("%w: page %d size %gx%g", ErrInvalid, index, pw, ph)
	}
	if pw > MaxPageSide || ph > MaxPageSide {
		return 0, fmt.Errorf("%w: page %d is %gx%g points, at most %g", ErrTooLarge, index, pw, ph, MaxPageSide)
	}
	if p.Rotate%90 != 0 || p.Rotate < 0 || p.Rotate >= 360 {
		return 0, fmt.Errorf("%w: page %d rotation %d", ErrInvalid, index, p.Rotate)
	}
	var c bytes.Buffer
	if p.Background != nil {
		fmt.Fprintf(&c, "%s rg 0 0 %s %s re f\n", rgb(p.Background), num(pw), num(ph))
	}
	for j, b := range p.Boxes {
		r := b.Rect
		if !finite(r.X0, r.Y0, r.X1, r.Y1, b.LineWidth) || b.LineWidth < 0 {
			return 0, fmt.Errorf("%w: page %d box %d", ErrInvalid, index, j)
		}
		if b.Fill == nil && b.Stroke == nil {
			continue
		}
		lw := b.LineWidth
		if lw == 0 {
			lw = 1
		}
		op := "f"
		switch {
		case b.Fill != nil && b.Stroke != nil:
			op = "B"
		case b.Stroke != nil:
			op = "S"
		}
		c.WriteString("q ")
		if b.Fill != nil {
			fmt.Fprintf(&c, "%s rg ", rgb(b.Fill))
		}
		if b.Stroke != nil {
			fmt.Fprintf(&c, "%s RG %s w ", rgb(b.Stroke), num(lw))
		}
		fmt.Fprintf(&c, "%s %s %s %s re %s Q\n", num(r.X0), num(r.Y0), num(r.X1-r.X0), num(r.Y1-r.Y0), op)
	}
	var xobjects strings.Builder
	for j, im := range p.Images {
		r := im.Rect
		if im.Image == nil || !finite(r.X0, r.Y0, r.X1, r.Y1) || r.X1 <= r.X0 || r.Y1 <= r.Y0 {
			return 0, fmt.Errorf("%w: page %d image %d", ErrInvalid, index, j)
		}
		b := im.Image.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 {
			return 0, fmt.Errorf("%w: page %d image %d is empty", ErrInvalid, index, j)
		}
		if b.Dx() > MaxImageSide || b.Dy() > MaxImageSide {
			return 0, fmt.Errorf("%w: page %d image %d is %dx%d pixels, at most %d", ErrTooLarge, index, j, b.Dx(), b.Dy(), MaxImageSide)
		}
		id := w.alloc()
		data, err := deflateRGB(im.Image)
		if err != nil {
			return 0, err
		}
		w.stream(id, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
			b.Dx(), b.Dy()), data)
		fmt.Fprintf(&xobjects, " /Im%d %d 0 R", j, id)
		fmt.Fprintf(&c, "q %s 0 0 %s %s %s cm /Im%d Do Q\n", num(r.X1-r.X0), num(r.Y1-r.Y0), num(r.X0), num(r.Y0), j)
	}
	for j, t := range p.Texts {
		size := t.Size
		if size == 0 {
			size = 11
		}
		if !finite(t.X, t.Y, size) || size < 0 || size > 1000 {
			return 0, fmt.Errorf("%w: page %d text %d", ErrInvalid, index, j)
		}
		if t.Font < 0 || t.Font >= numFonts {
			return 0, fmt.Errorf("%w: page %d text %d font %d", ErrInvalid, index, j, int(t.Font))
		}
		col := t.Color
		if col == nil {
			col = color.Black
		}
		fmt.Fprintf(&c, "BT /F%d %s Tf %s rg %s %s Td (%s) Tj ET\n",
			int(t.Font), num(size), rgb(col), num(t.X), num(t.Y), escape(t.Content))
	}

	contentID := w.alloc()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(c.Bytes()) // writes to a bytes.Buffer cannot fail
	zw.Close()
	w.stream(contentID, "/Filter /FlateDecode", z.Bytes())

	var fonts strings.Builder
	for f := Font(0); f < numFonts; f++ {
		fmt.Fprintf(&fonts, " /F%d %d 0 R", int(f), fontBase+int(f))
	}
	res := fmt.Sprintf("<< /Font <<%s >>", fonts.String())
	if xobjects.Len() > 0 {
		res += fmt.Sprintf(" /XObject <<%s >>", xobjects.String())
	}
	res += " /ProcSet [/PDF /Text /ImageC] >>"
	annots, err := w.writeStamps(p, index)
	if err != nil {
		return 0, err
	}
	pageID := w.alloc()
	rot := ""
	if p.Rotate != 0 {
		rot = fmt.Sprintf(" /Rotate %d", p.Rotate)
	}
	w.object(pageID, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s]%s%s /Resources %s /Contents %d 0 R >>",
		pagesID, num(pw), num(ph), rot, annots, res, contentID))
	return pageID, nil
}

// writeStamps writes the page's stamps as Square annotations, each with a
// normal appearance that fills and strokes its box, and returns the
// page's /Annots entry ("" when there are none).
func (w *writer) writeStamps(p *Page, index int) (string, error) {
	if len(p.Stamps) == 0 {
		return "", nil
	}
	var refs strings.Builder
	for j, b := range p.Stamps {
		r := b.Rect
		if !finite(r.X0, r.Y0, r.X1, r.Y1) || r.X1 <= r.X0 || r.Y1 <= r.Y0 || (b.Fill == nil && b.Stroke == nil) {
			return "", fmt.Errorf("%w: page %d stamp %d", ErrInvalid, index, j)
		}
		wd, ht := r.X1-r.X0, r.Y1-r.Y0
		var ap strings.Builder
		colors := ""
		if b.Fill != nil {
			fmt.Fprintf(&ap, "%s rg 0 0 %s %s re f ", rgb(b.Fill), num(wd), num(ht))
			colors += " /IC [" + rgb(b.Fill) + "]"
		}
		if b.Stroke != nil {
			fmt.Fprintf(&ap, "%s RG 2 w 1 1 %s %s re S", rgb(b.Stroke), num(wd-2), num(ht-2))
			colors += " /C [" + rgb(b.Stroke) + "]"
		}
		apID := w.alloc()
		w.stream(apID, fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %s %s]", num(wd), num(ht)), []byte(ap.String()))
		id := w.alloc()
		w.object(id, fmt.Sprintf("<< /Type /Annot /Subtype /Square /Rect [%s %s %s %s] /F 4%s /AP << /N %d 0 R >> >>",
			num(r.X0), num(r.Y0), num(r.X1), num(r.Y1), colors, apID))
		fmt.Fprintf(&refs, " %d 0 R", id)
	}
	return fmt.Sprintf(" /Annots [%s ]", refs.String()), nil
}

func (in *Info) dict() string {
	var b strings.Builder
	b.WriteString("<<")
	field := func(key, v string) {
		if v != "" {
			fmt.Fprintf(&b, " /%s (%s)", key, escape(v))
		}
	}
	field("Title", in.Title)
	field("Author", in.Author)
	field("Subject", in.Subject)
	field("Keywords", in.Keywords)
	field("Creator", in.Creator)
	b.WriteString(" /Producer (caseviewer pdfgen)")
	if !in.Created.IsZero() {
		t := in.Created.UTC()
		fmt.Fprintf(&b, " /CreationDate (D:%sZ)", t.Format("20060102150405"))
	}
	b.WriteString(" >>")
	return b.String()
}

func deflateRGB(img image.Image) ([]byte, error) {
	b := img.Bounds()
	row := make([]byte, 3*b.Dx())
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	rgba, _ := img.(*image.RGBA)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := 3 * (x - b.Min.X)
			if rgba != nil {
				o := rgba.PixOffset(x, y)
				row[i], row[i+1], row[i+2] = rgba.Pix[o], rgba.Pix[o+1], rgba.Pix[o+2]
				continue
			}
			r, g, bl, _ := img.At(x, y).RGBA()
			row[i], row[i+1], row[i+2] = byte(r>>8), byte(g>>8), byte(bl>>8)
		}
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
			return false
		}
	}
	return true
}

// num formats a number the way PDF wants it: no exponent, at most three
// decimals.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func rgb(c color.Color) string {
	r, g, b, _ := c.RGBA()
	f := func(v uint32) string { return num(float64(v) / 0xffff) }
	return f(r) + " " + f(g) + " " + f(b)
}

// winAnsi maps the runes of WinAnsiEncoding above Latin-1's range.
var winAnsi = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
	'˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
}

// encode converts s to WinAnsi bytes; runes it lacks become '?'.
func encode(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			out = append(out, ' ')
		case r >= 0x20 && r < 0x7f, r >= 0xa0 && r <= 0xff:
			out = append(out, byte(r))
		default:
			if b, ok := winAnsi[r]; ok {
				out = append(out, b)
			} else {
				out = append(out, '?')
			}
		}
	}
	return out
}

// escape returns s as the body of a PDF literal string.
func escape(s string) string {
	var b strings.Builder
	for _, c := range encode(s) {
		switch {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x80:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
