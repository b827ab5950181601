package viewer

import (
	"image"
	"image/color"
	"math"
)

// Rect is a rectangle in page coordinates: points (1/72 inch) with the
// origin at the bottom-left corner of the page and y growing upwards, as in
// PDF. (X0, Y0) is the lower-left corner, (X1, Y1) the upper-right. The page
// is taken as displayed, the size PageSize reports: for a page with a
// /Rotate entry or a box that does not start at 0,0 these are not the raw
// user-space numbers of the file (Find converts them).
type Rect struct {
	X0, Y0, X1, Y1 float64
}

// Canon returns r with X0 <= X1 and Y0 <= Y1.
func (r Rect) Canon() Rect {
	if r.X0 > r.X1 {
		r.X0, r.X1 = r.X1, r.X0
	}
	if r.Y0 > r.Y1 {
		r.Y0, r.Y1 = r.Y1, r.Y0
	}
	return r
}

// Empty reports whether r has no area.
func (r Rect) Empty() bool { r = r.Canon(); return !(r.X1 > r.X0 && r.Y1 > r.Y0) }

// PageToPixel maps r on a page pageHeightPt points tall to the pixels of
// that page rendered at zoom (1 is 72 DPI): x scales, y flips (pixels grow
// downwards from the top). The result covers every pixel r touches.
func PageToPixel(r Rect, pageHeightPt, zoom float64) image.Rectangle {
	r = r.Canon()
	return image.Rect(
		int(math.Floor(r.X0*zoom)),
		int(math.Floor((pageHeightPt-r.Y1)*zoom)),
		int(math.Ceil(r.X1*zoom)),
		int(math.Ceil((pageHeightPt-r.Y0)*zoom)),
	)
}

// PixelToPage maps pixel rectangle p of a page rendered at zoom back to page
// coordinates; it is the inverse of PageToPixel up to pixel rounding.
func PixelToPage(p image.Rectangle, pageHeightPt, zoom float64) Rect {
	p = p.Canon()
	return Rect{
		X0: float64(p.Min.X) / zoom,
		Y0: pageHeightPt - float64(p.Max.Y)/zoom,
		X1: float64(p.Max.X) / zoom,
		Y1: pageHeightPt - float64(p.Min.Y)/zoom,
	}
}

// PointToPixel maps a point on the page to the pixel it falls in.
func PointToPixel(x, y, pageHeightPt, zoom float64) image.Point {
	return image.Pt(int(math.Floor(x*zoom)), int(math.Floor((pageHeightPt-y)*zoom)))
}

// PixelToPoint maps the centre of pixel p back to page coordinates.
func PixelToPoint(p image.Point, pageHeightPt, zoom float64) (x, y float64) {
	return (float64(p.X) + 0.5) / zoom, pageHeightPt - (float64(p.Y)+0.5)/zoom
}

// Colours the GUI may use for the overlay.
var (
	// HighlightColor is a translucent yellow for annotation highlights.
	HighlightColor = color.NRGBA{R: 255, G: 214, B: 0, A: 110}
	// FindColor is a translucent orange for find hits.
	FindColor = color.NRGBA{R: 255, G: 120, B: 0, A: 120}
	// NoteColor is the colour of note markers.
	NoteColor = color.NRGBA{R: 230, G: 160, B: 0, A: 255}
)

// DrawHighlights blends c (use a translucent colour) over the pixels of
// each rectangle, given in page coordinates, on a page image rendered at
// zoom. Rectangles are clipped to the image.
func DrawHighlights(img *image.RGBA, rects []Rect, pageHeightPt, zoom float64, c color.Color) {
	for _, r := range rects {
		px := PageToPixel(r, pageHeightPt, zoom).Intersect(img.Bounds())
		blendRect(img, px, c)
	}
}

// DrawFindHits draws find hits of one page: every rectangle in FindColor,
// and the current one (index current, -1 for none) with a solid outline.
func DrawFindHits(img *image.RGBA, rects []Rect, current int, pageHeightPt, zoom float64) {
	DrawHighlights(img, rects, pageHeightPt, zoom, FindColor)
	if current >= 0 && current < len(rects) {
		px := PageToPixel(rects[current], pageHeightPt, zoom).Inset(-2)
		strokeRect(img, px, 2, color.NRGBA{R: 200, G: 60, B: 0, A: 255})
	}
}

// NoteMarkerSize is the side of a note marker in pixels at zoom 1; it
// scales with zoom.
const NoteMarkerSize = 14.0

// DrawNoteMarker draws a note marker (a folded square with a dark border)
// with its top-left corner at page point (x, y), and returns the pixel
// rectangle it covers so the GUI can make it tappable.
func DrawNoteMarker(img *image.RGBA, x, y, pageHeightPt, zoom float64, c color.Color) image.Rectangle {
	s := int(math.Max(8, math.Round(NoteMarkerSize*zoom)))
	p := PointToPixel(x, y, pageHeightPt, zoom)
	r := image.Rect(p.X, p.Y, p.X+s, p.Y+s)
	fold := s / 3
	// Body, without the folded corner at top-right.
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			if xx-r.Min.X > s-fold+(yy-r.Min.Y) {
				continue // cut corner
			}
			if image.Pt(xx, yy).In(img.Bounds()) {
				blendPixel(img, xx, yy, c)
			}
		}
	}
	border := color.NRGBA{R: 60, G: 40, B: 0, A: 255}
	strokeRect(img, r, max(1, s/12), border)
	return r.Intersect(img.Bounds())
}

func blendRect(img *image.RGBA, r image.Rectangle, c color.Color) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			blendPixel(img, x, y, c)
		}
	}
}

func strokeRect(img *image.RGBA, r image.Rectangle, width int, c color.Color) {
	b := img.Bounds()
	for i := 0; i < width; i++ {
		in := r.Inset(i)
		if in.Empty() {
			return
		}
		for x := in.Min.X; x < in.Max.X; x++ {
			for _, y := range []int{in.Min.Y, in.Max.Y - 1} {
				if image.Pt(x, y).In(b) {
					blendPixel(img, x, y, c)
				}
			}
		}
		for y := in.Min.Y + 1; y < in.Max.Y-1; y++ {
			for _, x := range []int{in.Min.X, in.Max.X - 1} {
				if image.Pt(x, y).In(b) {
					blendPixel(img, x, y, c)
				}
			}
		}
	}
}

// blendPixel draws c over the pixel at (x, y) with c's alpha.
func blendPixel(img *image.RGBA, x, y int, c color.Color) {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	if a == 0 {
		return
	}
	o := img.PixOffset(x, y)
	p := img.Pix[o : o+4 : o+4]
	inv := 0xffff - a
	p[0] = uint8((uint32(p[0])*0x101*inv/0xffff + r) >> 8)
	p[1] = uint8((uint32(p[1])*0x101*inv/0xffff + g) >> 8)
	p[2] = uint8((uint32(p[2])*0x101*inv/0xffff + b) >> 8)
	p[3] = uint8((uint32(p[3])*0x101*inv/0xffff + a) >> 8)
}
