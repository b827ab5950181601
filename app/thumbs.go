package app

import (
	"context"
	"image"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// The page strip shows a thumbnail of each page above its number. A
// thumbnail is a render like any other, so it carries the watermark; it is
// made when its row first comes into view, made again when the
// watermark's minute changes, and zeroed with the other pages.

// thumbWidth is the width of a thumbnail, in Fyne units.
const thumbWidth = 72

// thumb is a page's thumbnail and the minute its watermark shows.
type thumb struct {
	img    *image.RGBA
	minute time.Time
}

// thumbItem is one row of the page strip.
type thumbItem struct {
	widget.BaseWidget
	img   *canvas.Image
	label *widget.Label
}

func newThumbItem() *thumbItem {
	it := &thumbItem{img: canvas.NewImageFromImage(nil), label: widget.NewLabelWithStyle("000", fyne.TextAlignCenter, fyne.TextStyle{})}
	it.img.FillMode = canvas.ImageFillContain
	it.img.ScaleMode = canvas.ImageScaleSmooth
	it.img.SetMinSize(fyne.NewSize(thumbWidth, thumbWidth*1.3))
	it.ExtendBaseWidget(it)
	return it
}

func (it *thumbItem) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, it.label, nil, nil, it.img))
}

// newPageStrip builds the strip: a list of thumbnails with page numbers.
func (s *DocumentScreen) newPageStrip() *widget.List {
	return widget.NewList(
		func() int { return s.count },
		func() fyne.CanvasObject { return newThumbItem() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			it := o.(*thumbItem)
			it.label.SetText(strconv.Itoa(id + 1))
			s.mu.Lock()
			t, ok := s.thumbs[id]
			s.mu.Unlock()
			it.img.Image = nil
			if ok {
				it.img.Image = t.img
			}
			it.img.Refresh()
			if !ok || !t.minute.Equal(s.minute) {
				s.wantThumb(id)
			}
		},
	)
}

// wantThumb renders page p's thumbnail in the background, unless that is
// under way or failed before (the page's own render reports errors).
func (s *DocumentScreen) wantThumb(p int) {
	if s.doc == nil || s.closed || s.thumbBusy[p] {
		return
	}
	if s.thumbBusy == nil {
		s.thumbBusy = map[int]bool{}
	}
	s.thumbBusy[p] = true
	doc, minute, scale := s.doc, s.minute, s.scale()
	s.u.run(func(ctx context.Context) func() {
		w, _, err := doc.PageSize(p)
		var img *image.RGBA
		if err == nil && w > 0 {
			img, err = doc.Render(ctx, p, thumbWidth*scale/w)
		}
		return func() {
			if err != nil || s.closed || s.doc != doc {
				zero(img)
				return // stays busy: not tried again
			}
			delete(s.thumbBusy, p)
			s.mu.Lock()
			if s.thumbs == nil {
				s.thumbs = map[int]thumb{}
			}
			old := s.thumbs[p]
			s.thumbs[p] = thumb{img: img, minute: minute}
			s.mu.Unlock()
			if old.img != img {
				zero(old.img)
			}
			s.Strip.RefreshItem(p)
		}
	})
}

// Thumbnail returns page p's thumbnail, nil until it is rendered.
func (s *DocumentScreen) Thumbnail(p int) *image.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.thumbs[p].img
}
