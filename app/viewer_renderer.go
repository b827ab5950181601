package app

import (
	"context"
	"image"
	"image/color"
	"sync"

	"caseviewer/viewer"
)

// ViewerRenderer adapts the PDF engine of package viewer to Renderer. The
// engine is created by Start, which the UI calls once its window is on
// screen, so that compiling PDFium (seconds of CPU) warms up behind the
// first screen instead of competing with it; Ready and Open wait for it.
type ViewerRenderer struct {
	newEngine func() *viewer.Engine
	once      sync.Once
	started   chan struct{}
	e         *viewer.Engine
}

// NewViewerRenderer returns a renderer whose engine newEngine creates when
// Start is first called (for example viewer.NewEngine with a config).
func NewViewerRenderer(newEngine func() *viewer.Engine) *ViewerRenderer {
	return &ViewerRenderer{newEngine: newEngine, started: make(chan struct{})}
}

// Start creates the engine, which starts PDFium in the background; calls
// after the first do nothing.
func (r *ViewerRenderer) Start() {
	r.once.Do(func() {
		r.e = r.newEngine()
		close(r.started)
	})
}

// Engine waits until Start has run and returns the engine.
func (r *ViewerRenderer) Engine(ctx context.Context) (*viewer.Engine, error) {
	select {
	case <-r.started:
		return r.e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close closes the engine if it was started.
func (r *ViewerRenderer) Close() error {
	select {
	case <-r.started:
		return r.e.Close()
	default:
		return nil
	}
}

// Ready waits until the engine has started PDFium.
func (r *ViewerRenderer) Ready(ctx context.Context) error {
	e, err := r.Engine(ctx)
	if err != nil {
		return err
	}
	return e.Ready(ctx)
}

// Open opens a document with the engine; every page it renders carries wm.
func (r *ViewerRenderer) Open(ctx context.Context, pdf []byte, wm Watermark) (PageSource, error) {
	e, err := r.Engine(ctx)
	if err != nil {
		return nil, err
	}
	d, err := e.Open(ctx, pdf, viewer.Watermark(wm))
	if err != nil {
		return nil, err
	}
	return viewerDoc{d}, nil
}

// Wipe zeroes the engine's pages and closes its documents.
func (r *ViewerRenderer) Wipe() {
	select {
	case <-r.started:
		r.e.Wipe()
	default:
	}
}

// PageToPixel maps a page rectangle to pixels (viewer.PageToPixel).
func (*ViewerRenderer) PageToPixel(rc Rect, h, zoom float64) image.Rectangle {
	return viewer.PageToPixel(viewer.Rect(rc), h, zoom)
}

// PixelToPage maps pixels back to the page (viewer.PixelToPage).
func (*ViewerRenderer) PixelToPage(p image.Rectangle, h, zoom float64) Rect {
	return Rect(viewer.PixelToPage(p, h, zoom))
}

// DrawHighlights draws annotation, selection and find highlights with the
// viewer's colours and note markers.
func (*ViewerRenderer) DrawHighlights(img *image.RGBA, rects []Rect, h, zoom float64, k HighlightKind) {
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

// selectedColor marks the annotation picked in the side list.
var selectedColor = color.NRGBA{R: 40, G: 140, B: 255, A: 120}
