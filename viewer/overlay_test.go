package viewer

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestPageToPixelAndBack(t *testing.T) {
	const pageH = 792.0
	tests := []struct {
		r    Rect
		zoom float64
		want image.Rectangle
	}{
		{Rect{0, 0, 612, 792}, 1, image.Rect(0, 0, 612, 792)},
		{Rect{72, 700, 144, 720}, 1, image.Rect(72, 72, 144, 92)},
		{Rect{72, 700, 144, 720}, 2, image.Rect(144, 144, 288, 184)},
		{Rect{144, 720, 72, 700}, 2, image.Rect(144, 144, 288, 184)},    // corners swapped
		{Rect{10.2, 10.2, 20.7, 20.7}, 1, image.Rect(10, 771, 21, 782)}, // rounds outwards
	}
	for _, tt := range tests {
		if got := PageToPixel(tt.r, pageH, tt.zoom); got != tt.want {
			t.Errorf("PageToPixel(%v, zoom %g) = %v, want %v", tt.r, tt.zoom, got, tt.want)
		}
	}
	// Back and forth at several zooms stays within a pixel.
	for _, zoom := range []float64{0.5, 1, 1.37, 2.0833, 4} {
		r := Rect{X0: 100.3, Y0: 200.6, X1: 250.1, Y1: 230.9}
		back := PixelToPage(PageToPixel(r, pageH, zoom), pageH, zoom)
		tol := 1 / zoom
		if math.Abs(back.X0-r.X0) > tol || math.Abs(back.X1-r.X1) > tol || math.Abs(back.Y0-r.Y0) > tol || math.Abs(back.Y1-r.Y1) > tol {
			t.Errorf("zoom %g: %v -> %v", zoom, r, back)
		}
		if back.X0 > r.X0 || back.Y0 > r.Y0 || back.X1 < r.X1 || back.Y1 < r.Y1 {
			t.Errorf("zoom %g: %v does not contain %v", zoom, back, r)
		}
		px := PointToPixel(r.X0, r.Y1, pageH, zoom)
		x, y := PixelToPoint(px, pageH, zoom)
		if math.Abs(x-r.X0) > tol || math.Abs(y-r.Y1) > tol {
			t.Errorf("zoom %g: point (%g,%g) -> %v -> (%g,%g)", zoom, r.X0, r.Y1, px, x, y)
		}
	}
	if !(Rect{1, 1, 1, 5}).Empty() || (Rect{1, 1, 2, 5}).Empty() {
		t.Error("Empty is wrong")
	}
}

func TestDrawHighlightsTouchesOnlyItsRects(t *testing.T) {
	img := solid(255, 100, 100)
	const pageH, zoom = 50.0, 2.0
	rects := []Rect{{X0: 5, Y0: 40, X1: 10, Y1: 45}, {X0: 45, Y0: -10, X1: 80, Y1: 2}} // second one clipped
	DrawHighlights(img, rects, pageH, zoom, color.NRGBA{R: 255, A: 128})
	in := []image.Rectangle{image.Rect(10, 10, 20, 20), image.Rect(90, 96, 100, 100)}
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			o := img.PixOffset(x, y)
			hit := image.Pt(x, y).In(in[0]) || image.Pt(x, y).In(in[1])
			tinted := img.Pix[o+1] < 200 // green drops under a red highlight
			if hit != tinted {
				t.Fatalf("pixel (%d,%d): highlighted %v, want %v", x, y, tinted, hit)
			}
			if hit && (img.Pix[o] != 255 || img.Pix[o+1] < 120 || img.Pix[o+1] > 135) {
				t.Fatalf("pixel (%d,%d) = %v, want half-transparent red over white", x, y, img.Pix[o:o+4])
			}
		}
	}
	DrawFindHits(img, rects, 0, pageH, zoom)
	DrawFindHits(img, rects, 5, pageH, zoom) // out of range: no outline, no panic
}

func TestDrawNoteMarker(t *testing.T) {
	img := solid(255, 200, 200)
	r := DrawNoteMarker(img, 20, 80, 100, 2, NoteColor)
	if r != image.Rect(40, 40, 68, 68) {
		t.Errorf("marker at %v", r)
	}
	o := img.PixOffset(45, 60)
	if img.Pix[o+2] > 100 {
		t.Errorf("marker body not drawn: %v", img.Pix[o:o+4])
	}
	o = img.PixOffset(100, 100)
	if img.Pix[o] != 255 || img.Pix[o+2] != 255 {
		t.Error("marker drew outside itself")
	}
	// At the page edge it is clipped, not a panic.
	r = DrawNoteMarker(img, 99, 1, 100, 2, NoteColor)
	if !r.In(img.Bounds()) {
		t.Errorf("clipped marker rect %v leaves the image", r)
	}
}
