package app

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"caseviewer/viewer"
)

// newTestUI builds the UI on a test app with a fake backend and renderer,
// synchronously, and shows its first screen.
func newTestUI(t *testing.T, b *fakeBackend, r *fakeRenderer) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	if r == nil {
		r = &fakeRenderer{pages: 3}
	}
	u := New(a, b, r, Options{Synchronous: true, Now: func() time.Time { return time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC) }})
	u.Window.Resize(fyne.NewSize(1200, 800))
	u.Start()
	t.Cleanup(u.Window.Close)
	return u
}

// walk calls f on every object shown under o, widget internals included.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, f)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			walk(ch, f)
		}
	}
}

// shown returns everything on the window: content and overlays.
func shown(u *UI) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	collect := func(o fyne.CanvasObject) { out = append(out, o) }
	walk(u.Window.Content(), collect)
	for _, ov := range u.Window.Canvas().Overlays().List() {
		walk(ov, collect)
	}
	return out
}

// allText returns every text the window shows.
func allText(u *UI) string {
	var b strings.Builder
	for _, o := range shown(u) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *canvas.Text:
			b.WriteString(x.Text + "\n")
		case *widget.Entry:
			b.WriteString(x.Text + "\n")
		case *widget.Button:
			b.WriteString(x.Text + "\n")
		}
	}
	return b.String()
}

// buttons returns the visible buttons whose text is text.
func buttons(u *UI, text string) []*widget.Button {
	var out []*widget.Button
	for _, o := range shown(u) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			out = append(out, b)
		}
	}
	return out
}

func labelWith(u *UI, sub string) *widget.Label {
	for _, o := range shown(u) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, sub) {
			return l
		}
	}
	return nil
}

func login(t *testing.T, u *UI, id, pw string) {
	t.Helper()
	if u.Screen() == "banner" {
		test.Tap(u.Banner.Accept)
	}
	if u.Screen() != "login" {
		t.Fatalf("screen = %q, want login", u.Screen())
	}
	u.Login.OfficerID.SetText("")
	test.Type(u.Login.OfficerID, id)
	test.Type(u.Login.Password, pw)
	test.Tap(u.Login.LoginBtn)
}

func mustScreen(t *testing.T, u *UI, want string) {
	t.Helper()
	if got := u.Screen(); got != want {
		t.Fatalf("screen = %q, want %q (last message %q)", got, want, u.lastError)
	}
}

func TestEnrollment(t *testing.T) {
	tests := []struct {
		name, addr, token string
		wantScreen        string
		wantStatus        string
	}{
		{"good token", "station.test:8443", "TOKEN-GOOD", "banner", ""},
		{"wrong token", "station.test:8443", "TOKEN-BAD", "enroll", "did not accept this enrollment token"},
		{"expired token", "station.test:8443", "TOKEN-OLD", "enroll", "has expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newFakeBackend()
			b.enrolled = false
			u := newTestUI(t, b, nil)
			mustScreen(t, u, "enroll")
			if !u.Enroll.EnrollButton.Disabled() {
				t.Fatal("enroll is possible before the fingerprints were shown")
			}
			test.Type(u.Enroll.Address, tt.addr)
			test.Tap(u.Enroll.Check)
			if u.Enroll.CA.Text != fakeCA || u.Enroll.StationKey.Text != fakeKey {
				t.Fatalf("fingerprints shown %q %q", u.Enroll.CA.Text, u.Enroll.StationKey.Text)
			}
			// Changing the address drops what was shown for the old one.
			test.Type(u.Enroll.Address, "x")
			if !u.Enroll.EnrollButton.Disabled() || u.Enroll.CA.Text == fakeCA {
				t.Fatal("fingerprints kept after the address changed")
			}
			u.Enroll.Address.SetText(tt.addr)
			test.Tap(u.Enroll.Check)
			test.Type(u.Enroll.Token, tt.token)
			test.Tap(u.Enroll.EnrollButton)
			mustScreen(t, u, tt.wantScreen)
			if tt.wantStatus != "" && !strings.Contains(u.Enroll.Status.Text, tt.wantStatus) {
				t.Errorf("status %q, want it to say %q", u.Enroll.Status.Text, tt.wantStatus)
			}
			if b.Enrolled() != (tt.wantScreen == "banner") {
				t.Errorf("enrolled = %v", b.Enrolled())
			}
		})
	}
}

func TestEnrollmentUnreachable(t *testing.T) {
	b := newFakeBackend()
	b.enrolled = false
	b.reachable = false
	u := newTestUI(t, b, nil)
	test.Type(u.Enroll.Address, "station.test:8443")
	test.Tap(u.Enroll.Check)
	if !strings.Contains(u.Enroll.Status.Text, "cannot be reached") {
		t.Errorf("status %q", u.Enroll.Status.Text)
	}
	if !u.Enroll.EnrollButton.Disabled() {
		t.Error("enroll enabled without fingerprints")
	}
}

func TestAutoEnrollLogsFingerprints(t *testing.T) {
	b := newFakeBackend()
	b.enrolled = false
	var logged []string
	u := New(test.NewTempApp(t), b, &fakeRenderer{pages: 1}, Options{Synchronous: true,
		EnrollAddr: "station.test:8443", EnrollToken: "TOKEN-GOOD",
		Logf: func(f string, a ...any) { logged = append(logged, f) }})
	u.Start()
	mustScreen(t, u, "banner")
	if !strings.Contains(strings.Join(logged, "\n"), "CA fingerprint") {
		t.Errorf("fingerprints not logged: %q", logged)
	}
}

func TestBannerBeforeLogin(t *testing.T) {
	u := newTestUI(t, newFakeBackend(), nil)
	mustScreen(t, u, "banner")
	txt := strings.ToLower(allText(u))
	for _, want := range []string{"monitored, recorded and audited", "criminal and civil penalties", "consent"} {
		if !strings.Contains(txt, want) {
			t.Errorf("banner lacks %q", want)
		}
	}
	if u.Login != nil {
		t.Fatal("login form built before the banner was acknowledged")
	}
	test.Tap(u.Banner.Accept)
	mustScreen(t, u, "login")
}

func TestLoginErrors(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	login(t, u, "D-4471", "wrong")
	mustScreen(t, u, "login")
	if got := u.Login.Message.Text; !strings.Contains(got, "4 attempts left") {
		t.Errorf("first failure says %q", got)
	}
	if u.Login.Password.Text != "" {
		t.Error("password left in the form after a failed login")
	}
	for i := 0; i < 3; i++ {
		login(t, u, "D-4471", "wrong")
	}
	if got := u.Login.Message.Text; !strings.Contains(got, "One attempt left") {
		t.Errorf("fourth failure says %q", got)
	}
	login(t, u, "D-4471", "wrong")
	if got := u.Login.Message.Text; !strings.Contains(got, "locked") || !strings.Contains(got, "Call an administrator") {
		t.Errorf("locked account says %q", got)
	}
	// Even the right password is refused now.
	login(t, u, "D-4471", "detective-pw")
	mustScreen(t, u, "login")
	if !strings.Contains(u.Login.Message.Text, "administrator") {
		t.Errorf("locked account with right password says %q", u.Login.Message.Text)
	}

	b.revoked = true
	login(t, u, "S-1001", "supervisor-pw")
	if got := u.Login.Message.Text; !strings.Contains(got, "revoked") {
		t.Errorf("revoked device says %q", got)
	}
	b.revoked, b.reachable = false, false
	login(t, u, "S-1001", "supervisor-pw")
	if got := u.Login.Message.Text; !strings.Contains(got, "cannot be reached") {
		t.Errorf("unreachable station says %q", got)
	}
	login(t, u, "", "")
	if got := u.Login.Message.Text; !strings.Contains(got, "Enter your officer ID") {
		t.Errorf("empty form says %q", got)
	}
}

func TestDetectiveCasesAndAccessRequest(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	login(t, u, "D-4471", "detective-pw")
	mustScreen(t, u, "cases")
	if n := u.Cases.List.Length(); n != 1 {
		t.Fatalf("detective sees %d cases, want 1 (team only)", n)
	}
	if !strings.Contains(allText(u), "Harbor Street homicide") || !strings.Contains(allText(u), "Case team") {
		t.Errorf("case list shows:\n%s", allText(u))
	}
	// Local filter.
	test.Type(u.Cases.Search, "9999")
	if n := u.Cases.List.Length(); n != 0 {
		t.Errorf("filter kept %d cases", n)
	}
	// Find a case that is not ours and request access.
	u.Cases.Search.SetText("")
	test.Type(u.Cases.Search, "2026-0244")
	test.Tap(u.Cases.Find)
	mustScreen(t, u, "cases")
	if !u.Cases.RequestAccess.Visible() {
		t.Fatal("no Request access button for a case the detective cannot open")
	}
	test.Tap(u.Cases.RequestAccess)
	test.Tap(u.Cases.Send) // no reason yet: refused
	if len(b.requests) != 0 {
		t.Fatal("request sent without a reason")
	}
	test.Type(u.Cases.Reason, "Same suspect as in 2026-0117")
	u.Cases.Duration.SetSelected("3 days")
	test.Tap(u.Cases.Send)
	if len(b.requests) != 1 {
		t.Fatalf("requests = %d, want 1", len(b.requests))
	}
	r := b.requests[0]
	if r.CaseID != "c2" || r.Duration != 72*time.Hour || r.Reason != "Same suspect as in 2026-0117" {
		t.Errorf("request sent = %+v", r)
	}
	if !strings.Contains(u.Cases.Result.Text, "sent") {
		t.Errorf("result says %q", u.Cases.Result.Text)
	}
	// Unknown case number: a dialog with a sentence.
	u.Cases.Search.SetText("1900-0001")
	test.Tap(u.Cases.Find)
	if !strings.Contains(u.lastError, "Nothing was found") || u.Window.Canvas().Overlays().Top() == nil {
		t.Errorf("unknown case: dialog %q", u.lastError)
	}
	u.hideOverlays()

	// My requests shows it pending.
	test.Tap(u.nav.Requests)
	mustScreen(t, u, "requests")
	if u.Requests.QueueTab != nil {
		t.Error("a detective sees the supervisor queue")
	}
	if !strings.Contains(allText(u), "Case 2026-0244 · Pending") {
		t.Errorf("my requests shows:\n%s", allText(u))
	}

	// A detective has no audit trail button.
	test.Tap(u.nav.Cases)
	u.Cases.List.Select(0)
	mustScreen(t, u, "case")
	if u.Case.Audit.Visible() {
		t.Error("detective sees the audit trail button")
	}
	txt := allText(u)
	for _, want := range []string{"Case 2026-0117: Harbor Street homicide", "Incident report", "Report · 3 pages · added by D-4471", "0 annotations"} {
		if !strings.Contains(txt, want) {
			t.Errorf("case screen lacks %q:\n%s", want, txt)
		}
	}
}

func TestSupervisorQueue(t *testing.T) {
	b := newFakeBackend()
	now := time.Now()
	b.requests = []Request{
		{ID: "r1", CaseID: "c1", CaseNumber: "2026-0117", Requester: "D-5020", RequesterN: "Sam Ortiz", Reason: "Linked burglary", Duration: 24 * time.Hour, State: StatePending, Created: now},
		{ID: "r2", CaseID: "c2", CaseNumber: "2026-0244", Requester: "S-1001", RequesterN: "Morgan Blake", Reason: "Review", Duration: 4 * time.Hour, State: StatePending, Created: now},
		{ID: "r3", CaseID: "c2", CaseNumber: "2026-0244", Requester: "D-4471", RequesterN: "Dana Reyes", Reason: "Pattern", Duration: 4 * time.Hour, State: StatePending, Created: now},
	}
	b.nextID = 3
	u := newTestUI(t, b, nil)
	login(t, u, "S-1001", "supervisor-pw")
	mustScreen(t, u, "cases")
	if got := u.nav.Requests.Text; got != "Requests (3)" {
		t.Errorf("badge = %q, want Requests (3)", got)
	}
	test.Tap(u.nav.Requests)
	u.Requests.Tabs.SelectIndex(1)
	if got := u.Requests.QueueTab.Text; got != "Unit queue (3)" {
		t.Errorf("queue tab = %q", got)
	}
	approves := buttons(u, "Approve…")
	if len(approves) != 3 {
		t.Fatalf("%d approve buttons, want 3", len(approves))
	}
	// Own request: the button is disabled and says why.
	if !approves[1].Disabled() {
		t.Error("supervisor may press approve on their own request")
	}
	if labelWith(u, "Your own request: another supervisor must decide it.") == nil {
		t.Error("no reason shown for the disabled approve button")
	}
	test.Tap(approves[1])
	if b.requests[1].State != StatePending {
		t.Fatal("own request changed state")
	}
	// Even if the dialog is forced, the backend's refusal is explained.
	u.showApprove(u.Requests, Request{ID: "r2", Requester: "D-0000"})
	test.Tap(u.Requests.ConfirmApprove)
	if !strings.Contains(u.lastError, "cannot approve your own request") {
		t.Errorf("self-approval refusal says %q", u.lastError)
	}
	u.hideOverlays()

	// Approve another officer's request: 1 week, annotate.
	test.Tap(approves[0])
	u.Requests.ApproveDuration.SetSelected("1 week")
	u.Requests.ApproveScope.SetSelected("View and annotate")
	test.Tap(u.Requests.ConfirmApprove)
	if r := b.requests[0]; r.State != StateApproved || r.Duration != 7*24*time.Hour || r.Scope != ScopeAnnotate || r.DecidedBy != "S-1001" {
		t.Errorf("after approve: %+v", r)
	}
	// Deny the third with a reason.
	test.Tap(buttons(u, "Deny…")[1])
	test.Tap(u.Requests.ConfirmDeny) // no reason: refused
	if b.requests[2].State != StatePending {
		t.Fatal("denied without a reason")
	}
	test.Type(u.Requests.DenyReason, "Not your unit")
	test.Tap(u.Requests.ConfirmDeny)
	if r := b.requests[2]; r.State != StateDenied || r.DecisionReason != "Not your unit" {
		t.Errorf("after deny: %+v", r)
	}
	if got := u.Requests.QueueTab.Text; got != "Unit queue (1)" {
		t.Errorf("queue tab after decisions = %q", got)
	}
	if got := u.nav.Requests.Text; got != "Requests (1)" {
		t.Errorf("badge after decisions = %q", got)
	}
	// The queue says what was decided last; when another supervisor has
	// decided the rest, it says nothing is waiting instead of going blank.
	if st := u.Requests.QueueStatus; !st.Visible() || st.Text != "Denied: Dana Reyes (D-4471) was told why they may not open case 2026-0244." {
		t.Errorf("queue status after deny = %q (shown %v)", st.Text, st.Visible())
	}
	b.requests[1].State = StateDenied
	u.loadRequests(u.Requests)
	if st := u.Requests.QueueStatus.Text; !strings.Contains(st, "No access requests are waiting for a decision in your unit.") {
		t.Errorf("empty queue status = %q", st)
	}
}

// TestApprovalIsConfirmed: the supervisor sees what an approval granted.
func TestApprovalIsConfirmed(t *testing.T) {
	b := newFakeBackend()
	b.requests = []Request{{ID: "r1", CaseID: "c1", CaseNumber: "2026-0117", Requester: "D-5020", RequesterN: "Sam Ortiz", Reason: "Linked burglary",
		Duration: 24 * time.Hour, State: StatePending, Created: time.Now()}}
	b.nextID = 1
	u := newTestUI(t, b, nil)
	login(t, u, "S-1001", "supervisor-pw")
	test.Tap(u.nav.Requests)
	if u.Requests.QueueStatus.Visible() {
		t.Errorf("queue status shown before any decision: %q", u.Requests.QueueStatus.Text)
	}
	test.Tap(buttons(u, "Approve…")[0])
	u.Requests.ApproveDuration.SetSelected("1 week")
	u.Requests.ApproveScope.SetSelected("View and annotate")
	test.Tap(u.Requests.ConfirmApprove)
	want := "Approved: Sam Ortiz (D-5020) may open and annotate case 2026-0117 for 1 week.\nNo access requests are waiting for a decision in your unit."
	if st := u.Requests.QueueStatus; !st.Visible() || st.Text != want {
		t.Errorf("queue status after approve = %q (shown %v), want %q", st.Text, st.Visible(), want)
	}
}

func TestAuditTrail(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	login(t, u, "S-1001", "supervisor-pw")
	u.Cases.List.Select(0)
	mustScreen(t, u, "case")
	if !u.Case.Audit.Visible() {
		t.Fatal("supervisor has no audit trail button")
	}
	test.Tap(u.Case.Audit)
	mustScreen(t, u, "audit")
	if !strings.HasPrefix(u.Audit.Verified.Text, "Verified") || u.Audit.Table.Length() != 2 {
		t.Errorf("audit: %q, %d records", u.Audit.Verified.Text, u.Audit.Table.Length())
	}
	txt := allText(u)
	if !strings.Contains(txt, "D-5020 · open Incident report · denied · ✓") || !strings.Contains(txt, "allowed · session K7Q2 · ✓") {
		t.Errorf("audit shows:\n%s", txt)
	}
	test.Type(u.Audit.Officer, "D-4471")
	test.Tap(u.Audit.Filter)
	if n := u.Audit.Table.Length(); n != 1 {
		t.Errorf("filtered to %d records, want 1", n)
	}
	b.audit.Verified, b.audit.Detail = false, "checkpoint signature invalid"
	b.audit.Records[0].Verified = false
	test.Tap(u.Audit.Filter)
	if !strings.HasPrefix(u.Audit.Verified.Text, "NOT fully verified") || !strings.Contains(u.Audit.Verified.Text, "0 of 1 records proven") ||
		!strings.Contains(u.Audit.Verified.Text, "checkpoint signature invalid") || !strings.Contains(allText(u), "· unproven") {
		t.Errorf("unverified trail says %q", u.Audit.Verified.Text)
	}
}

func TestCasesErrorIsADialog(t *testing.T) {
	b := newFakeBackend()
	b.failCases = ErrAuditFailed
	u := newTestUI(t, b, nil)
	login(t, u, "D-4471", "detective-pw")
	if u.Window.Canvas().Overlays().Top() == nil {
		t.Fatal("no dialog for a station error")
	}
	if !strings.Contains(u.lastError, "audit log") || strings.Contains(u.lastError, "Something went wrong") {
		t.Errorf("dialog says %q", u.lastError)
	}
}

func TestClipboardNeverGetsCaseText(t *testing.T) {
	u := newTestUI(t, newFakeBackend(), nil)
	login(t, u, "D-4471", "detective-pw")
	clip := u.App.Clipboard()
	clip.SetContent("")
	test.Type(u.Cases.Search, "2026-0117")
	u.Window.Canvas().Focus(u.Cases.Search)
	u.Cases.Search.TypedShortcut(&fyne.ShortcutSelectAll{})
	u.Cases.Search.TypedShortcut(&fyne.ShortcutCopy{Clipboard: clip})
	u.Cases.Search.TypedShortcut(&fyne.ShortcutCut{Clipboard: clip})
	if got := clip.Content(); got != "" {
		t.Errorf("clipboard got %q", got)
	}
	if u.Cases.Search.Text != "2026-0117" {
		t.Errorf("cut removed the text: %q", u.Cases.Search.Text)
	}
	// Paste still works: only copying out is refused.
	clip.SetContent("-X")
	u.Cases.Search.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	if !strings.Contains(u.Cases.Search.Text, "-X") {
		t.Errorf("paste failed: %q", u.Cases.Search.Text)
	}
}

func TestExplainAlwaysASentence(t *testing.T) {
	for _, err := range []error{ErrUnreachable, ErrWrongToken, ErrTokenExpired, ErrWrongPassword, &WrongPasswordError{AttemptsLeft: 2},
		ErrAccountLocked, ErrDeviceRevoked, ErrNotEnrolled, ErrAccessDenied, ErrGrantExpired, ErrSelfApproval, ErrNotFound,
		ErrAuditFailed, ErrSessionEnded, ErrTampered, ErrKeyringMissing,
		viewer.ErrInvalidPDF, viewer.ErrPassword, viewer.ErrTooLarge, viewer.ErrTimeout, viewer.ErrWatermark, viewer.ErrClosed} {
		s := Explain(err)
		if strings.HasPrefix(s, "Something went wrong") || !strings.HasSuffix(s, ".") || s[0] < 'A' || s[0] > 'Z' {
			t.Errorf("Explain(%v) = %q", err, s)
		}
	}
}

// pixel returns the colour at (x, y) of img.
func pixel(img *image.RGBA, x, y int) [3]uint8 {
	o := img.PixOffset(x, y)
	return [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]}
}

func imageRect(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }

// near reports whether two page rectangles agree within 5 points (the
// test driver places the pointer to a few units).
func near(a, b Rect) bool {
	d := func(x, y float64) bool { return x-y < 5 && y-x < 5 }
	return d(a.X0, b.X0) && d(a.Y0, b.Y0) && d(a.X1, b.X1) && d(a.Y1, b.Y1)
}

func TestResultsAfterLockAreDropped(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	login(t, u, "D-4471", "detective-pw")
	applied := false
	u.run(func(context.Context) func() {
		// The session locks while this call is at the station.
		b.fire(LockEvent{Reason: LockIdle})
		return func() { applied = true; u.showCases() }
	})
	if applied {
		t.Error("a result that arrived after the lock was shown")
	}
	mustScreen(t, u, "locked")
}

func TestNoMenuAndNoCaseDataInTitles(t *testing.T) {
	b := newFakeBackend()
	u := newTestUI(t, b, nil)
	if u.Window.MainMenu() != nil {
		t.Error("the window has a menu (it could offer save, print or export)")
	}
	openIncidentReport(t, u, "D-4471", "detective-pw")
	for _, secret := range []string{"2026-0117", "Harbor", "Incident"} {
		if strings.Contains(u.Window.Title(), secret) {
			t.Errorf("window title %q carries case data", u.Window.Title())
		}
	}
}
