package app

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
	"caseviewer/session"
	"caseviewer/station"
)

// The tests in this file run the GUI (Fyne's test driver) over the real
// client core and a real station on loopback: HTTPS with the pinned CA,
// the beacon, the demo data `station demo` seeds. Only the keyring (an
// in-memory go-keyring backend) and the PDF renderer (the fake, which
// still receives the real decrypted PDF) stand in.

type realStation struct {
	st   *station.Station
	addr string
	demo *station.Demo
}

func newRealStation(t *testing.T) *realStation {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := station.Init(ctx, dir, station.InitOptions{StationID: "ST-APPTEST"}); err != nil {
		t.Fatal(err)
	}
	st, err := station.Open(ctx, dir, station.Options{Argon2: &station.Argon2Params{Time: 1, MemKiB: 256, Threads: 1},
		CheckpointEvery: 1}) // every record at once in a checkpoint, so the trail verifies
	if err != nil {
		t.Fatal(err)
	}
	demo, err := st.SeedDemo(ctx, "app-test")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := station.NewServer(st, station.ServerConfig{BeaconPublic: pc.LocalAddr().String(), Logf: t.Logf})
	sctx, cancel := context.WithCancel(ctx)
	served, beaconDone := make(chan struct{}), make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(served) }()
	go func() { st.ServeBeacon(sctx, pc); close(beaconDone) }()
	t.Cleanup(func() {
		cancel()
		<-beaconDone
		pc.Close()
		<-served
		st.Close()
	})
	return &realStation{st: st, addr: ln.Addr().String(), demo: demo}
}

// newRealUI enrolls a fresh client with rs (as the demo launcher does) and
// shows the banner.
func newRealUI(t *testing.T, rs *realStation) (*UI, *fakeRenderer) {
	t.Helper()
	keys := keystore.Open("caseviewer-app-test", keystore.WithBackend(keystoretest.NewMemory()))
	c, err := session.New(session.Options{Keyring: keys, StateDir: filepath.Join(t.TempDir(), "state"),
		CacheDir: filepath.Join(t.TempDir(), "cache"), DeviceName: "app test laptop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(5 * time.Second) })
	r := &fakeRenderer{pages: 3}
	u := New(test.NewTempApp(t), NewSessionBackend(c), r, Options{Synchronous: true, EnrollAddr: rs.addr, EnrollToken: rs.demo.EnrollToken})
	u.Window.Resize(fyne.NewSize(1200, 800))
	u.Start()
	t.Cleanup(u.Window.Close)
	mustScreen(t, u, "banner")
	return u, r
}

// relogin logs out (if needed) and logs in as id on the lock screen.
func relogin(t *testing.T, u *UI, id, pw string) {
	t.Helper()
	if u.Screen() != "locked" {
		test.Tap(u.nav.Logout)
	}
	mustScreen(t, u, "locked")
	u.Lock.OfficerID.SetText(id)
	test.Type(u.Lock.Password, pw)
	test.Tap(u.Lock.Unlock)
	mustScreen(t, u, "cases")
}

func findCase(t *testing.T, u *UI, number string) {
	t.Helper()
	test.Tap(u.nav.Cases)
	u.Cases.Search.SetText(number)
	test.Tap(u.Cases.Find)
}

func TestRealStationWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real station; skipped in -short mode")
	}
	rs := newRealStation(t)
	u, r := newRealUI(t, rs)

	// Detective: own team case, a watermarked document, a request.
	login(t, u, "D-1001", "rivera-demo-pass")
	mustScreen(t, u, "cases")
	if !strings.Contains(allText(u), "2026-0412") || !strings.Contains(allText(u), "Case team") {
		t.Fatalf("detective's cases:\n%s", allText(u))
	}
	findCase(t, u, "2026-0433")
	if !u.Cases.RequestAccess.Visible() {
		t.Fatalf("no Request access for a case of another unit: %q %q", u.Cases.Result.Text, u.lastError)
	}
	test.Tap(u.Cases.RequestAccess)
	test.Type(u.Cases.Reason, "Same van seen at the Harbor Street scene")
	u.Cases.Duration.SetSelected("1 day")
	test.Tap(u.Cases.Send)
	if !strings.Contains(u.Cases.Result.Text, "sent") {
		t.Fatalf("request not sent: %q, dialog %q", u.Cases.Result.Text, u.lastError)
	}
	findCase(t, u, "2026-0412")
	mustScreen(t, u, "case")
	if u.Case.Documents.Length() < 2 || u.Case.Audit.Visible() {
		t.Fatalf("case screen: %d documents, audit button %v", u.Case.Documents.Length(), u.Case.Audit.Visible())
	}
	u.Case.Documents.Select(0)
	mustScreen(t, u, "document")
	if u.Doc.ShownImage() == nil {
		t.Fatalf("document not shown: %q", u.lastError)
	}
	if r.wm.OfficerID != "D-1001" || r.wm.OfficerName != "Sam Rivera" || r.wm.CaseNumber != "2026-0412" || r.wm.SessionCode == "" || r.wm.Document == "" {
		t.Errorf("watermark asked for: %+v", r.wm)
	}
	test.Tap(u.nav.Requests)
	if !strings.Contains(allText(u), "Case 2026-0433 · Pending") {
		t.Errorf("my requests:\n%s", allText(u))
	}

	// Burglary supervisor: asks for a case of the unit, cannot approve it.
	relogin(t, u, "S-2002", "natarajan-demo-pass")
	findCase(t, u, "2026-0433")
	test.Tap(u.Cases.RequestAccess)
	test.Type(u.Cases.Reason, "Review of the unit's open burglaries")
	test.Tap(u.Cases.Send)
	test.Tap(u.nav.Requests)
	if got := u.nav.Requests.Text; got != "Requests (3)" {
		t.Errorf("badge %q, want Requests (3) (seeded, the detective's, own)", got)
	}
	u.Requests.Tabs.SelectIndex(1)
	var own, detective int = -1, -1
	for i, req := range u.Requests.queue {
		switch {
		case req.Requester == "S-2002":
			own = i
		case req.Requester == "D-1001" && req.CaseNumber == "2026-0433":
			detective = i
		}
	}
	approves := buttons(u, "Approve…")
	if own < 0 || detective < 0 || len(approves) != len(u.Requests.queue) {
		t.Fatalf("queue %+v, %d approve buttons", u.Requests.queue, len(approves))
	}
	if !approves[own].Disabled() || approves[detective].Disabled() {
		t.Errorf("approve disabled: own %v, detective's %v", approves[own].Disabled(), approves[detective].Disabled())
	}
	// The station refuses too, should the button be bypassed.
	u.showApprove(u.Requests, Request{ID: u.Requests.queue[own].ID, Requester: "someone else"})
	test.Tap(u.Requests.ConfirmApprove)
	if !strings.Contains(u.lastError, "cannot approve your own request") {
		t.Errorf("station's self-approval refusal explained as %q", u.lastError)
	}
	u.hideOverlays()
	test.Tap(buttons(u, "Approve…")[detective])
	u.Requests.ApproveScope.SetSelected("View")
	test.Tap(u.Requests.ConfirmApprove)
	if got := u.Requests.QueueTab.Text; got != "Unit queue (2)" {
		t.Errorf("after approving: %q (dialog %q)", got, u.lastError)
	}

	// The detective now holds a grant.
	relogin(t, u, "D-1001", "rivera-demo-pass")
	if !strings.Contains(allText(u), "Granted until") {
		t.Errorf("granted case not listed:\n%s", allText(u))
	}

	// Evidence technician: annotate, edit, history, delete.
	relogin(t, u, "E-3001", "ortiz-demo-pass")
	findCase(t, u, "2026-0412")
	u.Case.Documents.Select(0)
	d := u.Doc
	if !d.AnnotateMode.Visible() {
		t.Fatal("technician cannot annotate")
	}
	d.AnnotateMode.SetChecked(true)
	abs := fyne.CurrentApp().Driver().AbsolutePositionForObject(d.View)
	test.Drag(u.Window.Canvas(), abs.Add(fyne.NewPos(300, 200)), 200, 40)
	test.Type(d.NoteEntry, "Glove bagged as item 7")
	test.Tap(d.SaveNote)
	if d.Annotations.Length() != 1 {
		t.Fatalf("annotations after adding: %d (dialog %q)", d.Annotations.Length(), u.lastError)
	}
	if a := d.annots[0]; a.Page != 0 || !strings.Contains(a.Author, "E-3001") || a.Revision != 1 {
		t.Errorf("stored annotation %+v", a)
	}
	test.Tap(d.EditNote)
	d.NoteEntry.SetText("Glove bagged as item 7, sent to the lab")
	test.Tap(d.SaveNote)
	test.Tap(d.History)
	if h := d.HistoryList.Text; !strings.Contains(h, "Revision 1") || !strings.Contains(h, "Revision 2") || !strings.Contains(h, "sent to the lab") {
		t.Errorf("history %q (dialog %q)", h, u.lastError)
	}
	u.hideOverlays()
	test.Tap(d.Delete)
	if d.Annotations.Length() != 0 {
		t.Errorf("annotation still listed after delete (dialog %q)", u.lastError)
	}

	// Homicide supervisor, not on the case team: the audit trail, verified.
	relogin(t, u, "S-2001", "hale-demo-pass")
	findCase(t, u, "2026-0412")
	if !u.Cases.Audit.Visible() {
		t.Fatalf("no audit trail for the unit's supervisor: %q", u.Cases.Result.Text)
	}
	test.Tap(u.Cases.Audit)
	mustScreen(t, u, "audit")
	if !strings.HasPrefix(u.Audit.Verified.Text, "Verified") || u.Audit.Table.Length() == 0 {
		t.Errorf("audit trail: %q, %d records (dialog %q)", u.Audit.Verified.Text, u.Audit.Table.Length(), u.lastError)
	}
	all := u.Audit.Table.Length()
	test.Type(u.Audit.Officer, "E-3001")
	test.Tap(u.Audit.Filter)
	if n := u.Audit.Table.Length(); n == 0 || n >= all {
		t.Errorf("filter by E-3001: %d of %d records", n, all)
	}
	for _, rec := range u.Audit.records {
		if rec.Officer != "E-3001" {
			t.Errorf("filtered trail has a record of %s", rec.Officer)
		}
	}
}

func TestRealStationLocksAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real station; skipped in -short mode")
	}
	rs := newRealStation(t)
	u, _ := newRealUI(t, rs)
	login(t, u, "D-1003", "wrong-password")
	if !strings.Contains(u.Login.Message.Text, "4 attempts left") {
		t.Errorf("first failure says %q", u.Login.Message.Text)
	}
	for i := 0; i < 4; i++ {
		login(t, u, "D-1003", "wrong-password")
	}
	login(t, u, "D-1003", "blake-demo-pass")
	if got := u.Login.Message.Text; !strings.Contains(got, "locked") || !strings.Contains(got, "administrator") {
		t.Errorf("locked account says %q", got)
	}
	mustScreen(t, u, "login")
}
