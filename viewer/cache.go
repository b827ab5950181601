package viewer

import (
	"container/list"
	"context"
	"image"
	"math"
	"sync"
)

// pageKey names one clean rendering of a page.
type pageKey struct {
	doc  uint64
	page int
	zoom uint32 // zoom in thousandths
}

func zoomKey(zoom float64) uint32 { return uint32(math.Round(zoom * 1000)) }

// pageCache keeps clean (unwatermarked) page renderings within a byte
// budget, least recently used out first, and renders each missing page once
// however many callers ask for it at the same time. Every buffer it drops
// is zeroed first.
type pageCache struct {
	budget int64 // < 0: keep nothing

	mu       sync.Mutex
	used     int64
	lru      *list.List // of *cacheEntry, front = most recent
	entries  map[pageKey]*list.Element
	inflight map[pageKey]*flight
	gen      uint64 // bumped by wipe, so renders started before it are not kept
}

type cacheEntry struct {
	key pageKey
	img *image.RGBA
}

type flight struct {
	done chan struct{}
	err  error
	// img is set when the page was not kept in the cache (over budget):
	// waiters copy it, the last one zeroes it. Guarded by pageCache.mu.
	img     *image.RGBA
	waiters int
}

func newPageCache(budget int64) *pageCache {
	return &pageCache{budget: budget, lru: list.New(), entries: map[pageKey]*list.Element{}, inflight: map[pageKey]*flight{}}
}

func copyRGBA(src *image.RGBA) *image.RGBA {
	dst := &image.RGBA{Pix: make([]byte, len(src.Pix)), Stride: src.Stride, Rect: src.Rect}
	copy(dst.Pix, src.Pix)
	return dst
}

func (c *pageCache) has(k pageKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[k]
	if !ok {
		_, ok = c.inflight[k]
	}
	return ok
}

// get returns a private copy of the page under k, rendering it with render
// when it is neither cached nor being rendered.
func (c *pageCache) get(ctx context.Context, k pageKey, render func() (*image.RGBA, error)) (*image.RGBA, error) {
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		out := copyRGBA(el.Value.(*cacheEntry).img)
		c.mu.Unlock()
		return out, nil
	}
	if f, ok := c.inflight[k]; ok {
		f.waiters++
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			c.mu.Lock()
			c.leave(f)
			c.mu.Unlock()
			return nil, ctx.Err()
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		defer c.leave(f)
		if f.err != nil {
			return nil, f.err
		}
		if f.img != nil {
			return copyRGBA(f.img), nil
		}
		if el, ok := c.entries[k]; ok {
			return copyRGBA(el.Value.(*cacheEntry).img), nil
		}
		return nil, ErrClosed // wiped meanwhile
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[k] = f
	gen := c.gen
	c.mu.Unlock()

	img, err := render()

	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(f.done)
	delete(c.inflight, k)
	if err == nil && c.gen != gen {
		clear(img.Pix)
		img, err = nil, ErrClosed
	}
	if err != nil {
		f.err = err
		return nil, err
	}
	if c.insert(k, img) {
		return copyRGBA(img), nil
	}
	if f.waiters > 0 {
		f.img = img // the last waiter zeroes it
		return copyRGBA(img), nil
	}
	return img, nil // kept nowhere else: the caller may have it
}

// leave records that a waiter is done with f; the last one zeroes the image
// that was kept for the waiters only.
func (c *pageCache) leave(f *flight) {
	f.waiters--
	if f.waiters == 0 && f.img != nil {
		select {
		case <-f.done:
			clear(f.img.Pix)
			f.img = nil
		default:
		}
	}
}

// insert keeps img under k, evicting older pages to stay in the budget. It
// reports false, keeping nothing, when the budget cannot hold img.
func (c *pageCache) insert(k pageKey, img *image.RGBA) bool {
	size := int64(len(img.Pix))
	if c.budget < 0 || size > c.budget {
		return false
	}
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
	for c.used+size > c.budget && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	c.entries[k] = c.lru.PushFront(&cacheEntry{key: k, img: img})
	c.used += size
	return true
}

func (c *pageCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.used -= int64(len(e.img.Pix))
	clear(e.img.Pix)
}

// dropDoc zeroes and drops every page of one document.
func (c *pageCache) dropDoc(doc uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.entries {
		if k.doc == doc {
			c.remove(el)
		}
	}
}

// wipe zeroes and drops every page, and makes renders now in flight drop
// their result.
func (c *pageCache) wipe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.remove(c.lru.Back())
	}
	c.gen++
}

// usage returns the bytes held and the number of pages.
func (c *pageCache) usage() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, c.lru.Len()
}
