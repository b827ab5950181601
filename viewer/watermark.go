package viewer

import (
	"container/list"
	"fmt"
	"image"
	"image/draw"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Watermark is what every rendered page of a document carries. OfficerID,
// CaseNumber, Document and SessionCode are required (Open fails closed with
// ErrWatermark without them); OfficerName is shown when given. Now is the
// clock (time.Now when nil).
type Watermark struct {
	OfficerID, OfficerName, CaseNumber, Document, SessionCode string
	Now                                                       func() time.Time
}

// maxFieldRunes caps each watermark field so that a long value cannot push
// the rest out of the tile.
const maxFieldRunes = 64

func (wm Watermark) now() time.Time {
	if wm.Now != nil {
		return wm.Now()
	}
	return time.Now()
}

// normalized returns wm with fields cleaned (control characters dropped,
// spaces collapsed, length capped), or ErrWatermark if a required one is
// empty.
func (wm Watermark) normalized() (Watermark, error) {
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == unicode.ReplacementChar {
				return ' '
			}
			return r
		}, s)
		s = strings.Join(strings.Fields(s), " ")
		if r := []rune(s); len(r) > maxFieldRunes {
			s = string(r[:maxFieldRunes-1]) + "…"
		}
		return s
	}
	wm.OfficerID, wm.OfficerName = clean(wm.OfficerID), clean(wm.OfficerName)
	wm.CaseNumber, wm.Document, wm.SessionCode = clean(wm.CaseNumber), clean(wm.Document), clean(wm.SessionCode)
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"officer ID", wm.OfficerID}, {"case number", wm.CaseNumber},
		{"document", wm.Document}, {"session code", wm.SessionCode},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return wm, fmt.Errorf("%w: missing %s", ErrWatermark, strings.Join(missing, ", "))
	}
	return wm, nil
}

// Lines returns the watermark's text for time t, as it is drawn: officer,
// case and document, time to the minute and session code.
func (wm Watermark) Lines(t time.Time) []string {
	officer := wm.OfficerID
	if wm.OfficerName != "" {
		officer += " · " + wm.OfficerName
	}
	return []string{
		"CONFIDENTIAL · " + officer,
		"Case " + wm.CaseNumber + " · " + wm.Document,
		t.Format("2006-01-02 15:04 MST") + " · Session " + wm.SessionCode,
	}
}

// Watermark appearance. Alphas are out of 256.
const (
	wmAngle          = -30.0 // degrees, text rising to the right
	wmFontPt         = 9.0   // font size in points at zoom 1
	wmMinFontPx      = 10.0
	wmMaxFontPx      = 72.0
	wmGapFactor      = 2.8 // empty space around a tile, in line heights
	wmHaloRadiusK    = 0.1 // halo radius as a fraction of the font size
	wmDarkBelow      = 100 // page luminance under which the light scheme is used
	wmTextAlpha      = 120 // dark ink on light pages
	wmHaloAlpha      = 150 // the halo, light on light pages, dark on dark ones
	wmLightTextAlpha = 140 // light ink on dark pages
	wmInkR           = 20  // dark navy ink
	wmInkG           = 24
	wmInkB           = 80
	wmLightInkR      = 235 // near-white ink
	wmLightInkG      = 238
	wmLightInkB      = 255
)

var (
	wmFontOnce sync.Once
	wmFont     *opentype.Font
	wmFontErr  error
)

func watermarkFont() (*opentype.Font, error) {
	wmFontOnce.Do(func() { wmFont, wmFontErr = opentype.Parse(gobold.TTF) })
	return wmFont, wmFontErr
}

// wmMask is the watermark of one page size: per pixel, the coverage of the
// dark text and of its light halo.
type wmMask struct {
	w, h       int
	text, halo []uint8
	haloA      []uint8 // halo times its opacity: the blend weight
	// spans lists, row by row, the runs of pixels the halo covers, as
	// [start, end) offsets into text and halo, so compositing skips the
	// empty part of the page without looking at it.
	spans []span
}

type span struct{ start, end int32 }

type maskKey struct {
	w, h  int
	zoom  uint32
	lines string
}

// maskCache keeps the few masks in use (one per page size and zoom; they
// change once a minute), least recently used out first, at most max of
// them and maxBytes in all (the newest is kept even when it alone is
// larger: the page being stamped needs it).
// maskBudget is the memory the mask cache may hold: about nine A4 pages at
// 150 DPI, or one page at a very high zoom.
const maskBudget = 64 << 20

type maskCache struct {
	max      int
	maxBytes int
	bytes    int // held now

	mu      sync.Mutex
	lru     *list.List
	entries map[maskKey]*list.Element
}

type maskEntry struct {
	key  maskKey
	mask *wmMask
}

func newMaskCache(max, maxBytes int) *maskCache {
	return &maskCache{max: max, maxBytes: maxBytes, lru: list.New(), entries: map[maskKey]*list.Element{}}
}

// size is the memory a mask holds.
func (m *wmMask) size() int { return len(m.text) + len(m.halo) + len(m.haloA) + 8*len(m.spans) }

func (c *maskCache) get(k maskKey, build func() *wmMask) *wmMask {
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		m := el.Value.(*maskEntry).mask
		c.mu.Unlock()
		return m
	}
	c.mu.Unlock()
	m := build() // outside the lock: two builders of one key both succeed
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		return el.Value.(*maskEntry).mask
	}
	c.entries[k] = c.lru.PushFront(&maskEntry{key: k, mask: m})
	c.bytes += m.size()
	for c.lru.Len() > 1 && (c.lru.Len() > c.max || c.bytes > c.maxBytes) {
		c.drop(c.lru.Back())
	}
	return m
}

// drop removes an entry. It does not zero the mask: a page of another
// size may be being stamped with it right now, and a zeroed mask would
// leave that page without its watermark. Wipe zeroes them all, after it
// has stopped every render.
func (c *maskCache) drop(el *list.Element) {
	e := c.lru.Remove(el).(*maskEntry)
	delete(c.entries, e.key)
	c.bytes -= e.mask.size()
}

func (c *maskCache) wipe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		e := c.lru.Back().Value.(*maskEntry)
		c.drop(c.lru.Back())
		clear(e.mask.text)
		clear(e.mask.halo)
		clear(e.mask.haloA)
	}
}

// stamp composites the watermark for the current minute onto img, a page
// rendered at zoom.
func (e *Engine) stamp(img *image.RGBA, wm Watermark, zoom float64) {
	lines := wm.Lines(wm.now())
	b := img.Bounds()
	k := maskKey{w: b.Dx(), h: b.Dy(), zoom: zoomKey(zoom), lines: strings.Join(lines, "\n")}
	m := e.masks.get(k, func() *wmMask { return buildMask(b.Dx(), b.Dy(), zoom, lines) })
	composite(img, m)
}

// composite blends the mask into img with adaptive contrast: where the
// page under a pixel is light, a light halo then dark ink; where it is dark,
// a dark halo then light ink. The text thus reads on white, on black and on
// a photograph, whose light and dark parts each get their own contrast.
// Large pages are split across the available cores.
func composite(img *image.RGBA, m *wmMask) {
	b := img.Bounds()
	if b.Dx() != m.w || b.Dy() != m.h {
		panic("viewer: watermark mask does not match the page") // an internal invariant
	}
	parts := min(runtime.GOMAXPROCS(0), 4, len(m.spans)/2048+1)
	if parts <= 1 {
		compositeSpans(img, m, m.spans)
		return
	}
	var wg sync.WaitGroup
	per := (len(m.spans) + parts - 1) / parts
	for i := 0; i < len(m.spans); i += per {
		wg.Add(1)
		go func(sp []span) {
			defer wg.Done()
			compositeSpans(img, m, sp)
		}(m.spans[i:min(i+per, len(m.spans))])
	}
	wg.Wait()
}

// blendTables hold every blend compositeSpans makes, precomputed with the
// same arithmetic (so the pixels are identical to computing them), indexed
// by alpha<<8 | channel value: a load in place of two multiplications and
// a division per channel. 512 KiB, built on the first composite.
type blendTables struct {
	lighten, darken [256 * 256]uint8    // the halo: towards white, towards black
	darkInk         [3][256 * 256]uint8 // indexed by the mask's text value, not the ink's alpha
	lightInk        [3][256 * 256]uint8
}

var blendTablesOnce = sync.OnceValue(buildBlendTables)

func buildBlendTables() *blendTables {
	t := new(blendTables)
	dark := [3]uint32{wmInkR, wmInkG, wmInkB}
	light := [3]uint32{wmLightInkR, wmLightInkG, wmLightInkB}
	for a := uint32(0); a < 256; a++ {
		na := 255 - a
		ta, la := a*wmTextAlpha>>8, a*wmLightTextAlpha>>8
		for v := uint32(0); v < 256; v++ {
			i := a<<8 | v
			t.lighten[i] = uint8(div255(v*na + 255*a))
			t.darken[i] = uint8(div255(v * na))
			for c := range 3 {
				t.darkInk[c][i] = uint8(div255(v*(255-ta) + dark[c]*ta))
				t.lightInk[c][i] = uint8(div255(v*(255-la) + light[c]*la))
			}
		}
	}
	return t
}

func compositeSpans(img *image.RGBA, m *wmMask, spans []span) {
	bt := blendTablesOnce()
	for _, sp := range spans {
		off, n := int(sp.start), int(sp.end-sp.start)
		y := off / m.w
		x0 := off - y*m.w
		pix := img.Pix[y*img.Stride+4*x0 : y*img.Stride+4*(x0+n)]
		halo := m.haloA[off : off+n]
		text := m.text[off : off+n]
		for x := range halo {
			i := 4 * x
			px := pix[i : i+4 : i+4]
			r, g, b := uint32(px[0]), uint32(px[1]), uint32(px[2])
			a := uint32(halo[x]) << 8
			t := uint32(text[x]) << 8
			if r*77+g*150+b*29 >= wmDarkBelow<<8 {
				// A light page: lighten, then dark ink.
				r, g, b = uint32(bt.lighten[a|r]), uint32(bt.lighten[a|g]), uint32(bt.lighten[a|b])
				if t != 0 {
					r, g, b = uint32(bt.darkInk[0][t|r]), uint32(bt.darkInk[1][t|g]), uint32(bt.darkInk[2][t|b])
				}
			} else {
				// A dark page: darken, then light ink.
				r, g, b = uint32(bt.darken[a|r]), uint32(bt.darken[a|g]), uint32(bt.darken[a|b])
				if t != 0 {
					r, g, b = uint32(bt.lightInk[0][t|r]), uint32(bt.lightInk[1][t|g]), uint32(bt.lightInk[2][t|b])
				}
			}
			px[0], px[1], px[2], px[3] = uint8(r), uint8(g), uint8(b), 255
		}
	}
}

// div255 is v/255, rounded, for v up to 255*255, without a division.
func div255(v uint32) uint32 {
	v += 128
	return (v + v>>8) >> 8
}

// buildMask draws the text block once into an upright tile, grows a halo
// around it, and covers a w by h page with the tile turned by wmAngle, in
// staggered rows, sampling bilinearly.
func buildMask(w, h int, zoom float64, lines []string) *wmMask {
	fontPx := math.Min(math.Max(wmFontPt*zoom, wmMinFontPx), wmMaxFontPx)
	text, halo := tile(fontPx, lines)
	tb := text.Bounds()
	tw, th := float64(tb.Dx()), float64(tb.Dy())
	m := &wmMask{w: w, h: h, text: make([]uint8, w*h), halo: make([]uint8, w*h)}
	sin, cos := math.Sincos(wmAngle * math.Pi / 180)
	// Pixel (x, y) of the page samples tile coordinates (u, v): the page
	// turned back by the angle around its centre, v cut into rows of tiles
	// with every other row shifted by half a tile. Along a page row u and v
	// change by constant steps, so they are kept in range by adding or
	// subtracting whole tiles rather than by division.
	cx, cy := float64(w)/2, float64(h)/2
	tiW, tiH, stride := text.Rect.Dx(), text.Rect.Dy(), text.Stride
	for y := 0; y < h; y++ {
		dx, dy := 0.5-cx, float64(y)+0.5-cy
		u := dx*cos + dy*sin
		v := -dx*sin + dy*cos
		row := math.Floor(v / th)
		odd := int64(row)&1 != 0
		if odd {
			u += tw / 2
		}
		u -= math.Floor(u/tw) * tw
		v -= row * th
		base := y * w
		for x := 0; x < w; x++ {
			// Bilinear sample of both tiles at (u, v), wrapping.
			fu, fv := u-0.5, v-0.5
			x0, y0 := int(math.Floor(fu)), int(math.Floor(fv))
			ax, ay := fu-float64(x0), fv-float64(y0)
			if x0 < 0 {
				x0 += tiW
			}
			if y0 < 0 {
				y0 += tiH
			}
			x1, y1 := x0+1, y0+1
			if x1 >= tiW {
				x1 -= tiW
			}
			if y1 >= tiH {
				y1 -= tiH
			}
			i00, i01, i10, i11 := y0*stride+x0, y0*stride+x1, y1*stride+x0, y1*stride+x1
			w00, w01, w10, w11 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
			m.text[base+x] = uint8(w00*float64(text.Pix[i00]) + w01*float64(text.Pix[i01]) + w10*float64(text.Pix[i10]) + w11*float64(text.Pix[i11]) + 0.5)
			m.halo[base+x] = uint8(w00*float64(halo.Pix[i00]) + w01*float64(halo.Pix[i01]) + w10*float64(halo.Pix[i10]) + w11*float64(halo.Pix[i11]) + 0.5)
			// One pixel right: crossing a row of tiles toggles the
			// half-tile shift.
			u += cos
			v -= sin
			if v >= th || v < 0 {
				if v >= th {
					v -= th
				} else {
					v += th
				}
				odd = !odd
				if odd {
					u += tw / 2
				} else {
					u -= tw / 2
				}
			}
			for u >= tw {
				u -= tw
			}
			for u < 0 {
				u += tw
			}
		}
	}
	m.spans = spans(m.halo, w, h)
	m.haloA = make([]uint8, len(m.halo))
	for i, v := range m.halo {
		m.haloA[i] = uint8(uint32(v) * wmHaloAlpha >> 8)
	}
	return m
}

// spans returns the runs of nonzero values of each row of a w by h mask.
func spans(mask []uint8, w, h int) []span {
	var out []span
	for y := 0; y < h; y++ {
		row := mask[y*w : (y+1)*w]
		for x := 0; x < w; {
			for x < w && row[x] == 0 {
				x++
			}
			start := x
			for x < w && row[x] != 0 {
				x++
			}
			if x > start {
				out = append(out, span{int32(y*w + start), int32(y*w + x)})
			}
		}
	}
	return out
}

// tile draws lines into an upright tile with room around them, and returns
// the text's coverage and the halo's (the text grown by a disc).
func tile(fontPx float64, lines []string) (text, halo *image.Alpha) {
	f, err := watermarkFont()
	if err != nil {
		panic("viewer: embedded watermark font: " + err.Error()) // compiled in: cannot fail
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: fontPx, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("viewer: watermark face: " + err.Error())
	}
	defer face.Close()
	met := face.Metrics()
	lineH := met.Height.Ceil()
	width := 0
	for _, l := range lines {
		width = max(width, font.MeasureString(face, l).Ceil())
	}
	gap := int(wmGapFactor * float64(lineH))
	tw, th := width+gap, len(lines)*lineH+gap
	text = image.NewAlpha(image.Rect(0, 0, tw, th))
	d := &font.Drawer{Dst: text, Src: image.Opaque, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(gap/2, gap/2+i*lineH+met.Ascent.Ceil())
		d.DrawString(l)
	}
	r := max(1, int(math.Round(fontPx*wmHaloRadiusK)))
	halo = dilate(text, r)
	return text, halo
}

// dilate returns a with every pixel replaced by the largest value within
// radius r (a disc), wrapping at the edges like the tiling does.
func dilate(a *image.Alpha, r int) *image.Alpha {
	b := a.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewAlpha(b)
	draw.Draw(out, b, a, b.Min, draw.Src)
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy > r*r || (dx == 0 && dy == 0) {
				continue
			}
			for y := 0; y < h; y++ {
				sy := ((y+dy)%h + h) % h
				src := a.Pix[sy*a.Stride : sy*a.Stride+w]
				dst := out.Pix[y*out.Stride : y*out.Stride+w]
				for x := 0; x < w; x++ {
					sx := x + dx
					if sx < 0 {
						sx += w
					} else if sx >= w {
						sx -= w
					}
					if v := src[sx]; v > dst[x] {
						dst[x] = v
					}
				}
			}
		}
	}
	return out
}
