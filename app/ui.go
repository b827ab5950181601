package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"caseviewer/assets"
)

// WindowTitle is the window's title. It never carries case data.
const WindowTitle = "Case Viewer"

// Options tune a UI.
type Options struct {
	// Synchronous runs backend calls inline instead of on goroutines, so a
	// test sees the resulting screen as soon as a tap returns.
	Synchronous bool
	// Now is the clock (the watermark minute, grant expiries); time.Now if
	// nil.
	Now func() time.Time
	// Logf receives progress lines (start-up timing, enrollment
	// fingerprints); nothing is logged if nil. Case content is never
	// logged.
	Logf func(format string, args ...any)
	// Timeout bounds each backend call; 30 s if zero.
	Timeout time.Duration
	// EnrollAddr and EnrollToken enroll the device without asking, when it
	// is not enrolled yet (the demo); the fingerprints are logged.
	EnrollAddr, EnrollToken string
	// OfficerID pre-fills the login form.
	OfficerID string
}

// UI is the Case Viewer window and its screens.
type UI struct {
	App      fyne.App
	Window   fyne.Window
	backend  Backend
	renderer Renderer
	opts     Options

	// gen counts locks; results of calls started before the last lock are
	// dropped instead of shown.
	gen        uint64
	officer    *Officer
	lastID     string
	locked     bool
	lockReason LockReason

	// The screens; a field is nil until its screen was first shown, and is
	// replaced each time the screen is built.
	Enroll   *EnrollScreen
	Banner   *BannerScreen
	Login    *LoginScreen
	Cases    *CasesScreen
	Case     *CaseScreen
	Doc      *DocumentScreen
	Requests *RequestsScreen
	Audit    *AuditScreen
	Lock     *LockScreen

	current   string // name of the screen shown, for tests and logs
	lastError string // the sentence of the last error dialog
	nav       *navBar

	// shownDoc is the open document screen, for the wipe, which runs on
	// the backend's goroutine.
	shownDoc atomic.Pointer[DocumentScreen]

	rendererStarted bool // on the UI thread
}

// New builds the UI in a new window of a. Call Start to show the first
// screen. The renderer should already be starting in the background.
func New(a fyne.App, b Backend, r Renderer, opts Options) *UI {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	a.Settings().SetTheme(Theme{})
	a.SetIcon(Icon())
	u := &UI{App: a, backend: b, renderer: r, opts: opts, lastID: opts.OfficerID}
	u.Window = a.NewWindow(WindowTitle)
	u.Window.SetIcon(Icon())
	u.Window.Resize(fyne.NewSize(1200, 780))
	u.Window.SetMaster()
	b.Subscribe(func(ev LockEvent) {
		u.ui(func() {
			// A wipe with no session (the client core tidying up) leaves
			// the enrollment and login screens alone.
			if u.officer != nil || u.locked {
				u.lock(ev)
			}
		})
	})
	a.Lifecycle().SetOnStarted(func() {
		u.logf("window shown")
		u.startRenderer()
	})
	// The session calls the page wiper as its wipe begins: zero the pages
	// and hide everything at once, before the wipe's slower parts (the
	// keyring) finish and the lock event says why.
	b.RegisterPageWiper(pageWiperFunc(func() {
		u.wipePages()
		u.ui(func() {
			if u.officer != nil && !u.locked {
				u.lock(LockEvent{Reason: lockWiping, Message: "Locking: case data is being wiped…"})
			}
		})
	}))
	u.installShortcuts()
	return u
}

// Icon returns the application icon as a Fyne resource.
func Icon() fyne.Resource { return fyne.NewStaticResource("icon.png", assets.Icon) }

// startRenderer starts a renderer that waits for the window (see
// ViewerRenderer) and logs when it is ready.
func (u *UI) startRenderer() {
	vr, ok := u.renderer.(*ViewerRenderer)
	if !ok || u.rendererStarted {
		return
	}
	u.rendererStarted = true
	vr.Start()
	go func() {
		if err := vr.Ready(context.Background()); err != nil {
			u.logf("renderer failed to start: %v", err)
			return
		}
		u.logf("renderer ready")
	}()
}

// Start shows the first screen: enrollment when the device is not enrolled,
// otherwise the system-use banner. The renderer starts once the window is
// on screen (or after two seconds at the latest).
func (u *UI) Start() {
	if !u.opts.Synchronous {
		time.AfterFunc(2*time.Second, func() { fyne.Do(u.startRenderer) })
	}
	if u.backend.Enrolled() {
		u.showBanner()
		return
	}
	if u.opts.EnrollAddr != "" && u.opts.EnrollToken != "" {
		u.autoEnroll()
		return
	}
	u.showEnroll()
}

// Quit ends the app as closing its window does; the caller's deferred
// wipe then runs. It may be called from any goroutine (a signal handler).
func (u *UI) Quit() { u.ui(u.App.Quit) }

// Screen returns the name of the screen shown ("enroll", "banner", "login",
// "cases", "case", "document", "requests", "audit", "locked").
func (u *UI) Screen() string { return u.current }

func (u *UI) logf(format string, args ...any) {
	if u.opts.Logf != nil {
		u.opts.Logf(format, args...)
	}
}

// ui runs f on the Fyne thread.
func (u *UI) ui(f func()) {
	if u.opts.Synchronous {
		f()
		return
	}
	fyne.Do(f)
}

// run calls work off the UI thread with a time limit, then applies the UI
// function it returns on the UI thread, unless the session locked
// meanwhile.
func (u *UI) run(work func(ctx context.Context) func()) {
	gen := u.gen
	do := func() {
		ctx, cancel := context.WithTimeout(context.Background(), u.opts.Timeout)
		apply := work(ctx)
		cancel()
		u.ui(func() {
			if u.gen != gen || apply == nil {
				return
			}
			apply()
		})
	}
	if u.opts.Synchronous {
		do()
		return
	}
	go do()
}

// touch records activity for the idle lock.
func (u *UI) touch() {
	if !u.locked && u.officer != nil {
		u.backend.Touch()
	}
}

// setContent shows a screen.
func (u *UI) setContent(name, title string, c fyne.CanvasObject) {
	u.current = name
	if title == "" {
		u.Window.SetTitle(WindowTitle)
	} else {
		u.Window.SetTitle(WindowTitle + " — " + title)
	}
	u.Window.SetContent(c)
	u.logf("screen %s", name)
}

// withNav puts the navigation bar above a screen of a logged-in officer.
func (u *UI) withNav(c fyne.CanvasObject) fyne.CanvasObject {
	u.nav = u.newNavBar()
	return container.NewBorder(container.NewVBox(u.nav.bar, widget.NewSeparator()), nil, nil, nil, c)
}

// showError shows err as a dialog with a sentence a person understands.
func (u *UI) showError(title string, err error) {
	u.showMessage(title, Explain(err))
}

// showMessage shows a dialog with a wrapped sentence and an OK button.
func (u *UI) showMessage(title, msg string) {
	u.lastError = msg
	u.logf("dialog %q", title)
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	ok := widget.NewButton("OK", func() { d.Hide() })
	ok.Importance = widget.HighImportance
	d = u.modal(title, l, ok)
}

// modal shows content with the given buttons under it as a dialog; the
// buttons are the caller's (tests tap them), each should hide the dialog.
func (u *UI) modal(title string, content fyne.CanvasObject, buttons ...fyne.CanvasObject) dialog.Dialog {
	row := container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, buttons...)...)
	body := container.NewBorder(nil, row, nil, nil, content)
	d := dialog.NewCustomWithoutButtons(title, body, u.Window)
	d.Resize(fyne.NewSize(520, body.MinSize().Height+80))
	d.Show()
	return d
}

// hideOverlays removes every dialog and pop-up from the window.
func (u *UI) hideOverlays() {
	ov := u.Window.Canvas().Overlays()
	for i := 0; i < 100 && ov.Top() != nil; i++ {
		ov.Remove(ov.Top())
	}
}

// autoEnroll enrolls without asking (the demo), logging the fingerprints.
func (u *UI) autoEnroll() {
	addr, token := u.opts.EnrollAddr, u.opts.EnrollToken
	u.showEnroll()
	u.Enroll.Address.SetText(addr)
	u.Enroll.Token.SetText(token)
	u.Enroll.Status.SetText("Enrolling this laptop with " + addr + "…")
	u.run(func(ctx context.Context) func() {
		fp, err := u.backend.Discover(ctx, addr)
		if err == nil {
			u.logf("station %s: CA fingerprint %s, station key %s", addr, fp.CA, fp.StationKey)
			err = u.backend.Enroll(ctx, addr, token)
		}
		return func() {
			if err != nil {
				u.Enroll.Status.SetText(Explain(err))
				u.showError("Enrollment failed", err)
				return
			}
			u.logf("enrolled with %s", addr)
			u.showBanner()
		}
	})
}

// navBar is the bar above every screen of a logged-in officer.
type navBar struct {
	bar      *fyne.Container
	Who      *widget.Label
	Cases    *widget.Button
	Requests *widget.Button
	Logout   *widget.Button
}

func (u *UI) newNavBar() *navBar {
	n := &navBar{}
	who := ""
	if u.officer != nil {
		who = fmt.Sprintf("%s (%s)", u.officer.Name, u.officer.ID)
		if u.officer.Role != "" {
			who += " · " + strings.ToUpper(u.officer.Role[:1]) + u.officer.Role[1:]
		}
	}
	n.Who = widget.NewLabel(who)
	n.Cases = widget.NewButtonWithIcon("Cases", theme.FolderIcon(), func() { u.touch(); u.showCases() })
	n.Requests = widget.NewButtonWithIcon("Requests", theme.MailComposeIcon(), func() { u.touch(); u.showRequests() })
	n.Logout = widget.NewButtonWithIcon("Log out", theme.LogoutIcon(), func() { u.logout() })
	n.bar = container.NewHBox(n.Cases, n.Requests, layout.NewSpacer(), n.Who, n.Logout)
	u.refreshBadge(n)
	return n
}

// refreshBadge shows the number of pending requests on the Requests button
// of a supervisor.
func (u *UI) refreshBadge(n *navBar) {
	if u.officer == nil || !u.officer.Supervisor {
		return
	}
	u.run(func(ctx context.Context) func() {
		reqs, err := u.backend.PendingRequests(ctx)
		return func() {
			if err != nil {
				return
			}
			if len(reqs) > 0 {
				n.Requests.SetText(fmt.Sprintf("Requests (%d)", len(reqs)))
				n.Requests.Importance = widget.HighImportance
			} else {
				n.Requests.SetText("Requests")
				n.Requests.Importance = widget.MediumImportance
			}
			n.Requests.Refresh()
		}
	})
}

// badgeLoop refreshes a supervisor's request badge every minute until the
// session locks.
func (u *UI) badgeLoop(gen uint64) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for range t.C {
		stop := false
		fyne.DoAndWait(func() {
			if u.gen != gen || u.locked {
				stop = true
				return
			}
			if u.nav != nil {
				u.refreshBadge(u.nav)
			}
		})
		if stop {
			return
		}
	}
}

// logout ends the session; the backend's lock event shows the lock screen.
func (u *UI) logout() {
	u.run(func(ctx context.Context) func() {
		err := u.backend.Logout(ctx)
		return func() {
			// The backend wipes and sends a lock event; lock here too in
			// case its event was lost, so the screen never stays open.
			u.lock(LockEvent{Reason: LockLogout, Message: "You logged out: case data was wiped."})
			if err != nil {
				u.logf("logout: %v", err)
			}
		}
	})
}

// lock hides everything that was shown and shows the lock screen.
func (u *UI) lock(ev LockEvent) {
	if u.locked {
		if u.Lock != nil && (u.lockReason == lockWiping || ev.Reason != LockLogout) {
			// The wipe's own event replaces "locking…", and a more
			// telling reason replaces "you logged out".
			u.Lock.setReason(ev)
			u.lockReason = ev.Reason
			u.logf("locked: %s", u.Lock.Reason.Text)
		}
		return
	}
	u.lockReason = ev.Reason
	u.gen++
	u.locked = true
	u.officer = nil
	u.hideOverlays()
	if u.Doc != nil {
		u.Doc.close()
		u.Doc = nil
	}
	u.wipePages()
	u.Cases, u.Case, u.Requests, u.Audit = nil, nil, nil, nil
	u.showLock(ev)
	u.logf("locked: %s", u.Lock.Reason.Text)
}

// wipePages zeroes the pages this UI rendered and asks the renderer to
// zero its own. It is registered with the backend's wipe.
func (u *UI) wipePages() {
	if d := u.shownDoc.Load(); d != nil {
		d.wipeBuffers()
	}
	if u.renderer != nil {
		u.renderer.Wipe()
	}
}

// lockWiping is the reason shown between the start of a wipe and its lock
// event.
const lockWiping LockReason = -1

type pageWiperFunc func()

func (f pageWiperFunc) Wipe() { f() }

// installShortcuts routes the document keys to the document screen.
func (u *UI) installShortcuts() {
	c := u.Window.Canvas()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		u.touch()
		if u.current == "banner" && (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter) {
			u.showLogin()
			return
		}
		if u.Doc != nil && u.current == "document" {
			u.Doc.typedKey(ev)
		}
	})
	c.SetOnTypedRune(func(r rune) {
		u.touch()
		if u.Doc != nil && u.current == "document" {
			u.Doc.typedRune(r)
		}
	})
	c.AddShortcut(&desktopShortcutFind, u.typedShortcut)
}

// typedShortcut runs the window's shortcuts: from the canvas, or from an
// entry that has focus (SafeEntry.OnShortcut).
func (u *UI) typedShortcut(s fyne.Shortcut) {
	u.touch()
	if s.ShortcutName() == desktopShortcutFind.ShortcutName() && u.Doc != nil && u.current == "document" {
		u.Doc.focusFind()
	}
}
