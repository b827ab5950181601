package viewer

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func solid(v uint8, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

func TestPageCacheLRUAndZeroing(t *testing.T) {
	const pageBytes = 4 * 10 * 10
	c := newPageCache(3 * pageBytes)
	ctx := context.Background()
	held := map[int]*image.RGBA{}
	get := func(page int) *image.RGBA {
		img, err := c.get(ctx, pageKey{doc: 1, page: page, zoom: 1000}, func() (*image.RGBA, error) {
			held[page] = solid(uint8(page+1), 10, 10)
			return held[page], nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if img == held[page] {
			t.Fatal("cache handed out its own buffer, not a copy")
		}
		if img.Pix[0] != uint8(page+1) {
			t.Fatalf("page %d: got pixel %d", page, img.Pix[0])
		}
		return img
	}
	get(0)
	get(1)
	get(2)
	get(0) // 0 is now the most recent; 1 the least
	get(3) // evicts 1
	if used, n := c.usage(); used != 3*pageBytes || n != 3 {
		t.Fatalf("usage = %d bytes in %d pages, want %d in 3", used, n, 3*pageBytes)
	}
	if !allZero(held[1].Pix) {
		t.Error("the evicted page was not zeroed")
	}
	for _, p := range []int{0, 2, 3} {
		if allZero(held[p].Pix) || !c.has(pageKey{doc: 1, page: p, zoom: 1000}) {
			t.Errorf("page %d should still be cached", p)
		}
	}
	c.dropDoc(1)
	for _, p := range []int{0, 2, 3} {
		if !allZero(held[p].Pix) {
			t.Errorf("page %d not zeroed by dropDoc", p)
		}
	}
	if used, n := c.usage(); used != 0 || n != 0 {
		t.Errorf("usage after dropDoc = %d, %d", used, n)
	}
}

func TestPageCacheRendersOnceForConcurrentCallers(t *testing.T) {
	for _, budget := range []int64{1 << 20, -1} { // cached, and cache disabled
		c := newPageCache(budget)
		var calls atomic.Int32
		release := make(chan struct{})
		render := func() (*image.RGBA, error) {
			calls.Add(1)
			<-release
			return solid(7, 4, 4), nil
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				img, err := c.get(context.Background(), pageKey{page: 1}, render)
				if err == nil && img.Pix[0] != 7 {
					err = errors.New("wrong pixels")
				}
				errs <- err
			}()
		}
		time.Sleep(50 * time.Millisecond) // let the callers queue up on the flight
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("budget %d: %v", budget, err)
			}
		}
		if n := calls.Load(); n < 1 || (budget > 0 && n != 1) {
			t.Errorf("budget %d: render called %d times", budget, n)
		}
	}
}

func TestPageCacheWipeDropsRendersInFlight(t *testing.T) {
	c := newPageCache(1 << 20)
	var rendered *image.RGBA
	_, err := c.get(context.Background(), pageKey{page: 1}, func() (*image.RGBA, error) {
		c.wipe() // a wipe while this page renders
		rendered = solid(9, 4, 4)
		return rendered, nil
	})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("render finishing after a wipe: err = %v, want ErrClosed", err)
	}
	if !allZero(rendered.Pix) || c.has(pageKey{page: 1}) {
		t.Error("a page rendered across a wipe was kept or not zeroed")
	}
	boom := errors.New("boom")
	if _, err := c.get(context.Background(), pageKey{page: 2}, func() (*image.RGBA, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("render error not passed on: %v", err)
	}
}
