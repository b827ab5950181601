package viewer

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// Document is an open PDF. Its methods are safe for concurrent use.
type Document struct {
	e       *Engine
	id      uint64
	pdf     []byte
	ownsPDF bool // pdf was read by OpenReaderAt: zero it at close
	wm      Watermark

	// Set once by load, read-only afterwards.
	sizes [][2]float64 // page sizes in points
	meta  map[string]string

	mu     sync.Mutex
	closed bool
}

// load reads the page count, page sizes and metadata; it runs once, in the
// first worker that opens the document.
func (d *Document) load(w *worker, h references.FPDF_DOCUMENT) error {
	n, err := w.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: h})
	if err != nil {
		return pdfiumError(err)
	}
	if n.PageCount <= 0 {
		return fmt.Errorf("%w: document has no pages", ErrInvalidPDF)
	}
	if n.PageCount > MaxPages {
		return fmt.Errorf("%w: %d pages, at most %d", ErrTooLarge, n.PageCount, MaxPages)
	}
	sizes := make([][2]float64, n.PageCount)
	for i := range sizes {
		s, err := w.inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: h, Index: i})
		if err != nil {
			return fmt.Errorf("%w: page %d: %v", ErrInvalidPDF, i+1, err)
		}
		pw, ph := float64(s.Size.Width), float64(s.Size.Height)
		if !(pw > 0 && ph > 0 && pw < 1e5 && ph < 1e5) {
			return fmt.Errorf("%w: page %d has size %gx%g", ErrInvalidPDF, i+1, pw, ph)
		}
		sizes[i] = [2]float64{pw, ph}
	}
	meta := map[string]string{}
	if m, err := w.inst.GetMetaData(&requests.GetMetaData{Document: h}); err == nil {
		for _, t := range m.Tags {
			if t.Value != "" {
				meta[t.Tag] = t.Value
			}
		}
	}
	d.sizes, d.meta = sizes, meta
	return nil
}

// PageCount returns the number of pages.
func (d *Document) PageCount() int { return len(d.sizes) }

// PageSize returns the size of page i (0-based) in points.
func (d *Document) PageSize(i int) (widthPt, heightPt float64, err error) {
	if i < 0 || i >= len(d.sizes) {
		return 0, 0, fmt.Errorf("%w: page %d of %d", ErrPageRange, i, len(d.sizes))
	}
	return d.sizes[i][0], d.sizes[i][1], nil
}

// Metadata returns the document information entries PDFium found (Title,
// Author, Subject, Keywords, Creator, Producer, CreationDate, ModDate),
// empty ones left out. The map is a copy.
func (d *Document) Metadata() map[string]string {
	m := make(map[string]string, len(d.meta))
	for k, v := range d.meta {
		m[k] = v
	}
	return m
}

// Watermark returns the watermark the document's pages carry.
func (d *Document) Watermark() Watermark { return d.wm }

// WatermarkValidUntil returns the start of the next minute by the
// watermark's clock: a page rendered now must be rendered again then so
// that the time it shows stays current.
func (d *Document) WatermarkValidUntil() time.Time {
	return d.wm.now().Truncate(time.Minute).Add(time.Minute)
}

// Render returns page (0-based) at zoom (1 is 72 DPI), with the watermark.
// The image is a fresh copy the caller may keep; Wipe zeroes it if the
// caller still holds it then. Rendering again at the same zoom is cheap:
// the clean page comes from the cache and only the watermark is redrawn.
func (d *Document) Render(ctx context.Context, page int, zoom float64) (*image.RGBA, error) {
	clean, err := d.clean(ctx, page, zoom, true)
	if err != nil {
		return nil, err
	}
	d.e.stamp(clean, d.wm, zoom)
	d.e.issue(clean)
	return clean, nil
}

// RenderDPI is Render at a resolution in dots per inch.
func (d *Document) RenderDPI(ctx context.Context, page int, dpi float64) (*image.RGBA, error) {
	return d.Render(ctx, page, dpi/72)
}

// Prefetch renders page at zoom in the background into the cache, at a
// lower priority than Render, if it is not there yet. Errors are dropped:
// Render reports them when the page is asked for.
func (d *Document) Prefetch(page int, zoom float64) {
	if _, _, err := d.checkRender(page, zoom); err != nil {
		return
	}
	if d.e.cache.has(d.cacheKey(page, zoom)) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d.e.cfg.JobTimeout)
		defer cancel()
		img, err := d.clean(ctx, page, zoom, false)
		if err == nil {
			clear(img.Pix)
		}
	}()
}

func (d *Document) cacheKey(page int, zoom float64) pageKey {
	return pageKey{doc: d.id, page: page, zoom: zoomKey(zoom)}
}

// checkRender validates page and zoom and returns the pixel size.
func (d *Document) checkRender(page int, zoom float64) (w, h int, err error) {
	if d.isClosed() {
		return 0, 0, ErrClosed
	}
	pw, ph, err := d.PageSize(page)
	if err != nil {
		return 0, 0, err
	}
	if !(zoom > 0) || math.IsInf(zoom, 0) {
		return 0, 0, fmt.Errorf("%w: zoom %g", ErrBadArgument, zoom)
	}
	if zoom > MaxZoom {
		return 0, 0, fmt.Errorf("%w: zoom %g, at most %g", ErrTooLarge, zoom, MaxZoom)
	}
	w, h = max(1, int(math.Round(pw*zoom))), max(1, int(math.Round(ph*zoom)))
	if int64(w)*int64(h) > MaxPixels {
		return 0, 0, fmt.Errorf("%w: page %d at zoom %g is %dx%d pixels", ErrTooLarge, page, zoom, w, h)
	}
	return w, h, nil
}

// clean returns a private copy of the page without watermark, from the
// cache or rendered now.
func (d *Document) clean(ctx context.Context, page int, zoom float64, high bool) (*image.RGBA, error) {
	w, h, err := d.checkRender(page, zoom)
	if err != nil {
		return nil, err
	}
	key := d.cacheKey(page, zoom)
	return d.e.cache.get(ctx, key, func() (*image.RGBA, error) {
		var out *image.RGBA
		err := d.e.run(ctx, d, high, func(wk *worker, hd references.FPDF_DOCUMENT) error {
			res, err := wk.inst.RenderPageInPixels(&requests.RenderPageInPixels{
				Page:   requests.Page{ByIndex: &requests.PageByIndex{Document: hd, Index: page}},
				Width:  w,
				Height: h,
				// Annotations are content: stamps, notes, signatures and
				// form fields' values are drawn as annotations.
				RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT,
			})
			if err != nil {
				return fmt.Errorf("%w: rendering page %d: %v", ErrInvalidPDF, page+1, err)
			}
			defer res.Cleanup()
			src, ok := res.Result.RenderedImage.(*image.RGBA)
			if !ok || src == nil {
				return fmt.Errorf("%w: rendering page %d gave no image", ErrInvalidPDF, page+1)
			}
			// The image aliases WebAssembly memory: copy it out before
			// Cleanup frees it.
			out = image.NewRGBA(src.Rect)
			copy(out.Pix, src.Pix)
			if res.Result.HasTransparency {
				// PDFium leaves such a page's background transparent:
				// lay it on white paper, as a reader expects.
				flattenOnWhite(out.Pix)
			}
			if err := ctx.Err(); err != nil {
				// The caller left: nobody will take this page.
				clear(out.Pix)
				return err
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if d.isClosed() { // closed or wiped while rendering: keep nothing
			clear(out.Pix)
			return nil, ErrClosed
		}
		return out, nil
	})
}

// Hit is one page's matches of a Find query.
type Hit struct {
	Page  int    // 0-based page index
	Rects []Rect // one or more rectangles per match, in PDF points
}

// Find searches the document's text for query, case-insensitively, and
// returns the pages that contain it, in page order, each with the
// rectangles of its matches (a match across lines has several). The text
// stays in PDFium's memory; nothing is written anywhere.
func (d *Document) Find(ctx context.Context, query string) ([]Hit, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	query = strings.TrimSpace(query)
	if query == "" || !utf8.ValidString(query) {
		return nil, fmt.Errorf("%w: empty or invalid query", ErrBadArgument)
	}
	if utf8.RuneCountInString(query) > MaxQueryLen {
		return nil, fmt.Errorf("%w: query longer than %d characters", ErrTooLarge, MaxQueryLen)
	}
	var hits []Hit
	total := 0
	for page := 0; page < d.PageCount() && total < MaxHits; page++ {
		var rects []Rect
		err := d.e.run(ctx, d, true, func(w *worker, h references.FPDF_DOCUMENT) error {
			var err error
			rects, err = findOnPage(w, h, page, query, MaxHits-total)
			if err == nil {
				err = toDisplay(w, h, page, d.sizes[page], rects)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(rects) > 0 {
			hits = append(hits, Hit{Page: page, Rects: rects})
			total += len(rects)
		}
	}
	return hits, nil
}

func findOnPage(w *worker, h references.FPDF_DOCUMENT, page int, query string, limit int) ([]Rect, error) {
	tp, err := w.inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{
		Page: requests.Page{ByIndex: &requests.PageByIndex{Document: h, Index: page}},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: reading text of page %d: %v", ErrInvalidPDF, page+1, err)
	}
	defer w.inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	s, err := w.inst.FPDFText_FindStart(&requests.FPDFText_FindStart{TextPage: tp.TextPage, Find: query})
	if err != nil {
		return nil, fmt.Errorf("%w: searching page %d: %v", ErrInvalidPDF, page+1, err)
	}
	defer w.inst.FPDFText_FindClose(&requests.FPDFText_FindClose{Search: s.Search})
	var rects []Rect
	for len(rects) < limit {
		next, err := w.inst.FPDFText_FindNext(&requests.FPDFText_FindNext{Search: s.Search})
		if err != nil || !next.GotMatch {
			break
		}
		idx, err := w.inst.FPDFText_GetSchResultIndex(&requests.FPDFText_GetSchResultIndex{Search: s.Search})
		if err != nil {
			break
		}
		cnt, err := w.inst.FPDFText_GetSchCount(&requests.FPDFText_GetSchCount{Search: s.Search})
		if err != nil {
			break
		}
		n, err := w.inst.FPDFText_CountRects(&requests.FPDFText_CountRects{TextPage: tp.TextPage, StartIndex: idx.Index, Count: cnt.Count})
		if err != nil {
			break
		}
		for i := 0; i < n.Count && len(rects) < limit; i++ {
			r, err := w.inst.FPDFText_GetRect(&requests.FPDFText_GetRect{TextPage: tp.TextPage, Index: i})
			if err != nil {
				break
			}
			rects = append(rects, Rect{X0: r.Left, Y0: r.Bottom, X1: r.Right, Y1: r.Top})
		}
	}
	return rects, nil
}

// displayPrecision is the fraction of a point to which toDisplay maps.
const displayPrecision = 64

// toDisplay maps rectangles from the page's user space, in which PDFium's
// text API reports them, to the page as displayed: its /Rotate applied and
// its box moved to the origin, as Rect and PageToPixel expect. For an
// unrotated page whose box starts at 0,0 it changes nothing.
func toDisplay(w *worker, h references.FPDF_DOCUMENT, page int, size [2]float64, rects []Rect) error {
	pg := requests.Page{ByIndex: &requests.PageByIndex{Document: h, Index: page}}
	sx, sy := int(math.Round(size[0]*displayPrecision)), int(math.Round(size[1]*displayPrecision))
	mapPt := func(x, y float64) (float64, float64, error) {
		res, err := w.inst.FPDF_PageToDevice(&requests.FPDF_PageToDevice{Page: pg, SizeX: sx, SizeY: sy, PageX: x, PageY: y})
		if err != nil {
			return 0, 0, fmt.Errorf("%w: mapping page %d: %v", ErrInvalidPDF, page+1, err)
		}
		return float64(res.DeviceX) / displayPrecision, size[1] - float64(res.DeviceY)/displayPrecision, nil
	}
	for i, r := range rects {
		x0, y0, err := mapPt(r.X0, r.Y0)
		if err != nil {
			return err
		}
		x1, y1, err := mapPt(r.X1, r.Y1)
		if err != nil {
			return err
		}
		rects[i] = Rect{X0: x0, Y0: y0, X1: x1, Y1: y1}.Canon()
	}
	return nil
}

func (d *Document) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// markClosed marks d closed and releases what it holds: its pages in the
// cache (zeroed), its handles in the workers, and its bytes if it owns
// them. It reports whether d was open.
func (d *Document) markClosed() bool {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return false
	}
	d.closed = true
	d.mu.Unlock()
	e := d.e
	e.mu.Lock()
	delete(e.docs, d)
	e.mu.Unlock()
	e.cache.dropDoc(d.id)
	// A buffer the document owns is zeroed once every worker has let go
	// of the document (a worker may be copying it into PDFium right now).
	// Wipe waits for the workers after this, so it finds it zeroed.
	ws := e.workerList()
	var pending atomic.Int32
	pending.Store(int32(len(ws)) + 1)
	release := func() {
		if pending.Add(-1) == 0 && d.ownsPDF {
			clear(d.pdf)
		}
	}
	for _, w := range ws {
		if !w.control(func() { w.forget(d); release() }) {
			release()
		}
	}
	release()
	return true
}

// Close closes the document: its cached pages are zeroed and dropped and
// PDFium releases it. Later calls return ErrClosed.
func (d *Document) Close() error {
	if !d.markClosed() {
		return ErrClosed
	}
	return nil
}

// flattenOnWhite composites straight-alpha RGBA pixels onto white and
// makes them opaque.
func flattenOnWhite(pix []uint8) {
	for i := 0; i+3 < len(pix); i += 4 {
		a := uint32(pix[i+3])
		if a == 255 {
			continue
		}
		na := 255 - a
		for k := i; k < i+3; k++ {
			pix[k] = uint8(div255(uint32(pix[k])*a + 255*na))
		}
		pix[i+3] = 255
	}
}
