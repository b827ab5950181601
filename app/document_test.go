package app

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// openIncidentReport logs in as id and opens the first document of the
// first case.
func openIncidentReport(t *testing.T, u *UI, id, pw string) *DocumentScreen {
	t.Helper()
	login(t, u, id, pw)
	mustScreen(t, u, "cases")
	u.Cases.List.Select(0)
	mustScreen(t, u, "case")
	u.Case.Documents.Select(0)
	mustScreen(t, u, "document")
	if u.Doc.ShownImage() == nil {
		t.Fatalf("no page shown (last message %q)", u.lastError)
	}
	return u.Doc
}

func TestDocumentNavigationAndWatermark(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 3}
	u := newTestUI(t, b, r)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")

	wm := r.wm
	if wm.OfficerID != "D-4471" || wm.OfficerName != "Dana Reyes" || wm.CaseNumber != "2026-0117" || wm.Document != "Incident report" || wm.SessionCode != "K7Q2" {
		t.Errorf("watermark asked for = %+v", wm)
	}
	img := d.ShownImage()
	h := img.Bounds().Dy()
	if got := pixel(img, 10, h/2); got != [3]uint8{200, 30, 30} {
		t.Errorf("watermark pixels missing from the shown page: %v", got)
	}
	if d.PageLabel.Text != "Page 1 of 3" || !d.Prev.Disabled() {
		t.Errorf("page label %q, prev disabled %v", d.PageLabel.Text, d.Prev.Disabled())
	}
	if d.AnnotateMode.Visible() {
		t.Error("a detective without annotate scope may draw highlights")
	}

	test.Tap(d.Next)
	if d.CurrentPage() != 1 {
		t.Fatalf("after next: page %d", d.CurrentPage())
	}
	key := func(k fyne.KeyName) { u.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }
	key(fyne.KeyPageDown)
	if d.CurrentPage() != 2 || !d.Next.Disabled() {
		t.Fatalf("after page down: page %d, next disabled %v", d.CurrentPage(), d.Next.Disabled())
	}
	key(fyne.KeyRight) // past the end: stays
	if d.CurrentPage() != 2 {
		t.Fatalf("went past the last page: %d", d.CurrentPage())
	}
	key(fyne.KeyLeft)
	key(fyne.KeyPageUp)
	if d.CurrentPage() != 0 {
		t.Fatalf("after left, page up: page %d", d.CurrentPage())
	}
	key(fyne.KeyEnd)
	if d.CurrentPage() != 2 {
		t.Fatalf("after End: page %d", d.CurrentPage())
	}
	u.Window.Canvas().Focus(d.GoTo)
	test.Type(d.GoTo, "2")
	d.GoTo.OnSubmitted(d.GoTo.Text)
	if d.CurrentPage() != 1 {
		t.Fatalf("go to 2: page %d", d.CurrentPage())
	}
	if u.Window.Canvas().Focused() != nil {
		t.Error("the Go to box kept the focus: the arrow keys would not page")
	}
	d.GoTo.SetText("9")
	d.GoTo.OnSubmitted(d.GoTo.Text)
	if d.CurrentPage() != 1 || !strings.Contains(u.lastError, "from 1 to 3") {
		t.Errorf("go to 9: page %d, message %q", d.CurrentPage(), u.lastError)
	}
	u.hideOverlays()
	d.Strip.Select(0)
	if d.CurrentPage() != 0 {
		t.Fatalf("page strip: page %d", d.CurrentPage())
	}

	w0 := d.ShownImage().Bounds().Dx()
	if float32(w0) > d.Scroll.Size().Width || float32(w0) < d.Scroll.Size().Width/2 {
		t.Errorf("document did not open at fit width: page %d px in a %v wide view", w0, d.Scroll.Size().Width)
	}
	label0 := d.ZoomLabel.Text
	test.Tap(d.ZoomIn)
	w1 := d.ShownImage().Bounds().Dx()
	if w1 <= w0 {
		t.Errorf("zoom in: width %d -> %d", w0, w1)
	}
	// One press of a key as the desktop driver delivers it: the key, then
	// its character. Each press is one zoom step.
	press := func(k fyne.KeyName, r rune) {
		key(k)
		u.Window.Canvas().OnTypedRune()(r)
	}
	press(fyne.KeyMinus, '-')
	if w := d.ShownImage().Bounds().Dx(); w != w0 {
		t.Errorf("zoom out with '-': width %d, want %d", w, w0)
	}
	press(fyne.KeyEqual, '+') // Shift+= on a US keyboard
	if w := d.ShownImage().Bounds().Dx(); w != w1 {
		t.Errorf("zoom in with '+': width %d, want %d (one step)", w, w1)
	}
	press(fyne.KeyMinus, '-')
	if d.ZoomLabel.Text != label0 {
		t.Errorf("zoom label %q, want %q", d.ZoomLabel.Text, label0)
	}
	test.Tap(d.ZoomIn)
	test.Tap(d.ZoomIn)
	test.Tap(d.FitWidth)
	if w := d.ShownImage().Bounds().Dx(); w != w0 {
		t.Errorf("fit width: page %d px in a %v wide view", w, d.Scroll.Size().Width)
	}
	// Every rendered page is watermarked.
	if got := pixel(d.ShownImage(), 5, d.ShownImage().Bounds().Dy()/2); got != [3]uint8{200, 30, 30} {
		t.Errorf("watermark lost after zoom: %v", got)
	}
}

func TestDocumentFindHighlightsHits(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 3, findHits: []Hit{{Page: 2, Rects: []Rect{{X0: 100, Y0: 600, X1: 200, Y1: 620}, {X0: 100, Y0: 500, X1: 200, Y1: 520}}}}}
	u := newTestUI(t, b, r)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	// Ctrl+F, as the desktop driver delivers it: to the entry with focus
	// if there is one (here the Go to box), else to the window.
	shortcut := func() {
		if f, ok := u.Window.Canvas().Focused().(fyne.Shortcutable); ok {
			f.TypedShortcut(&desktopShortcutFind)
			return
		}
		u.Window.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(&desktopShortcutFind)
	}
	u.Window.Canvas().Focus(d.GoTo)
	shortcut()
	if u.Window.Canvas().Focused() != d.FindEntry {
		t.Fatal("Ctrl+F in the Go to box did not focus the find entry")
	}
	d.FindEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if u.Window.Canvas().Focused() != nil {
		t.Error("Escape left the find entry focused")
	}
	shortcut()
	if u.Window.Canvas().Focused() != d.FindEntry {
		t.Error("Ctrl+F on the window did not focus the find entry")
	}
	test.Type(d.FindEntry, "knife")
	test.Tap(d.FindButton)
	if d.Hits.Length() != 1 || d.FindStatus.Text != "2 matches on 1 page." {
		t.Fatalf("hits %d, status %q", d.Hits.Length(), d.FindStatus.Text)
	}
	if d.CurrentPage() != 2 {
		t.Fatalf("first hit not shown: page %d", d.CurrentPage())
	}
	if !strings.Contains(allText(u), "Page 3: 2 matches") {
		t.Errorf("hit list shows:\n%s", allText(u))
	}
	px := r.PageToPixel(Rect{X0: 100, Y0: 600, X1: 200, Y1: 620}, 792, d.zoom)
	c := px.Min.Add(px.Size().Div(2))
	if got := pixel(d.ShownImage(), c.X, c.Y); got != [3]uint8{0, 200, 0} {
		t.Errorf("hit not highlighted: %v", got)
	}
	d.FindEntry.SetText("nothing")
	test.Tap(d.FindButton)
	if d.FindStatus.Text != "No matches." || pixel(d.ShownImage(), c.X, c.Y) != [3]uint8{255, 255, 255} {
		t.Errorf("no-match search: %q, pixel %v", d.FindStatus.Text, pixel(d.ShownImage(), c.X, c.Y))
	}
}

func TestTechnicianAnnotates(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 3}
	u := newTestUI(t, b, r)
	d := openIncidentReport(t, u, "T-3300", "technician-pw")
	if !d.AnnotateMode.Visible() {
		t.Fatal("technician cannot annotate")
	}
	d.AnnotateMode.SetChecked(true)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(d.View)
	// Drag from (60, 80) to (260, 140) inside the page.
	test.Drag(u.Window.Canvas(), abs.Add(fyne.NewPos(260, 140)), 200, 60)
	if d.NoteEntry == nil {
		t.Fatal("no note dialog after drawing a highlight")
	}
	test.Type(d.NoteEntry, "Blood trace near the door")
	test.Tap(d.SaveNote)
	if len(b.annots) != 1 {
		t.Fatalf("annotations stored: %d", len(b.annots))
	}
	a := b.annots["a1"][0]
	want := r.PixelToPage(imageRect(60, 80, 260, 140), 792, d.zoom)
	if a.Page != 0 || a.Note != "Blood trace near the door" || a.Author != "T-3300" || !near(a.Rect, want) {
		t.Errorf("stored %+v, want rect %+v", a, want)
	}
	if d.Annotations.Length() != 1 {
		t.Fatalf("side list has %d", d.Annotations.Length())
	}
	if !strings.Contains(allText(u), "T-3300, ") || !strings.Contains(allText(u), "(revision 1)") {
		t.Errorf("who and when not shown:\n%s", allText(u))
	}
	// The new annotation is selected and drawn.
	if got := pixel(d.ShownImage(), 160, 110); got != [3]uint8{0, 160, 250} {
		t.Errorf("annotation overlay pixel %v", got)
	}
	d.ShowAnnotations.SetChecked(false)
	if got := pixel(d.ShownImage(), 160, 110); got != [3]uint8{255, 255, 255} {
		t.Errorf("overlay still drawn when hidden: %v", got)
	}

	// From another page, the side list jumps to it.
	test.Tap(d.Next)
	d.Annotations.Select(0)
	if d.CurrentPage() != 0 || !d.ShowAnnotations.Checked {
		t.Errorf("jump: page %d, overlay %v", d.CurrentPage(), d.ShowAnnotations.Checked)
	}
	test.Tap(d.EditNote)
	d.NoteEntry.SetText("")
	test.Type(d.NoteEntry, "Blood trace, swabbed")
	test.Tap(d.SaveNote)
	if revs := b.annots["a1"]; len(revs) != 2 || revs[1].Note != "Blood trace, swabbed" {
		t.Fatalf("after edit: %+v", revs)
	}
	test.Tap(d.History)
	if h := d.HistoryList.Text; !strings.Contains(h, "Revision 1 · T-3300") || !strings.Contains(h, "Revision 2") || !strings.Contains(h, "swabbed") {
		t.Errorf("history shows %q", h)
	}
	u.hideOverlays()
	test.Tap(d.Delete)
	if revs := b.annots["a1"]; len(revs) != 3 || !revs[2].Deleted {
		t.Fatalf("after delete: %+v", revs)
	}
	if d.Annotations.Length() != 0 || !d.EditNote.Disabled() {
		t.Errorf("deleted annotation still listed (%d) or selectable", d.Annotations.Length())
	}
}

// TestPageStripThumbnails checks that the strip shows a watermarked
// thumbnail of every page in view, made once, and that the wipe zeroes them.
func TestPageStripThumbnails(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 3}
	u := newTestUI(t, b, r)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	var thumbs []*image.RGBA
	for p := 0; p < 3; p++ {
		th := d.Thumbnail(p)
		if th == nil {
			t.Fatalf("no thumbnail of page %d", p+1)
		}
		if w := th.Bounds().Dx(); w != thumbWidth {
			t.Errorf("thumbnail of page %d is %d px wide, want %d", p+1, w, thumbWidth)
		}
		if got := pixel(th, 2, th.Bounds().Dy()/2); got != [3]uint8{200, 30, 30} {
			t.Errorf("thumbnail of page %d has no watermark: %v", p+1, got)
		}
		thumbs = append(thumbs, th)
	}
	n := len(r.renders)
	test.Tap(d.Next)
	if len(r.renders) != n+1 {
		t.Errorf("turning the page rendered %v more, want the page only", r.renders[n:])
	}
	u.wipePages()
	for p, th := range thumbs {
		for _, v := range th.Pix {
			if v != 0 {
				t.Fatalf("thumbnail of page %d survived the wipe", p+1)
			}
		}
	}
}

func TestWatermarkRestampsEachMinute(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 2}
	u := newTestUI(t, b, r)
	now := time.Date(2026, 12, 3, 10, 15, 20, 0, time.UTC)
	u.opts.Now = func() time.Time { return now }
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	n := len(r.renders)
	now = now.Add(30 * time.Second)
	d.tick()
	if len(r.renders) != n {
		t.Fatalf("re-rendered within the same minute")
	}
	now = now.Add(20 * time.Second)
	d.tick()
	// The page on screen first, then the strip's two thumbnails.
	if len(r.renders) != n+3 || r.renders[n] != d.CurrentPage() {
		t.Fatalf("minute changed: renders %v (from %d)", r.renders, n)
	}
	for p := 0; p < 2; p++ {
		if m := d.thumbs[p].minute; !m.Equal(now.Truncate(time.Minute)) {
			t.Errorf("thumbnail of page %d shows minute %v", p+1, m)
		}
	}
	if r.wm.Now == nil || !r.wm.Now().Equal(now) {
		t.Error("watermark does not read the app clock")
	}
}

func TestDocumentGrantIsRenewedWhileShown(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 2}
	u := newTestUI(t, b, r)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	u.opts.Now = func() time.Time { return now }
	b.grantUntil = now.Add(30 * time.Minute)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	opens := len(b.opened)

	// Well before the end: nothing is asked.
	now = now.Add(20 * time.Minute)
	d.tick()
	if len(b.opened) != opens {
		t.Fatal("renewed too early")
	}
	// Two minutes before: the station is asked again and gives more time;
	// the re-fetched plaintext is zeroed at once.
	b.grantUntil = now.Add(30 * time.Minute)
	now = now.Add(8*time.Minute + 30*time.Second)
	d.tick()
	if len(b.opened) != opens+1 || !d.opened.GrantExpires.Equal(b.grantUntil) {
		t.Fatalf("not renewed: %d opens, grant until %v", len(b.opened)-opens, d.opened.GrantExpires)
	}
	if hasNonZero(b.opened[len(b.opened)-1].PDF) {
		t.Error("the renewal's plaintext copy was not zeroed")
	}
	// A renewal that fails for a reason that may pass (station unreachable)
	// is retried, and the document stays until its grant runs out.
	b.openErr = ErrUnreachable
	now = d.opened.GrantExpires.Add(-time.Minute)
	d.tick()
	if d.closed {
		t.Fatal("closed on a failed renewal before the grant ran out")
	}
	now = d.opened.GrantExpires
	d.tick()
	if !d.closed || u.Doc != nil {
		t.Fatal("the document stays open after its grant ran out")
	}
	if !strings.Contains(u.lastError, "ended at") {
		t.Errorf("message %q", u.lastError)
	}
}

func TestDocumentClosesWhenRenewalIsRefused(t *testing.T) {
	b := newFakeBackend()
	r := &fakeRenderer{pages: 2}
	u := newTestUI(t, b, r)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	u.opts.Now = func() time.Time { return now }
	b.grantUntil = now.Add(30 * time.Minute)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	shown := d.ShownImage()
	if shown == nil || !hasNonZero(shown.Pix) {
		t.Fatal("no page shown")
	}
	b.openErr = fmt.Errorf("station: %w", ErrAccessDenied)
	now = now.Add(29 * time.Minute)
	d.tick()
	if u.Doc != nil || !d.closed {
		t.Fatal("the document stays open after the station refused it")
	}
	if hasNonZero(shown.Pix) {
		t.Error("the page's pixels were not zeroed")
	}
	if !strings.Contains(u.lastError, "no longer allows") || !strings.Contains(u.lastError, "wiped from memory") {
		t.Errorf("message %q", u.lastError)
	}
	if u.current != "cases" {
		t.Errorf("screen %q after access ended, want cases", u.current)
	}
}

func hasNonZero(b []byte) bool {
	for _, v := range b {
		if v != 0 {
			return true
		}
	}
	return false
}

func TestLockScreenHidesEverything(t *testing.T) {
	for _, tt := range []struct {
		name string
		ev   LockEvent
		want string
	}{
		{"left network", LockEvent{Reason: LockLeftNetwork, Message: "Left the station network: case data was wiped"}, "Left the station network: case data was wiped"},
		{"idle", LockEvent{Reason: LockIdle}, "Locked after inactivity"},
		{"expired", LockEvent{Reason: LockSessionExpired, Failures: []string{"keyring delete timed out"}}, "Your session expired"},
		{"revoked", LockEvent{Reason: LockDeviceRevoked}, "revoked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newFakeBackend()
			r := &fakeRenderer{pages: 3}
			u := newTestUI(t, b, r)
			d := openIncidentReport(t, u, "D-4471", "detective-pw")
			page := d.ShownImage()
			d.GoTo.SetText("99")
			d.GoTo.OnSubmitted("99") // leaves a dialog open
			if u.Window.Canvas().Overlays().Top() == nil {
				t.Fatal("setup: no dialog")
			}
			before := allText(u)
			if !strings.Contains(before, "2026-0117") {
				t.Fatalf("setup: case number not shown before lock")
			}

			b.fire(tt.ev)
			mustScreen(t, u, "locked")
			if u.Window.Title() != "Case Viewer — Locked" {
				t.Errorf("title %q", u.Window.Title())
			}
			if u.Window.Canvas().Overlays().Top() != nil {
				t.Error("a dialog stayed over the lock screen")
			}
			txt := allText(u)
			for _, secret := range []string{"2026-0117", "Harbor", "Incident report", "from 1 to 3"} {
				if strings.Contains(txt, secret) {
					t.Errorf("lock screen shows %q:\n%s", secret, txt)
				}
			}
			if !strings.Contains(txt, tt.want) {
				t.Errorf("lock screen lacks %q:\n%s", tt.want, txt)
			}
			if len(tt.ev.Failures) > 0 && !strings.Contains(txt, "keyring delete timed out") {
				t.Error("wipe failures not shown")
			}
			for i, v := range page.Pix {
				if v != 0 {
					t.Fatalf("shown page not zeroed at byte %d", i)
				}
			}
			if r.wipes == 0 || !r.docs[0].closed {
				t.Errorf("renderer wipes %d, doc closed %v", r.wipes, r.docs[0].closed)
			}
			// Unlocking needs the password again.
			if u.Lock.OfficerID.Text != "D-4471" {
				t.Errorf("officer ID not kept: %q", u.Lock.OfficerID.Text)
			}
			test.Type(u.Lock.Password, "wrong")
			test.Tap(u.Lock.Unlock)
			mustScreen(t, u, "locked")
			if !strings.Contains(u.Lock.Message.Text, "Wrong officer ID or password") {
				t.Errorf("wrong unlock says %q", u.Lock.Message.Text)
			}
			test.Type(u.Lock.Password, "detective-pw")
			test.Tap(u.Lock.Unlock)
			mustScreen(t, u, "cases")
		})
	}
}

func TestLogoutLocks(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	openIncidentReport(t, u, "D-4471", "detective-pw")
	touches := b.touches
	test.Tap(u.nav.Cases)
	if b.touches <= touches {
		t.Error("activity not reported for the idle lock")
	}
	test.Tap(u.nav.Logout)
	mustScreen(t, u, "locked")
	if b.logouts != 1 || !strings.Contains(u.Lock.Reason.Text, "You logged out") {
		t.Errorf("logouts %d, reason %q", b.logouts, u.Lock.Reason.Text)
	}
	// A later, more telling event replaces the logout message.
	b.fire(LockEvent{Reason: LockLeftNetwork, Message: "Left the station network: case data was wiped"})
	if !strings.Contains(u.Lock.Reason.Text, "Left the station network") {
		t.Errorf("reason %q", u.Lock.Reason.Text)
	}
}

func TestClosingADocumentReleasesIt(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	pdf := b.opened[0].PDF
	test.Tap(d.Back)
	mustScreen(t, u, "case")
	if b.closed != 1 {
		t.Fatalf("document released %d times, want 1", b.closed)
	}
	for _, c := range pdf {
		if c != 0 {
			t.Fatal("document bytes not zeroed after closing")
		}
	}
}

func TestWipeStartLocksAtOnce(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	test.Tap(u.Banner.Accept)
	// A wipe with no session (the client core cleaning up) leaves the
	// login form alone.
	for _, w := range b.wipers {
		w.Wipe()
	}
	for _, s := range b.subs {
		s(LockEvent{Reason: LockLogout})
	}
	mustScreen(t, u, "login")

	d := openIncidentReport(t, u, "D-4471", "detective-pw")
	page := d.ShownImage()
	for _, w := range b.wipers { // the wipe has begun; its event is not here yet
		w.Wipe()
	}
	mustScreen(t, u, "locked")
	if !strings.Contains(u.Lock.Reason.Text, "Locking") {
		t.Errorf("reason while wiping: %q", u.Lock.Reason.Text)
	}
	for _, v := range page.Pix {
		if v != 0 {
			t.Fatal("page not zeroed when the wipe began")
		}
	}
	for _, s := range b.subs {
		s(LockEvent{Reason: LockLogout, Message: "You logged out: case data was wiped."})
	}
	if u.Lock.Reason.Text != "You logged out: case data was wiped." {
		t.Errorf("the wipe's event did not replace the interim reason: %q", u.Lock.Reason.Text)
	}
}
