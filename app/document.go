package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Zoom limits; zoom 1 is 72 dpi.
const (
	minZoom     = 0.5
	maxZoom     = 4
	zoomStep    = 1.25
	defaultZoom = 1.5
)

// DocumentScreen shows one document, page by page, always watermarked.
type DocumentScreen struct {
	Back      *widget.Button
	Prev      *widget.Button
	Next      *widget.Button
	PageLabel *widget.Label
	GoTo      *SafeEntry
	ZoomIn    *widget.Button
	ZoomOut   *widget.Button
	FitWidth  *widget.Button
	ZoomLabel *widget.Label
	Title     *widget.Label

	Progress      *widget.ProgressBarInfinite
	ProgressLabel *widget.Label
	Page          *canvas.Image
	View          *PageView
	Scroll        *container.Scroll
	Strip         *widget.List

	FindEntry  *SafeEntry
	FindButton *widget.Button
	FindStatus *widget.Label
	Hits       *widget.List

	ShowAnnotations *widget.Check
	AnnotateMode    *widget.Check
	Annotations     *widget.List
	EditNote        *widget.Button
	Delete          *widget.Button
	History         *widget.Button
	AnnotStatus     *widget.Label
	Side            *container.AppTabs

	// Dialog widgets, while shown.
	NoteEntry   *SafeEntry
	SaveNote    *widget.Button
	HistoryList *widget.Label

	u       *UI
	detail  CaseDetail
	info    DocumentInfo
	opened  *OpenedDocument
	doc     PageSource
	count   int
	page    int
	zoom    float64
	pageW   float64
	pageH   float64
	hits    []Hit
	annots  []Annotation
	sel     string // selected annotation ID
	minute  time.Time
	closed  bool
	stop    chan struct{}
	canNote bool
	opening time.Time

	renewing   bool      // a grant renewal is under way
	renewAfter time.Time // no renewal before this (after a failure)

	mu     sync.Mutex // guards clean, shown and thumbs against the wipe
	clean  *image.RGBA
	shown  *image.RGBA
	thumbs map[int]thumb // the page strip's, by page

	thumbBusy map[int]bool // thumbnails being rendered, or failed (UI thread)
}

// CurrentPage returns the page shown, 0-based.
func (s *DocumentScreen) CurrentPage() int { return s.page }

// PageCount returns the document's page count (0 until it is open).
func (s *DocumentScreen) PageCount() int { return s.count }

// ShownImage returns the image on screen (watermarked, with overlays).
func (s *DocumentScreen) ShownImage() *image.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shown
}

func (u *UI) openDocument(detail CaseDetail, info DocumentInfo) {
	if u.officer == nil {
		return
	}
	s := &DocumentScreen{u: u, detail: detail, info: info, zoom: defaultZoom, stop: make(chan struct{}), opening: time.Now()}
	s.canNote = u.officer.Annotator || detail.CanAnnotate || detail.Scope == ScopeAnnotate
	s.build()
	if old := u.Doc; old != nil {
		old.close()
	}
	u.Doc = s
	u.shownDoc.Store(s)
	u.setContent("document", "Document", u.withNav(s.content()))
	s.busy("Fetching and decrypting the document…")
	officer := *u.officer
	gen := u.gen
	// Open at fit-width when the view has been laid out.
	viewW := float64(s.Scroll.Size().Width) - 2*float64(theme.Padding()) - 16
	scale, zoom := s.scale(), s.zoom
	u.logf("document open requested")
	u.run(func(ctx context.Context) func() {
		opened, err := u.backend.OpenDocument(ctx, detail.ID, info.ID)
		if err != nil {
			return func() { s.fail("Open document", err) }
		}
		release := func() { u.backend.CloseDocument(opened) }
		// The renderer may still be starting (seconds, at launch): say so.
		quick, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		err = u.renderer.Ready(quick)
		cancel()
		if err != nil {
			u.ui(func() { s.busy("Starting the document renderer…") })
			if err = u.renderer.Ready(ctx); err != nil {
				release()
				return func() { s.fail("Document renderer", err) }
			}
		}
		u.ui(func() { s.busy("Rendering the first page…") })
		now := u.opts.Now
		title := opened.Title
		if title == "" {
			title = info.Title
		}
		caseNum := opened.CaseNumber
		if caseNum == "" {
			caseNum = detail.Number
		}
		doc, err := u.renderer.Open(ctx, opened.PDF, Watermark{
			OfficerID: officer.ID, OfficerName: officer.Name, CaseNumber: caseNum,
			Document: title, SessionCode: opened.SessionCode, Now: now,
		})
		if err != nil {
			release()
			return func() { s.fail("Open document", err) }
		}
		count := doc.PageCount()
		w, h, err := doc.PageSize(0)
		if err == nil && w > 0 && viewW > 200 {
			zoom = math.Max(minZoom, math.Min(maxZoom, viewW/w))
		}
		var img *image.RGBA
		if err == nil {
			img, err = doc.Render(ctx, 0, zoom*scale)
		}
		annots, aerr := u.backend.Annotations(ctx, detail.ID, info.ID)
		return func() {
			if u.gen != gen || s.closed {
				doc.Close()
				u.backend.CloseDocument(opened)
				return
			}
			s.opened, s.doc, s.count, s.pageW, s.pageH, s.zoom = opened, doc, count, w, h, zoom
			if err != nil {
				s.fail("Render page", err)
				return
			}
			if aerr == nil {
				s.annots = annots
			}
			s.setTitle()
			s.Annotations.Refresh()
			s.annotHint()
			s.setPage(0, img)
			s.Strip.Refresh()
			u.logf("first page shown %d ms after opening", time.Since(s.opening).Milliseconds())
			if u.opts.Synchronous {
				return
			}
			go s.ticker()
			doc.Prefetch(1, zoom*scale)
		}
	})
}

// caseNumber is the case of the document on screen.
func (s *DocumentScreen) caseNumber() string {
	if s.opened != nil && s.opened.CaseNumber != "" {
		return s.opened.CaseNumber
	}
	return s.detail.Number
}

// setTitle shows the document, its case and, for access through an approved
// request, when that access ends.
func (s *DocumentScreen) setTitle() {
	title := s.info.Title
	if s.opened != nil && s.opened.Title != "" {
		title = s.opened.Title
	}
	head := fmt.Sprintf("%s · case %s", title, s.caseNumber())
	if s.detail.Access == AccessGranted && !s.detail.GrantExpires.IsZero() {
		head += " · your access to the case ends " + when(s.detail.GrantExpires)
	}
	s.Title.SetText(head)
}

func (s *DocumentScreen) scale() float64 {
	if c := s.u.Window.Canvas(); c != nil && c.Scale() > 0 {
		return float64(c.Scale())
	}
	return 1
}

func (s *DocumentScreen) build() {
	u := s.u
	s.Title = widget.NewLabel(s.info.Title)
	s.Title.TextStyle.Bold = true
	s.Title.Truncation = fyne.TextTruncateEllipsis
	s.Back = widget.NewButtonWithIcon("Case", theme.NavigateBackIcon(), func() {
		u.touch()
		s.close()
		u.Doc = nil
		u.showCase(s.detail.ID)
	})
	s.Prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { u.touch(); s.goTo(s.page - 1) })
	s.Next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { u.touch(); s.goTo(s.page + 1) })
	s.PageLabel = widget.NewLabel("Page – of –")
	s.GoTo = NewSafeEntry()
	s.GoTo.OnShortcut = u.typedShortcut
	s.GoTo.SetPlaceHolder("Go to")
	s.GoTo.OnSubmitted = func(t string) {
		u.touch()
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 || n > s.count {
			u.showMessage("Go to page", fmt.Sprintf("Enter a page number from 1 to %d.", s.count))
			return
		}
		s.GoTo.SetText("")
		// The arrows and Page Up/Down page again, rather than move the
		// entry's cursor.
		u.Window.Canvas().Unfocus()
		s.goTo(n - 1)
	}
	s.ZoomOut = widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { u.touch(); s.setZoom(s.zoom / zoomStep) })
	s.ZoomIn = widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { u.touch(); s.setZoom(s.zoom * zoomStep) })
	s.FitWidth = widget.NewButtonWithIcon("Fit width", theme.ViewFullScreenIcon(), func() { u.touch(); s.fitWidth() })
	s.ZoomLabel = widget.NewLabel("")
	s.Progress = widget.NewProgressBarInfinite()
	s.ProgressLabel = widget.NewLabel("")
	s.Page = canvas.NewImageFromImage(nil)
	s.Page.FillMode = canvas.ImageFillStretch
	s.Page.ScaleMode = canvas.ImageScaleSmooth
	s.View = newPageView(s.Page, s.annotateDrawn)
	s.View.onActive = u.touch
	s.Scroll = container.NewScroll(container.NewCenter(s.View))
	s.Strip = s.newPageStrip()
	s.Strip.OnSelected = func(id widget.ListItemID) {
		if id != s.page {
			u.touch()
			s.goTo(id)
		}
	}

	s.FindEntry = NewSafeEntry()
	s.FindEntry.OnShortcut = u.typedShortcut
	s.FindEntry.SetPlaceHolder("Find in document (Ctrl+F)")
	s.FindButton = widget.NewButtonWithIcon("", theme.SearchIcon(), func() { u.touch(); s.find() })
	s.FindEntry.OnSubmitted = func(string) { s.FindButton.OnTapped() }
	s.FindStatus = widget.NewLabel("")
	s.FindStatus.Wrapping = fyne.TextWrapWord
	s.Hits = widget.NewList(
		func() int { return len(s.hits) },
		func() fyne.CanvasObject { return widget.NewLabel("Page 000: 00 matches") },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(s.hits) {
				h := s.hits[id]
				o.(*widget.Label).SetText(fmt.Sprintf("Page %d: %s", h.Page+1, plural(len(h.Rects), "match", "matches")))
			}
		},
	)
	s.Hits.OnSelected = func(id widget.ListItemID) {
		if id < len(s.hits) {
			u.touch()
			s.goTo(s.hits[id].Page)
		}
	}

	s.ShowAnnotations = widget.NewCheck("Show annotations", func(bool) { u.touch(); s.recompose() })
	s.ShowAnnotations.Checked = true
	s.AnnotateMode = widget.NewCheck("Draw highlight", func(on bool) {
		u.touch()
		s.View.annotate = on
		if on {
			s.AnnotStatus.SetText("Drag on the page to mark a region, then add a note.")
		} else {
			s.AnnotStatus.SetText("")
		}
	})
	s.AnnotStatus = widget.NewLabel("")
	s.AnnotStatus.Wrapping = fyne.TextWrapWord
	s.Annotations = widget.NewList(
		func() int { return len(s.annots) },
		func() fyne.CanvasObject {
			top := widget.NewLabel("p.0")
			top.TextStyle.Bold = true
			note := widget.NewLabel("note")
			note.Wrapping = fyne.TextWrapWord
			who := widget.NewLabel("who")
			who.Importance = widget.LowImportance
			who.Wrapping = fyne.TextWrapWord
			return container.NewVBox(top, note, who)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(s.annots) {
				return
			}
			a := s.annots[id]
			v := o.(*fyne.Container)
			v.Objects[0].(*widget.Label).SetText(fmt.Sprintf("Page %d", a.Page+1))
			v.Objects[1].(*widget.Label).SetText(a.Note)
			v.Objects[2].(*widget.Label).SetText(fmt.Sprintf("%s, %s (revision %d)", a.Author, when(a.Time), a.Revision))
			s.Annotations.SetItemHeight(id, v.MinSize().Height)
		},
	)
	s.Annotations.OnSelected = func(id widget.ListItemID) {
		if id < len(s.annots) {
			u.touch()
			a := s.annots[id]
			s.sel = a.ID
			s.ShowAnnotations.SetChecked(true)
			if a.Page != s.page {
				s.goTo(a.Page)
			} else {
				s.recompose()
			}
			s.EditNote.Enable()
			s.Delete.Enable()
			s.History.Enable()
		}
	}
	s.EditNote = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() { u.touch(); s.editSelected() })
	s.Delete = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { u.touch(); s.deleteSelected() })
	s.History = widget.NewButtonWithIcon("History", theme.HistoryIcon(), func() { u.touch(); s.historySelected() })
	s.EditNote.Disable()
	s.Delete.Disable()
	s.History.Disable()
	if !s.canNote {
		s.AnnotateMode.Hide()
		s.EditNote.Hide()
		s.Delete.Hide()
	}
}

func (s *DocumentScreen) content() fyne.CanvasObject {
	toolbar := container.NewHBox(s.Back, s.Prev, s.PageLabel, s.Next,
		container.NewGridWrap(fyne.NewSize(90, s.GoTo.MinSize().Height), s.GoTo),
		widget.NewSeparator(), s.ZoomOut, s.ZoomLabel, s.ZoomIn, s.FitWidth,
		widget.NewSeparator(), s.ShowAnnotations, s.AnnotateMode)
	findTab := container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, nil, s.FindButton, s.FindEntry), s.FindStatus), nil, nil, nil, s.Hits)
	annotTab := container.NewBorder(nil, container.NewVBox(s.AnnotStatus, container.NewHBox(s.EditNote, s.Delete, s.History)), nil, nil, s.Annotations)
	s.Side = container.NewAppTabs(
		container.NewTabItemWithIcon("Annotations", theme.DocumentCreateIcon(), annotTab),
		container.NewTabItemWithIcon("Find", theme.SearchIcon(), findTab),
	)
	strip := container.NewBorder(widget.NewLabelWithStyle("Pages", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), nil, nil, nil, s.Strip)
	center := container.NewBorder(container.NewVBox(s.ProgressLabel, s.Progress), nil, nil, nil, s.Scroll)
	split := container.NewHSplit(center, s.Side)
	split.Offset = 0.74
	return container.NewBorder(container.NewVBox(s.Title, toolbar, widget.NewSeparator()), nil, stripLayout(strip), nil, split)
}

// stripLayout gives the page strip a fixed width.
func stripLayout(o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&fixedWidth{w: thumbWidth + 4*theme.Padding()}, o)
}

// fixedWidth lays its objects out over its whole size and asks for a fixed
// width and the tallest object's height.
type fixedWidth struct{ w float32 }

func (f *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (f *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = float32(math.Max(float64(h), float64(o.MinSize().Height)))
	}
	return fyne.NewSize(f.w, h)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// busy shows progress with a sentence.
func (s *DocumentScreen) busy(msg string) {
	s.ProgressLabel.SetText(msg)
	s.ProgressLabel.Show()
	s.Progress.Show()
	s.Progress.Start()
}

func (s *DocumentScreen) idle() {
	s.Progress.Stop()
	s.Progress.Hide()
	s.ProgressLabel.Hide()
}

func (s *DocumentScreen) fail(title string, err error) {
	s.idle()
	if s.closed {
		return
	}
	s.u.showError(title, err)
}

// goTo renders and shows page p (0-based).
func (s *DocumentScreen) goTo(p int) {
	if s.doc == nil || s.closed {
		return
	}
	if p < 0 || p >= s.count {
		return
	}
	s.render(p, false)
}

// render renders page p at the current zoom and shows it; quiet skips the
// progress bar (the minute's re-stamp of the page on screen).
func (s *DocumentScreen) render(p int, quiet bool) {
	doc, zoom := s.doc, s.zoom*s.scale()
	if !quiet {
		s.busy(fmt.Sprintf("Rendering page %d…", p+1))
	}
	gen := s.u.gen
	s.u.run(func(ctx context.Context) func() {
		w, h, err := doc.PageSize(p)
		var img *image.RGBA
		if err == nil {
			img, err = doc.Render(ctx, p, zoom)
		}
		return func() {
			if s.closed || s.u.gen != gen {
				zero(img)
				return
			}
			if err != nil {
				s.fail("Render page", err)
				return
			}
			s.pageW, s.pageH = w, h
			s.setPage(p, img)
			if !s.u.opts.Synchronous {
				if p+1 < s.count {
					doc.Prefetch(p+1, zoom)
				}
				if p > 0 {
					doc.Prefetch(p-1, zoom)
				}
			}
		}
	})
}

// setPage shows a freshly rendered page.
func (s *DocumentScreen) setPage(p int, img *image.RGBA) {
	s.idle()
	s.page = p
	prev := s.minute
	s.minute = s.u.opts.Now().Truncate(time.Minute)
	if !prev.IsZero() && !prev.Equal(s.minute) {
		s.Strip.Refresh() // the thumbnails in view get the new minute
	}
	s.mu.Lock()
	old := s.clean
	s.clean = img
	s.mu.Unlock()
	zero(old)
	s.PageLabel.SetText(fmt.Sprintf("Page %d of %d", p+1, s.count))
	s.ZoomLabel.SetText(fmt.Sprintf("%d%%", int(math.Round(s.zoom*100))))
	if p == 0 {
		s.Prev.Disable()
	} else {
		s.Prev.Enable()
	}
	if p >= s.count-1 {
		s.Next.Disable()
	} else {
		s.Next.Enable()
	}
	if s.Strip.Length() > p {
		s.Strip.Select(p)
		s.Strip.ScrollTo(p)
	}
	if a, ok := s.selected(); ok && a.Page != p {
		// The selection stays with its page; picking it again jumps back.
		s.sel = ""
		s.Annotations.UnselectAll()
		s.EditNote.Disable()
		s.Delete.Disable()
		s.History.Disable()
	}
	s.recompose()
}

// recompose draws annotations and find hits over a copy of the clean page
// and shows it.
func (s *DocumentScreen) recompose() {
	s.mu.Lock()
	if s.clean == nil {
		s.mu.Unlock()
		return
	}
	img := image.NewRGBA(s.clean.Bounds())
	copy(img.Pix, s.clean.Pix)
	s.mu.Unlock()
	zoom := s.zoom * s.scale()
	r := s.u.renderer
	if s.ShowAnnotations.Checked {
		var plain, selected []Rect
		for _, a := range s.annots {
			if a.Page != s.page || a.Deleted {
				continue
			}
			if a.ID == s.sel {
				selected = append(selected, a.Rect)
			} else {
				plain = append(plain, a.Rect)
			}
		}
		r.DrawHighlights(img, plain, s.pageH, zoom, HighlightAnnotation)
		r.DrawHighlights(img, selected, s.pageH, zoom, HighlightSelected)
	}
	for _, h := range s.hits {
		if h.Page == s.page {
			r.DrawHighlights(img, h.Rects, s.pageH, zoom, HighlightFind)
		}
	}
	s.mu.Lock()
	old := s.shown
	s.shown = img
	s.mu.Unlock()
	sc := float32(s.scale())
	s.Page.Image = img
	s.Page.SetMinSize(fyne.NewSize(float32(img.Bounds().Dx())/sc, float32(img.Bounds().Dy())/sc))
	s.Page.Refresh()
	s.View.Refresh()
	s.Scroll.Content.Refresh()
	s.Scroll.Refresh()
	zero(old)
}

func (s *DocumentScreen) setZoom(z float64) {
	z = math.Max(minZoom, math.Min(maxZoom, z))
	if z == s.zoom {
		return
	}
	s.zoom = z
	s.goTo(s.page)
}

func (s *DocumentScreen) fitWidth() {
	if s.pageW <= 0 {
		return
	}
	w := float64(s.Scroll.Size().Width) - 2*float64(theme.Padding()) - 16
	if w < 100 {
		w = 100
	}
	s.setZoom(w / s.pageW)
}

// tick re-renders the shown page when the minute changed, so the
// watermark's time stays current.
func (s *DocumentScreen) tick() {
	if s.doc == nil || s.closed {
		return
	}
	now := s.u.opts.Now()
	if s.opened != nil && !s.opened.GrantExpires.IsZero() {
		exp := s.opened.GrantExpires
		if !now.Before(exp) {
			s.grantEnded("")
			return
		}
		if !now.Before(exp.Add(-grantRenewAhead)) && !s.renewing && !now.Before(s.renewAfter) {
			s.renewGrant()
		}
	}
	if m := now.Truncate(time.Minute); !m.Equal(s.minute) {
		s.render(s.page, true)
	}
}

// A document's grant is short-lived (the station bounds it by the session's
// idle limit and by the case access grant). While a document is on screen
// the app asks the station for a fresh one this long before it runs out;
// after a failure that may pass (station busy or unreachable) it asks again
// after grantRetry, until the grant has run out.
const (
	grantRenewAhead = 2 * time.Minute
	grantRetry      = 15 * time.Second
)

// renewGrant asks the station again for the document on screen. The station
// decides afresh (and audits it): a new grant extends the time the document
// may stay open; a refusal closes it. The pages already rendered stay; the
// re-fetched plaintext is zeroed at once.
func (s *DocumentScreen) renewGrant() {
	u := s.u
	s.renewing = true
	caseID, docID := s.detail.ID, s.info.ID
	u.run(func(ctx context.Context) func() {
		fresh, err := u.backend.OpenDocument(ctx, caseID, docID)
		var exp time.Time
		if err == nil {
			exp = fresh.GrantExpires
			u.backend.CloseDocument(fresh)
		}
		return func() {
			s.renewing = false
			if s.closed || s.opened == nil {
				return
			}
			switch {
			case err == nil && exp.After(s.opened.GrantExpires):
				s.opened.GrantExpires = exp
				u.logf("document grant renewed")
			case err == nil:
				// The station gave no more time: the access itself ends then.
				s.renewAfter = s.opened.GrantExpires
			case accessRefused(err):
				s.grantEnded(Explain(err))
			default:
				u.logf("document grant renewal failed, will retry: %v", err)
				s.renewAfter = u.opts.Now().Add(grantRetry)
			}
		}
	})
}

// accessRefused reports an error that means the station will not let the
// officer see the document any more (as opposed to one that may pass).
func accessRefused(err error) bool {
	for _, e := range []error{ErrAccessDenied, ErrGrantExpired, ErrGrantRevoked, ErrNotFound, ErrSessionEnded,
		ErrDeviceRevoked, ErrAccountDisabled} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// grantEnded closes a document whose grant has run out (or whose renewal
// the station refused, why says how) while it was on screen: its pages are
// zeroed, the officer is taken back to the cases and told why.
func (s *DocumentScreen) grantEnded(why string) {
	u := s.u
	ended := s.opened.GrantExpires
	caseNum := s.caseNumber()
	u.logf("document closed: its grant ended")
	s.close()
	u.Doc = nil
	u.showCases()
	msg := fmt.Sprintf("Your access to case %s ended at %s.", caseNum, when(ended))
	if why != "" {
		msg = "The station no longer allows this document: " + why
	}
	u.showMessage("Access ended", msg+" The document was closed and its pages were wiped from memory. Request access again if you still need it.")
}

func (s *DocumentScreen) ticker() {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			fyne.Do(s.tick)
		}
	}
}

func (s *DocumentScreen) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyLeft, fyne.KeyPageUp, fyne.KeyUp:
		s.goTo(s.page - 1)
	case fyne.KeyRight, fyne.KeyPageDown, fyne.KeyDown:
		s.goTo(s.page + 1)
	case fyne.KeyHome:
		s.goTo(0)
	case fyne.KeyEnd:
		s.goTo(s.count - 1)
	}
}

// typedRune handles zoom. Zoom keys are taken as characters only: the
// desktop driver delivers a press of + or - both as a key and as its
// character, and the character also covers the keypad and other layouts.
func (s *DocumentScreen) typedRune(r rune) {
	switch r {
	case '+', '=':
		s.setZoom(s.zoom * zoomStep)
	case '-':
		s.setZoom(s.zoom / zoomStep)
	}
}

func (s *DocumentScreen) focusFind() {
	s.Side.SelectIndex(1)
	s.u.Window.Canvas().Focus(s.FindEntry)
}

// find searches the document and lists the hits by page.
func (s *DocumentScreen) find() {
	q := strings.TrimSpace(s.FindEntry.Text)
	if s.doc == nil {
		return
	}
	if q == "" {
		s.hits = nil
		s.FindStatus.SetText("")
		s.Hits.Refresh()
		s.recompose()
		return
	}
	doc := s.doc
	s.FindStatus.SetText("Searching…")
	s.u.run(func(ctx context.Context) func() {
		hits, err := doc.Find(ctx, q)
		return func() {
			if s.closed {
				return
			}
			if err != nil {
				s.FindStatus.SetText("")
				s.u.showError("Find", err)
				return
			}
			s.hits = hits
			n := 0
			for _, h := range hits {
				n += len(h.Rects)
			}
			if n == 0 {
				s.FindStatus.SetText("No matches.")
			} else {
				s.FindStatus.SetText(fmt.Sprintf("%s on %s.", plural(n, "match", "matches"), plural(len(hits), "page", "pages")))
			}
			s.Hits.Refresh()
			if len(hits) > 0 {
				s.Hits.Select(0)
			}
			s.recompose()
		}
	})
}

func (s *DocumentScreen) selected() (Annotation, bool) {
	for _, a := range s.annots {
		if a.ID == s.sel {
			return a, true
		}
	}
	return Annotation{}, false
}

// annotateDrawn is called when a highlight was dragged on the page, in
// page-view units.
func (s *DocumentScreen) annotateDrawn(r fyne.Position, end fyne.Position) {
	if !s.canNote || s.doc == nil {
		return
	}
	sc := s.scale()
	px := image.Rect(int(float64(r.X)*sc), int(float64(r.Y)*sc), int(float64(end.X)*sc), int(float64(end.Y)*sc)).Canon()
	if px.Dx() < 4 || px.Dy() < 4 {
		return
	}
	rect := s.u.renderer.PixelToPage(px, s.pageH, s.zoom*sc)
	page := s.page
	s.noteDialog("Add a note to the highlight", "", func(note string) {
		s.u.run(func(ctx context.Context) func() {
			a, err := s.u.backend.AddAnnotation(ctx, s.detail.ID, s.info.ID, page, rect, note)
			return func() {
				if err != nil {
					s.u.showError("Annotate", err)
					return
				}
				s.sel = a.ID
				s.reloadAnnotations()
			}
		})
	})
}

// noteDialog asks for a note and calls save with it.
func (s *DocumentScreen) noteDialog(title, text string, save func(string)) {
	s.NoteEntry = NewSafeMultiLineEntry()
	s.NoteEntry.SetMinRowsVisible(4)
	s.NoteEntry.SetText(text)
	s.NoteEntry.SetPlaceHolder("Note (who reads this sees your name and the time)")
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	var d dialog.Dialog
	s.SaveNote = widget.NewButtonWithIcon("Save note", theme.DocumentSaveIcon(), func() {
		note := strings.TrimSpace(s.NoteEntry.Text)
		if note == "" {
			msg.SetText("Write a note.")
			return
		}
		d.Hide()
		save(note)
	})
	s.SaveNote.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.Hide() })
	d = s.u.modal(title, container.NewVBox(s.NoteEntry, msg), cancel, s.SaveNote)
	s.u.Window.Canvas().Focus(s.NoteEntry)
}

func (s *DocumentScreen) reloadAnnotations() {
	caseID, docID := s.detail.ID, s.info.ID
	s.u.run(func(ctx context.Context) func() {
		annots, err := s.u.backend.Annotations(ctx, caseID, docID)
		return func() {
			if s.closed {
				return
			}
			if err != nil {
				s.u.showError("Annotations", err)
				return
			}
			s.annots = annots
			s.Annotations.Refresh()
			s.annotHint()
			s.Annotations.UnselectAll()
			for i, a := range annots {
				if a.ID == s.sel {
					s.Annotations.Select(i) // enables Edit, Delete, History
					s.Annotations.ScrollTo(i)
				}
			}
			if _, ok := s.selected(); !ok {
				s.sel = ""
				s.EditNote.Disable()
				s.Delete.Disable()
				s.History.Disable()
			}
			s.recompose()
		}
	})
}

// annotHint says what the annotation list holds when it is empty.
func (s *DocumentScreen) annotHint() {
	if len(s.annots) > 0 || s.AnnotateMode.Checked {
		return
	}
	if s.canNote {
		s.AnnotStatus.SetText("No annotations yet. Tick Draw highlight, then drag on the page.")
	} else {
		s.AnnotStatus.SetText("No annotations on this document.")
	}
}

func (s *DocumentScreen) editSelected() {
	a, ok := s.selected()
	if !ok {
		return
	}
	s.noteDialog("Edit note", a.Note, func(note string) {
		s.u.run(func(ctx context.Context) func() {
			_, err := s.u.backend.EditAnnotation(ctx, a.ID, note)
			return func() {
				if err != nil {
					s.u.showError("Edit note", err)
					return
				}
				s.reloadAnnotations()
			}
		})
	})
}

func (s *DocumentScreen) deleteSelected() {
	a, ok := s.selected()
	if !ok {
		return
	}
	s.u.run(func(ctx context.Context) func() {
		err := s.u.backend.DeleteAnnotation(ctx, a.ID)
		return func() {
			if err != nil {
				s.u.showError("Delete annotation", err)
				return
			}
			s.AnnotStatus.SetText("Annotation deleted; its history keeps every revision.")
			s.reloadAnnotations()
		}
	})
}

func (s *DocumentScreen) historySelected() {
	a, ok := s.selected()
	if !ok {
		return
	}
	s.u.run(func(ctx context.Context) func() {
		revs, err := s.u.backend.AnnotationHistory(ctx, a.ID)
		return func() {
			if err != nil {
				s.u.showError("Annotation history", err)
				return
			}
			var b strings.Builder
			for _, r := range revs {
				what := "“" + r.Note + "”"
				if r.Deleted {
					what = "deleted"
				}
				fmt.Fprintf(&b, "Revision %d · %s, %s: %s\n", r.Revision, r.Author, when(r.Time), what)
			}
			s.HistoryList = widget.NewLabel(strings.TrimSpace(b.String()))
			s.HistoryList.Wrapping = fyne.TextWrapWord
			var d dialog.Dialog
			ok := widget.NewButton("Close", func() { d.Hide() })
			d = s.u.modal(fmt.Sprintf("History of the note on page %d", a.Page+1), s.HistoryList, ok)
		}
	})
}

// close closes the document and zeroes the pages this screen held.
func (s *DocumentScreen) close() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.stop)
	if s.doc != nil {
		s.doc.Close()
	}
	if s.opened != nil {
		s.u.backend.CloseDocument(s.opened)
	}
	s.u.shownDoc.CompareAndSwap(s, nil)
	s.wipeBuffers()
	s.Page.Image = nil
	s.Page.Refresh()
}

// wipeBuffers zeroes the rendered pages; safe from any goroutine.
func (s *DocumentScreen) wipeBuffers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	zero(s.clean)
	zero(s.shown)
	for _, t := range s.thumbs {
		zero(t.img)
	}
}

func zero(img *image.RGBA) {
	if img != nil {
		clear(img.Pix)
	}
}

// PageView shows a page image and, in annotate mode, lets the officer drag
// a highlight rectangle on it.
type PageView struct {
	widget.BaseWidget
	img      *canvas.Image
	band     *canvas.Rectangle
	annotate bool
	start    *fyne.Position
	end      fyne.Position
	onDrawn  func(start, end fyne.Position)
	onActive func()
	lastMove time.Time
}

func newPageView(img *canvas.Image, onDrawn func(start, end fyne.Position)) *PageView {
	band := canvas.NewRectangle(fadedAccent())
	band.StrokeColor = accentBlue
	band.StrokeWidth = 2
	band.Hide()
	v := &PageView{img: img, band: band, onDrawn: onDrawn}
	v.ExtendBaseWidget(v)
	return v
}

// CreateRenderer lays the band over the image.
func (v *PageView) CreateRenderer() fyne.WidgetRenderer {
	return &pageViewRenderer{v: v, objs: []fyne.CanvasObject{v.img, v.band}}
}

// MouseIn records activity for the idle lock.
func (v *PageView) MouseIn(*desktop.MouseEvent) { v.active() }

// MouseMoved records activity for the idle lock, at most once a second.
func (v *PageView) MouseMoved(*desktop.MouseEvent) { v.active() }

// MouseOut does nothing.
func (v *PageView) MouseOut() {}

func (v *PageView) active() {
	if now := time.Now(); now.Sub(v.lastMove) > time.Second {
		v.lastMove = now
		if v.onActive != nil {
			v.onActive()
		}
	}
}

// Dragged grows the highlight band in annotate mode.
func (v *PageView) Dragged(ev *fyne.DragEvent) {
	if !v.annotate {
		return
	}
	if v.start == nil {
		p := ev.Position.Subtract(ev.Dragged)
		v.start = &p
	}
	v.end = ev.Position
	x0, y0 := min(v.start.X, v.end.X), min(v.start.Y, v.end.Y)
	v.band.Move(fyne.NewPos(x0, y0))
	v.band.Resize(fyne.NewSize(abs32(v.end.X-v.start.X), abs32(v.end.Y-v.start.Y)))
	v.band.Show()
	v.band.Refresh()
}

// DragEnd finishes the highlight and hands it on.
func (v *PageView) DragEnd() {
	if v.start == nil {
		return
	}
	start, end := *v.start, v.end
	v.start = nil
	v.band.Hide()
	if v.onDrawn != nil {
		v.onDrawn(start, end)
	}
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

type pageViewRenderer struct {
	v    *PageView
	objs []fyne.CanvasObject
}

func (r *pageViewRenderer) Layout(size fyne.Size) {
	r.v.img.Resize(r.v.img.MinSize())
	r.v.img.Move(fyne.NewPos(0, 0))
}
func (r *pageViewRenderer) MinSize() fyne.Size           { return r.v.img.MinSize() }
func (r *pageViewRenderer) Refresh()                     { r.Layout(r.v.Size()); canvas.Refresh(r.v.img) }
func (r *pageViewRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *pageViewRenderer) Destroy()                     {}
