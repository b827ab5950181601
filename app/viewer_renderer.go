package app

import (
	"context"
	"image"
	"image/color"

	"caseviewer/viewer"
)

// NewViewerRenderer adapts the PDF engine of package viewer to Renderer.
// The engine should have been created at start-up (viewer.NewEngine starts
// PDFium in the background) so that it is warm when a document opens.
func NewViewerRenderer(e *viewer.Engine) Renderer { return viewerRenderer{e} }

type viewerRenderer struct{ e *viewer.Engine }

// selectedColor marks the annotation picked in the side list.
var selectedColor = color.NRGBA{R: 40, G: 140, B: 255, A: 120}

func (r viewerRenderer) Ready(ctx context.Context) error { return r.e.Ready(ctx) }

func (r viewerRenderer) Open(ctx context.Context, pdf []byte, wm Watermark) (PageSource, error) {
	d, err := r.e.Open(ctx, pdf, viewer.Watermark(wm))
	if err != nil {
		return nil, err
	}
	return viewerDoc{d}, nil
}

func (r viewerRenderer) Wipe() { r.e.Wipe() }

func (viewerRenderer) PageToPixel(rc Rect, h, zoom float64) image.Rectangle {
	return viewer.PageToPixel(viewer.Rect(rc), h, zoom)
}

func (viewerRenderer) PixelToPage(p image.Rectangle, h, zoom float64) Rect {
	return Rect(viewer.PixelToPage(p, h, zoom))
}

func (viewerRenderer) DrawHighlights(img *image.RGBA, rects []Rect, h, zoom float64, k HighlightKind) {
	vr := make([]viewer.Rect, len(rects))
	for i, rc := range rects {
		vr[i] = viewer.Rect(rc)
	}
	switch k {
	case HighlightFind:
		viewer.DrawFindHits(img, vr, -1, h, zoom)
	case HighlightSelected:
		viewer.DrawHighlights(img, vr, h, zoom, selectedColor)
		for _, rc := range vr {
			viewer.DrawNoteMarker(img, rc.Canon().X0, rc.Canon().Y1, h, zoom, viewer.NoteColor)
		}
	default:
		viewer.DrawHighlights(img, vr, h, zoom, viewer.HighlightColor)
		for _, rc := range vr {
			viewer.DrawNoteMarker(img, rc.Canon().X0, rc.Canon().Y1, h, zoom, viewer.NoteColor)
		}
	}
}

type viewerDoc struct{ d *viewer.Document }

func (v viewerDoc) PageCount() int                           { return v.d.PageCount() }
func (v viewerDoc) PageSize(i int) (float64, float64, error) { return v.d.PageSize(i) }
func (v viewerDoc) Prefetch(page int, zoom float64)          { v.d.Prefetch(page, zoom) }
func (v viewerDoc) Close() error                             { return v.d.Close() }
func (v viewerDoc) Render(ctx context.Context, p int, z float64) (*image.RGBA, error) {
	return v.d.Render(ctx, p, z)
}

func (v viewerDoc) Find(ctx context.Context, q string) ([]Hit, error) {
	hits, err := v.d.Find(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Hit, len(hits))
	for i, h := range hits {
		out[i] = Hit{Page: h.Page}
		for _, rc := range h.Rects {
			out[i].Rects = append(out[i].Rects, Rect(rc))
		}
	}
	return out, nil
}
