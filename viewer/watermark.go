package viewer

import (
	"container/list"
	"fmt"
	"image"
	"image/draw"
	"math"
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
}

type maskKey struct {
	w, h  int
	zoom  uint32
	lines string
}

// maskCache keeps the few masks in use (one per page size and zoom; they
// change once a minute), least recently used out first.
type maskCache struct {
	max int

	mu      sync.Mutex
	lru     *list.List
	entries map[maskKey]*list.Element
}

type maskEntry struct {
	key  maskKey
	mask *wmMask
}

func newMaskCache(max int) *maskCache {
	return &maskCache{max: max, lru: list.New(), entries: map[maskKey]*list.Element{}}
}

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
	for c.lru.Len() > c.max {
		e := c.lru.Remove(c.lru.Back()).(*maskEntry)
		delete(c.entries, e.key)
	}
	return m
}

func (c *maskCache) wipe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		e := c.lru.Remove(c.lru.Back()).(*maskEntry)
		delete(c.entries, e.key)
		clear(e.mask.text)
		clear(e.mask.halo)
	}
}

// stamp composites the watermark for the current minute onto img, a page
// rendered at zoom.
func (e *Engine) stamp(img *image.RGBA, wm Watermark, pageHeightPt, zoom float64) {
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
func composite(img *image.RGBA, m *wmMask) {
	b := img.Bounds()
	if b.Dx() != m.w || b.Dy() != m.h {
		panic("viewer: watermark mask does not match the page") // an internal invariant
	}
	for y := 0; y < m.h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*m.w]
		text := m.text[y*m.w : (y+1)*m.w]
		halo := m.halo[y*m.w : (y+1)*m.w]
		for x, hv := range halo {
			if hv == 0 {
				continue // the halo covers the text: nothing here
			}
			p := row[4*x : 4*x+4 : 4*x+4]
			r, g, bl := uint32(p[0]), uint32(p[1]), uint32(p[2])
			lum := (r*77 + g*150 + bl*29) >> 8
			haloC, inkR, inkG, inkB, ta := uint32(255), uint32(wmInkR), uint32(wmInkG), uint32(wmInkB), uint32(wmTextAlpha)
			if lum < wmDarkBelow {
				haloC, inkR, inkG, inkB, ta = 0, wmLightInkR, wmLightInkG, wmLightInkB, wmLightTextAlpha
			}
			a := uint32(hv) * wmHaloAlpha >> 8 // 0..255
			r = (r*(255-a) + haloC*a) / 255
			g = (g*(255-a) + haloC*a) / 255
			bl = (bl*(255-a) + haloC*a) / 255
			if tv := text[x]; tv != 0 {
				a = uint32(tv) * ta >> 8
				r = (r*(255-a) + inkR*a) / 255
				g = (g*(255-a) + inkG*a) / 255
				bl = (bl*(255-a) + inkB*a) / 255
			}
			p[0], p[1], p[2], p[3] = uint8(r), uint8(g), uint8(bl), 255
		}
	}
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
	// Pixel (x, y) of the page samples tile coordinates (u, v), the page
	// turned back by the angle around its centre.
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		dy := float64(y) + 0.5 - cy
		for x := 0; x < w; x++ {
			dx := float64(x) + 0.5 - cx
			u := dx*cos + dy*sin
			v := -dx*sin + dy*cos
			row := math.Floor(v / th)
			if int64(row)&1 != 0 {
				u += tw / 2
			}
			u -= math.Floor(u/tw) * tw
			v -= row * th
			i := y*w + x
			m.text[i] = sampleWrap(text, u, v)
			m.halo[i] = sampleWrap(halo, u, v)
		}
	}
	return m
}

// sampleWrap samples a at (u, v) bilinearly, wrapping around its edges.
func sampleWrap(a *image.Alpha, u, v float64) uint8 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	u -= 0.5
	v -= 0.5
	x0, y0 := math.Floor(u), math.Floor(v)
	fx, fy := u-x0, v-y0
	xi, yi := int(x0), int(y0)
	at := func(x, y int) float64 {
		x = ((x % w) + w) % w
		y = ((y % h) + h) % h
		return float64(a.Pix[y*a.Stride+x])
	}
	top := at(xi, yi)*(1-fx) + at(xi+1, yi)*fx
	bot := at(xi, yi+1)*(1-fx) + at(xi+1, yi+1)*fx
	return uint8(top*(1-fy) + bot*fy + 0.5)
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
