package viewer

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// TestMaskCacheBudget checks that the mask cache keeps to its count and
// byte limits, least recently used out first, and always keeps the mask it
// has just handed out.
func TestMaskCacheBudget(t *testing.T) {
	mask := func(px int) *wmMask {
		return &wmMask{w: px, h: 1, text: make([]uint8, px), halo: make([]uint8, px), haloA: make([]uint8, px)}
	}
	key := func(w int) maskKey { return maskKey{w: w, h: 1} }
	c := newMaskCache(3, 3000) // three masks, or 3,000 bytes (1,000 pixels)
	built := 0
	get := func(w, px int) *wmMask {
		return c.get(key(w), func() *wmMask { built++; return mask(px) })
	}
	get(1, 100)
	get(2, 100)
	get(3, 100)
	get(1, 100) // 1 is now the most recent
	get(4, 100) // over the count: 2 goes
	if _, ok := c.entries[key(2)]; ok || len(c.entries) != 3 {
		t.Fatalf("count limit: entries %v", c.entries)
	}
	if c.bytes != 3*300 {
		t.Errorf("bytes %d, want %d", c.bytes, 3*300)
	}
	get(5, 900) // 2,700 bytes: over the byte limit, the oldest go until it fits
	if len(c.entries) != 2 || c.bytes != 2700+300 {
		t.Fatalf("byte limit: %d entries, %d bytes", len(c.entries), c.bytes)
	}
	if _, ok := c.entries[key(4)]; !ok {
		t.Error("the most recent older mask was dropped before the oldest")
	}
	big := get(6, 5000) // alone larger than the budget: kept, all else goes
	if len(c.entries) != 1 || c.entries[key(6)].Value.(*maskEntry).mask != big {
		t.Fatalf("oversized mask: entries %v", c.entries)
	}
	n := built
	if get(6, 5000) != big || built != n {
		t.Error("the kept mask was built again")
	}
	c.wipe()
	if len(c.entries) != 0 || c.bytes != 0 || c.lru.Len() != 0 {
		t.Errorf("after wipe: %d entries, %d bytes", len(c.entries), c.bytes)
	}
	for _, b := range big.text {
		if b != 0 {
			t.Fatal("wipe left a mask unzeroed")
		}
	}
}

// compositeArithmetic is the blend compositeSpans makes, computed per
// pixel: the reference its lookup tables must match exactly.
func compositeArithmetic(img *image.RGBA, m *wmMask) {
	for _, sp := range m.spans {
		for off := int(sp.start); off < int(sp.end); off++ {
			y, x := off/m.w, off%m.w
			px := img.Pix[y*img.Stride+4*x : y*img.Stride+4*x+4]
			r, g, b := uint32(px[0]), uint32(px[1]), uint32(px[2])
			a, t := uint32(m.haloA[off]), uint32(m.text[off])
			na := 255 - a
			if r*77+g*150+b*29 >= wmDarkBelow<<8 {
				r, g, b = div255(r*na+255*a), div255(g*na+255*a), div255(b*na+255*a)
				if t != 0 {
					ta := t * wmTextAlpha >> 8
					nt := 255 - ta
					r, g, b = div255(r*nt+wmInkR*ta), div255(g*nt+wmInkG*ta), div255(b*nt+wmInkB*ta)
				}
			} else {
				r, g, b = div255(r*na), div255(g*na), div255(b*na)
				if t != 0 {
					ta := t * wmLightTextAlpha >> 8
					nt := 255 - ta
					r, g, b = div255(r*nt+wmLightInkR*ta), div255(g*nt+wmLightInkG*ta), div255(b*nt+wmLightInkB*ta)
				}
			}
			px[0], px[1], px[2], px[3] = uint8(r), uint8(g), uint8(b), 255
		}
	}
}

// TestCompositeMatchesArithmetic: the table-driven blend gives the very
// pixels of the arithmetic one, on a page of random colours (light and
// dark) under a real mask, whose halo and text take every alpha they have.
func TestCompositeMatchesArithmetic(t *testing.T) {
	const w, h = 620, 877
	m := buildMask(w, h, 75.0/72, testWatermark().Lines(fixedTime))
	// Also every (alpha, text) pair, written over the first spans' pixels.
	n := 0
	for _, sp := range m.spans {
		for off := sp.start; off < sp.end && n < 256*256; off++ {
			m.haloA[off], m.text[off] = uint8(n>>8), uint8(n)
			n++
		}
	}
	if n < 256*256 {
		t.Fatalf("mask spans cover only %d pixels", n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	page := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range page.Pix {
		page.Pix[i] = uint8(rng.IntN(256))
	}
	want := image.NewRGBA(page.Rect)
	copy(want.Pix, page.Pix)
	compositeArithmetic(want, m)
	composite(page, m)
	if !bytes.Equal(page.Pix, want.Pix) {
		for i := range page.Pix {
			if page.Pix[i] != want.Pix[i] {
				t.Fatalf("byte %d: table blend %d, arithmetic %d", i, page.Pix[i], want.Pix[i])
			}
		}
	}
}
