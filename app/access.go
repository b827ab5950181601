package app

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"caseviewer/assets"
)

var desktopShortcutFind = desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}

// EnrollScreen enrolls this laptop with a station (first run).
type EnrollScreen struct {
	Address      *widget.Entry
	Check        *widget.Button
	CA           *widget.Label
	StationKey   *widget.Label
	Token        *widget.Entry
	EnrollButton *widget.Button
	Status       *widget.Label
}

func (u *UI) showEnroll() {
	s := &EnrollScreen{
		Address:    widget.NewEntry(),
		CA:         widget.NewLabel("—"),
		StationKey: widget.NewLabel("—"),
		Token:      widget.NewEntry(),
		Status:     widget.NewLabel(""),
	}
	s.Address.SetPlaceHolder("station.example.gov:8443")
	s.Token.SetPlaceHolder("one-time token from the administrator")
	s.CA.TextStyle.Monospace = true
	s.StationKey.TextStyle.Monospace = true
	s.CA.Wrapping = fyne.TextWrapBreak
	s.StationKey.Wrapping = fyne.TextWrapBreak
	s.Status.Wrapping = fyne.TextWrapWord
	s.Status.TextStyle.Bold = true
	s.Check = widget.NewButtonWithIcon("Check station", theme.SearchIcon(), func() {
		addr := strings.TrimSpace(s.Address.Text)
		if addr == "" {
			s.Status.SetText("Enter the station address the administrator gave you.")
			return
		}
		s.Status.SetText("Contacting " + addr + "…")
		u.run(func(ctx context.Context) func() {
			fp, err := u.backend.Discover(ctx, addr)
			return func() {
				if err != nil {
					s.Status.SetText(Explain(err))
					s.EnrollButton.Disable()
					return
				}
				s.CA.SetText(fp.CA)
				s.StationKey.SetText(fp.StationKey)
				s.Status.SetText("Compare both fingerprints with what the administrator reads out. Enroll only if they match exactly.")
				s.EnrollButton.Enable()
				u.Window.Canvas().Focus(s.Token)
			}
		})
	})
	s.EnrollButton = widget.NewButtonWithIcon("Fingerprints match: enroll", theme.ConfirmIcon(), func() {
		addr, token := strings.TrimSpace(s.Address.Text), strings.TrimSpace(s.Token.Text)
		if token == "" {
			s.Status.SetText("Enter the one-time enrollment token.")
			return
		}
		s.Status.SetText("Enrolling…")
		u.run(func(ctx context.Context) func() {
			err := u.backend.Enroll(ctx, addr, token)
			return func() {
				if err != nil {
					s.Status.SetText(Explain(err))
					return
				}
				s.Token.SetText("")
				u.showBanner()
			}
		})
	})
	s.EnrollButton.Importance = widget.HighImportance
	s.EnrollButton.Disable()
	form := widget.NewForm(
		widget.NewFormItem("Station address", container.NewBorder(nil, nil, nil, s.Check, s.Address)),
		widget.NewFormItem("CA fingerprint", s.CA),
		widget.NewFormItem("Station key", s.StationKey),
		widget.NewFormItem("Enrollment token", s.Token),
	)
	content := container.NewVBox(
		heading("Enroll this laptop"),
		widget.NewLabel("This laptop is not enrolled with a station yet. An administrator gives you the station\naddress and a one-time token, and reads out two fingerprints for you to compare."),
		form, s.Status, container.NewHBox(layout.NewSpacer(), s.EnrollButton),
	)
	s.Address.OnSubmitted = func(string) { s.Check.OnTapped() }
	s.Address.OnChanged = func(string) {
		// Fingerprints belong to the address they were fetched from.
		s.CA.SetText("—")
		s.StationKey.SetText("—")
		s.EnrollButton.Disable()
	}
	s.Token.OnSubmitted = func(string) {
		if !s.EnrollButton.Disabled() {
			s.EnrollButton.OnTapped()
		}
	}
	u.Enroll = s
	u.setContent("enroll", "Enroll", centered(content, 760))
	u.Window.Canvas().Focus(s.Address)
}

// BannerScreen is the CJIS system-use notice (AC-8), acknowledged before
// the login form.
type BannerScreen struct {
	Text   *widget.Label
	Accept *widget.Button
}

func (u *UI) showBanner() {
	s := &BannerScreen{Text: widget.NewLabel(assets.BannerBody())}
	s.Text.Wrapping = fyne.TextWrapWord
	s.Accept = widget.NewButtonWithIcon("I understand and agree", theme.ConfirmIcon(), func() { u.showLogin() })
	s.Accept.Importance = widget.HighImportance
	title := canvas.NewText(assets.BannerTitle(), warnAmber)
	title.TextStyle.Bold = true
	title.TextSize = 20
	title.Alignment = fyne.TextAlignCenter
	icon := canvas.NewImageFromResource(Icon())
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	content := container.NewVBox(icon, title, widget.NewSeparator(), s.Text,
		container.NewHBox(layout.NewSpacer(), s.Accept, layout.NewSpacer()))
	u.Banner = s
	u.setContent("banner", "System-use notice", centered(content, 760))
}

// Credentials is the officer ID and password form that the login and the
// lock screens share, with its progress and message.
type Credentials struct {
	OfficerID *SafeEntry
	Password  *widget.Entry
	Message   *widget.Label
	Progress  *widget.ProgressBarInfinite
}

func (u *UI) newCredentials() Credentials {
	c := Credentials{OfficerID: NewSafeEntry(), Password: widget.NewPasswordEntry(),
		Message: widget.NewLabel(""), Progress: widget.NewProgressBarInfinite()}
	c.Progress.Hide()
	c.Progress.Stop()
	c.Message.Wrapping = fyne.TextWrapWord
	c.Message.Importance = widget.DangerImportance
	c.OfficerID.SetPlaceHolder("e.g. D-4471")
	c.OfficerID.SetText(u.lastID)
	c.OfficerID.OnSubmitted = func(string) { u.Window.Canvas().Focus(c.Password) }
	return c
}

func (c Credentials) form() *widget.Form {
	return widget.NewForm(widget.NewFormItem("Officer ID", c.OfficerID), widget.NewFormItem("Password", c.Password))
}

// LoginScreen asks for the officer ID and password.
type LoginScreen struct {
	Credentials
	LoginBtn *widget.Button
}

func (u *UI) showLogin() {
	s := &LoginScreen{Credentials: u.newCredentials()}
	s.LoginBtn = widget.NewButtonWithIcon("Log in", theme.LoginIcon(), func() { u.submitLogin(s.Credentials, s.LoginBtn) })
	s.LoginBtn.Importance = widget.HighImportance
	s.Password.OnSubmitted = func(string) { s.LoginBtn.OnTapped() }
	icon := canvas.NewImageFromResource(Icon())
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(96, 96))
	content := container.NewVBox(icon, heading("Case Viewer"), s.form(),
		container.NewHBox(layout.NewSpacer(), s.LoginBtn), s.Progress, s.Message)
	u.Login = s
	u.setContent("login", "Log in", centered(content, 460))
	u.Window.Canvas().Focus(s.OfficerID)
	if s.OfficerID.Text != "" {
		u.Window.Canvas().Focus(s.Password)
	}
}

// submitLogin logs in with the form's values; shared by the login and the
// lock screen.
func (u *UI) submitLogin(c Credentials, btn *widget.Button) {
	officerID := strings.TrimSpace(c.OfficerID.Text)
	if officerID == "" || c.Password.Text == "" {
		c.Message.SetText("Enter your officer ID and password.")
		return
	}
	password := []byte(c.Password.Text)
	c.Password.SetText("")
	btn.Disable()
	c.Message.SetText("")
	c.Progress.Show()
	c.Progress.Start()
	u.run(func(ctx context.Context) func() {
		off, err := u.backend.Login(ctx, officerID, password)
		clear(password)
		return func() {
			btn.Enable()
			c.Progress.Stop()
			c.Progress.Hide()
			if err != nil {
				c.Message.SetText(Explain(err))
				u.logf("login refused for %s", officerID)
				return
			}
			u.officer = &off
			u.lastID = off.ID
			u.locked = false
			u.Lock = nil
			u.logf("logged in as %s", off.ID)
			u.showCases()
			if off.Supervisor && !u.opts.Synchronous {
				go u.badgeLoop(u.gen)
			}
		}
	})
}

// LockScreen hides everything and asks for the password again.
type LockScreen struct {
	Credentials
	Reason   *widget.Label
	Failures *widget.Label
	Unlock   *widget.Button
}

func (u *UI) showLock(ev LockEvent) {
	s := &LockScreen{Credentials: u.newCredentials(), Reason: widget.NewLabel(""), Failures: widget.NewLabel("")}
	s.Reason.Wrapping = fyne.TextWrapWord
	s.Reason.Alignment = fyne.TextAlignCenter
	s.Reason.TextStyle.Bold = true
	s.Failures.Wrapping = fyne.TextWrapWord
	s.Failures.Importance = widget.WarningImportance
	s.setReason(ev)
	s.Unlock = widget.NewButtonWithIcon("Accept notice and unlock", theme.LoginIcon(), func() { u.submitLogin(s.Credentials, s.Unlock) })
	s.Unlock.Importance = widget.HighImportance
	s.Password.OnSubmitted = func(string) { s.Unlock.OnTapped() }
	notice := widget.NewLabel(assets.BannerTitle() + ". Use may be monitored, recorded and audited; unauthorized use carries criminal and civil penalties; use means consent.")
	notice.Wrapping = fyne.TextWrapWord
	notice.Importance = widget.LowImportance
	lockIcon := widget.NewIcon(theme.VisibilityOffIcon())
	content := container.NewVBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(64, 64), lockIcon)), heading("Case Viewer is locked"),
		s.Reason, s.Failures, widget.NewSeparator(), s.form(), notice, container.NewHBox(layout.NewSpacer(), s.Unlock), s.Progress, s.Message)
	u.Lock = s
	u.setContent("locked", "Locked", centered(content, 560))
	u.Window.Canvas().Focus(s.Password)
}

func (s *LockScreen) setReason(ev LockEvent) {
	msg := ev.Message
	if msg == "" {
		msg = lockMessage(ev.Reason)
	}
	s.Reason.SetText(msg)
	if len(ev.Failures) > 0 {
		s.Failures.SetText("Parts of the wipe failed and were reported: " + strings.Join(ev.Failures, "; ") + ". Tell an administrator.")
		s.Failures.Show()
	} else {
		s.Failures.SetText("")
		s.Failures.Hide()
	}
}

func lockMessage(r LockReason) string {
	switch r {
	case LockIdle:
		return "Locked after inactivity: case data was wiped."
	case LockSessionExpired:
		return "Your session expired: case data was wiped."
	case LockDeviceRevoked:
		return "This laptop was revoked by the station: case data was wiped."
	case LockLeftNetwork:
		return "Left the station network: case data was wiped."
	}
	return "You logged out: case data was wiped."
}

// heading is a large bold centred title.
func heading(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	l.SizeName = theme.SizeNameHeadingText
	l.Alignment = fyne.TextAlignCenter
	return l
}

// centered places c in the middle of the window at a fixed width.
// Its height follows the content as it grows.
func centered(c fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.NewCenter(container.New(&fixedWidth{w: width}, c))
}

// SafeEntry is a text entry whose text cannot be copied or cut out of the
// app (no shortcut, no context menu): the clipboard never gets case text.
type SafeEntry struct {
	widget.Entry

	// OnShortcut, when set, gets the window's own shortcuts (Ctrl+F) that
	// the desktop driver hands to the entry with focus rather than to the
	// window, so they keep working while the entry is being typed in.
	OnShortcut func(fyne.Shortcut)
}

// NewSafeEntry returns a one-line SafeEntry.
func NewSafeEntry() *SafeEntry {
	e := &SafeEntry{}
	e.ExtendBaseWidget(e)
	return e
}

// NewSafeMultiLineEntry returns a multi-line, word-wrapping SafeEntry.
func NewSafeMultiLineEntry() *SafeEntry {
	e := &SafeEntry{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut drops copy and cut, hands the window's shortcuts to
// OnShortcut and passes every other shortcut on to the entry.
func (e *SafeEntry) TypedShortcut(s fyne.Shortcut) {
	switch s.(type) {
	case *fyne.ShortcutCopy, *fyne.ShortcutCut:
		return
	case *desktop.CustomShortcut:
		if e.OnShortcut != nil {
			e.OnShortcut(s)
			return
		}
	}
	e.Entry.TypedShortcut(s)
}

// TypedKey lets Escape give the focus back to the window (so its keys
// page and zoom again); other keys edit the text.
func (e *SafeEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && !e.MultiLine {
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
			c.Unfocus()
			return
		}
	}
	e.Entry.TypedKey(k)
}

// TappedSecondary shows no context menu (it would offer copy).
func (e *SafeEntry) TappedSecondary(*fyne.PointEvent) {}
