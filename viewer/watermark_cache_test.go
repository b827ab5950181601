package viewer

import "testing"

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
