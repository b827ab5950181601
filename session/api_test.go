package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caseviewer/audit"
	"caseviewer/wire"
)

func TestLoginErrors(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c := newClient(t, clientOpts{})
	ctx := context.Background()
	if _, err := c.Login(ctx, "D1", []byte(testPassword)); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("login before enrollment: %v", err)
	}
	enroll(t, c, ts, "D1")
	if _, err := c.Login(ctx, "D1", []byte("short")); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("short password: %v", err)
	}
	for want := 4; want >= 1; want-- {
		_, err := c.Login(ctx, "D1", []byte("wrong-password-1"))
		var wp *WrongPasswordError
		if !errors.As(err, &wp) || !errors.Is(err, ErrWrongPassword) || wp.AttemptsLeft != want {
			t.Fatalf("wrong password: %v, want %d attempts left", err, want)
		}
	}
	_, err := c.Login(ctx, "D1", []byte("wrong-password-1"))
	if !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("fifth wrong password: %v", err)
	}
	var se *StationError
	if !errors.As(err, &se) || se.Message == "" {
		t.Fatalf("no station sentence: %v", err)
	}
	if _, err := c.Login(ctx, "D1", []byte(testPassword)); !errors.Is(err, ErrAccountLocked) {
		t.Fatalf("right password on a locked account: %v", err)
	}
	if c.LoggedIn() {
		t.Fatal("logged in")
	}
	// Another officer on the same laptop is not affected.
	login(t, c, "S1")
	if _, err := c.Login(ctx, "S1", []byte(testPassword)); !errors.Is(err, ErrAlreadyLoggedIn) {
		t.Fatalf("second login: %v", err)
	}
	c.Logout(ctx)
}

func TestLoginOffNetworkAndUnreachable(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c := newClient(t, clientOpts{})
	enroll(t, c, ts, "D1")
	ctx := context.Background()
	ts.serveCancel()
	if _, err := c.Login(ctx, "D1", []byte(testPassword)); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("login with the API down: %v", err)
	}
	ts.silenceBeacon()
	if _, err := c.Login(ctx, "D1", []byte(testPassword)); !errors.Is(err, ErrOffNetwork) {
		t.Fatalf("login without the beacon: %v", err)
	}
}

func TestPinnedStationIdentity(t *testing.T) {
	real := newTestStation(t, stationOpts{})
	impostor := newTestStation(t, stationOpts{})
	state := filepath.Join(t.TempDir(), "state")
	keys := memKeyring(t, nil)
	c := newClient(t, clientOpts{keys: keys, state: state})
	enroll(t, c, real, "D1")
	// The station's address now leads to another server (same software,
	// its own CA): the pinned CA refuses it.
	enr := c.Enrollment()
	enr.StationURL = "https://" + impostor.addr
	if err := saveEnrollment(state, enr); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, clientOpts{keys: keys, state: state})
	if _, err := c2.Login(context.Background(), "D1", []byte(testPassword)); !errors.Is(err, ErrStationIdentity) {
		t.Fatalf("login to an impostor: %v", err)
	}
	// Discover then Enroll is refused if the station changes in between.
	c3 := newClient(t, clientOpts{})
	if _, err := c3.Discover(context.Background(), real.addr); err != nil {
		t.Fatal(err)
	}
	c3.mu.Lock()
	d := c3.pending["https://"+real.addr]
	c3.pending["https://"+real.addr] = &Discovery{Addr: d.Addr, StationID: d.StationID, caDER: d.caDER, key: impostor.st.PublicKey()}
	c3.mu.Unlock()
	if err := c3.Enroll(context.Background(), real.addr, real.token(t, "D1")); !errors.Is(err, ErrStationIdentity) {
		t.Fatalf("enroll with another key than discovered: %v", err)
	}
	if c3.Enrolled() {
		t.Fatal("enrolled")
	}
}

func TestEnrollErrors(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	keys := memKeyring(t, nil)
	c := newClient(t, clientOpts{keys: keys})
	ctx := context.Background()
	if err := c.Enroll(ctx, ts.addr, "whatever"); !errors.Is(err, ErrNotDiscovered) {
		t.Fatalf("enroll without discover: %v", err)
	}
	if _, err := c.Discover(ctx, "https://"+ts.addr+"/path"); err == nil {
		t.Fatal("an address with a path was accepted")
	}
	if _, err := c.Discover(ctx, ts.addr); err != nil {
		t.Fatal(err)
	}
	if err := c.Enroll(ctx, ts.addr, "not-a-token"); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("bad token: %v", err)
	}
	if _, err := keys.LoadIdentity(ctx); err == nil {
		t.Fatal("a failed enrollment left a device identity in the keyring")
	}
	tok := ts.token(t, "D1")
	if err := c.Enroll(ctx, ts.addr, tok); err != nil {
		t.Fatal(err)
	}
	c2 := newClient(t, clientOpts{})
	if _, err := c2.Discover(ctx, ts.addr); err != nil {
		t.Fatal(err)
	}
	if err := c2.Enroll(ctx, ts.addr, tok); !errors.Is(err, ErrTokenUsed) {
		t.Fatalf("reused token: %v", err)
	}
	// Unreachable station.
	ln := ts.addr
	ts.serveCancel()
	if _, err := c2.Discover(ctx, ln); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("discover a stopped station: %v", err)
	}
}

func TestEnrollmentFile(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	state := filepath.Join(t.TempDir(), "state")
	c := newClient(t, clientOpts{state: state})
	enroll(t, c, ts, "D1")
	b, err := os.ReadFile(filepath.Join(state, enrollmentFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(state, enrollmentFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("enrollment file mode %v", fi.Mode())
	}
	if len(dirEntries(t, state)) != 1 {
		t.Fatalf("state folder: %v (a temporary file left?)", dirEntries(t, state))
	}
	e, err := loadEnrollment(state)
	if err != nil || e.DeviceID != c.Enrollment().DeviceID {
		t.Fatalf("reload: %+v %v", e, err)
	}
	for name, content := range map[string][]byte{
		"truncated": b[:len(b)/2],
		"trailing":  append(append([]byte(nil), b...), []byte(`{}`)...),
		"unknown":   bytes.Replace(b, []byte(`"version"`), []byte(`"admin": true, "version"`), 1),
		"bad key":   bytes.Replace(b, []byte(`"station_key": "`), []byte(`"station_key": "AA`), 1),
	} {
		if err := os.WriteFile(filepath.Join(state, enrollmentFile), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{Keyring: memKeyring(t, nil), StateDir: state, CacheDir: t.TempDir()}); err == nil {
			t.Errorf("%s enrollment file accepted", name)
		}
	}
}

func TestRequestsAndAuditTrail(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	ctx := context.Background()
	det := newClient(t, clientOpts{})
	enroll(t, det, ts, "D1")
	login(t, det, "D1")
	sup := newClient(t, clientOpts{})
	enroll(t, sup, ts, "S1")
	login(t, sup, "S1")

	l, err := det.LookupCase(ctx, "H-2")
	if err != nil || !l.Exists {
		t.Fatalf("lookup H-2: %+v %v", l, err)
	}
	if _, err := det.Case(ctx, "H-2"); !errors.Is(err, ErrAccessDenied) && !errors.Is(err, ErrNotFound) {
		t.Fatalf("H-2 before a grant: %v", err)
	}
	r, err := det.RequestAccess(ctx, "H-2", "Linked to the harbor case", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := sup.PendingRequests(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != r.ID {
		t.Fatalf("pending %+v %v", pending, err)
	}
	if _, err := sup.Approve(ctx, r.ID, time.Hour, ScopeView); err != nil {
		t.Fatal(err)
	}
	cases, err := det.Cases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var granted *wire.CaseSummary
	for i := range cases {
		if cases[i].Number == "H-2" {
			granted = &cases[i]
		}
	}
	if granted == nil || granted.Access != wire.AccessGrant || granted.GrantExpiresAt == nil {
		t.Fatalf("cases after approval: %+v", cases)
	}
	r2, err := det.RequestAccess(ctx, "H-2", "Again", time.Hour)
	if err == nil {
		if _, err := sup.Deny(ctx, r2.ID, "Already granted"); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := det.MyRequests(ctx)
	if err != nil || len(mine) == 0 {
		t.Fatalf("my requests %+v %v", mine, err)
	}
	if _, err := det.PendingRequests(ctx); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("a detective's pending queue: %v", err)
	}

	// The audit trail of H-1, verified against the signed checkpoint.
	if _, err := det.OpenDocument(ctx, ts.docH1); err != nil {
		t.Fatal(err)
	}
	// The station signs a new checkpoint at most every 5 s: step its clock.
	ts.advance(6 * time.Second)
	trail, err := sup.AuditTrail(ctx, "H-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !trail.Verified || len(trail.Entries) == 0 || trail.Failed != 0 || trail.Pending != 0 {
		t.Fatalf("audit trail: verified %v, %d entries, %d failed, %d pending: %s", trail.Verified, len(trail.Entries), trail.Failed, trail.Pending, trail.Detail)
	}
	t.Log(trail.Detail)
	opened := false
	for _, e := range trail.Entries {
		if !e.Verified {
			t.Fatalf("entry %d not verified", e.Index)
		}
		opened = opened || (e.Action == "document.open" && e.OfficerID == "D1")
	}
	if !opened {
		t.Fatal("the document open is not in the trail")
	}
	// Later: a new checkpoint, which must extend the one seen before.
	ts.advance(6 * time.Second)
	only, err := sup.AuditTrail(ctx, "H-1", "D1")
	if err != nil || !only.Verified || only.Pending != 0 {
		t.Fatalf("filtered trail: %v %+v", err, only)
	}
	for _, e := range only.Entries {
		if e.OfficerID != "D1" {
			t.Fatalf("filter let through %+v", e)
		}
	}
	// At once again: the station serves the same checkpoint, so this
	// read's own record is newer than it and pending.
	again, err := sup.AuditTrail(ctx, "H-1", "")
	if err != nil || !again.Verified || again.Pending != 1 || again.Entries[len(again.Entries)-1].Verified {
		t.Fatalf("second trail: %v %+v", err, again)
	}
	t.Log(again.Detail)
	if _, err := det.AuditTrail(ctx, "H-1", ""); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("a detective reading the audit trail: %v", err)
	}
}

func TestSameRecordDetectsChanges(t *testing.T) {
	r := audit.Record{Index: 3, Time: time.Unix(100, 0).UTC(), Action: "document.open", Outcome: "allowed", OfficerID: "D1", CaseNumber: "H-1"}
	w := wire.AuditRecord{Index: 3, Time: r.Time, Action: r.Action, Outcome: r.Outcome, OfficerID: "D1", CaseNumber: "H-1"}
	if err := sameRecord(r, w); err != nil {
		t.Fatal(err)
	}
	w.OfficerID = "D2"
	if err := sameRecord(r, w); !errors.Is(err, ErrTampered) {
		t.Fatalf("changed officer: %v", err)
	}
	if h := toHashes([][]byte{make([]byte, 31)}); h != nil {
		t.Fatal("short hash accepted")
	}
}

func TestAnnotations(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	ctx := context.Background()
	c := newClient(t, clientOpts{})
	enroll(t, c, ts, "E1")
	login(t, c, "E1")
	a, err := c.AddAnnotation(ctx, ts.docH1, wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 10, Y0: 10, X1: 100, Y1: 40},
		Kind: wire.AnnotationHighlight, Color: "#ffd600", Text: "blood trace"})
	if err != nil {
		t.Fatal(err)
	}
	in := wire.AnnotationInput{Page: 1, Rect: a.Current.Rect, Kind: a.Current.Kind, Color: a.Current.Color, Text: "blood trace, sampled", BaseRevision: a.Current.Revision}
	e, err := c.EditAnnotation(ctx, a.ID, in)
	if err != nil || e.Current.Text != "blood trace, sampled" {
		t.Fatalf("edit: %+v %v", e, err)
	}
	if _, err := c.EditAnnotation(ctx, a.ID, in); !errors.Is(err, ErrConflict) {
		t.Fatalf("edit from a stale revision: %v", err)
	}
	list, err := c.Annotations(ctx, ts.docH1, false)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := c.DeleteAnnotation(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.Annotations(ctx, ts.docH1, false); len(list) != 0 {
		t.Fatalf("deleted annotation still listed: %+v", list)
	}
	hist, err := c.AnnotationHistory(ctx, ts.docH1, a.ID)
	if err != nil || len(hist) != 3 || !hist[2].Deleted {
		t.Fatalf("history %+v %v", hist, err)
	}
	if _, err := c.AnnotationHistory(ctx, ts.docH1, "AN-none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("history of an unknown annotation: %v", err)
	}
	if _, err := c.AddAnnotation(ctx, "../x", wire.AnnotationInput{}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("path-like ID: %v", err)
	}
}

func TestCacheReuseAndRecovery(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	ctx := context.Background()
	c := newClient(t, clientOpts{})
	enroll(t, c, ts, "D1")
	login(t, c, "D1")
	payloads := func() int {
		var b bytes.Buffer
		if err := ts.st.ExportAudit(ctx, adminActor, &b, "json", audit.Filter{Action: "document.payload"}); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), `"document.payload"`)
	}
	for i := 0; i < 2; i++ {
		d, err := c.OpenDocument(ctx, ts.docH1)
		if err != nil || !bytes.Equal(d.PDF, ts.pdf) {
			t.Fatalf("open %d: %v", i, err)
		}
		c.CloseDocument(d)
		if !allZero(d.PDF) {
			t.Fatal("CloseDocument did not zero the bytes")
		}
	}
	if n := payloads(); n != 1 {
		t.Fatalf("%d payload downloads for two opens, want 1 (the second from the cache)", n)
	}
	// A damaged cache file is dropped and the payload fetched again.
	files := dirEntries(t, c.opts.CacheDir)
	if len(files) != 1 {
		t.Fatalf("cache: %v", files)
	}
	p := filepath.Join(c.opts.CacheDir, files[0])
	blob, _ := os.ReadFile(p)
	blob[len(blob)-1] ^= 1
	os.WriteFile(p, blob, 0o600)
	d, err := c.OpenDocument(ctx, ts.docH1)
	if err != nil || !bytes.Equal(d.PDF, ts.pdf) {
		t.Fatalf("open after damage: %v", err)
	}
	if n := payloads(); n != 2 {
		t.Fatalf("%d payload downloads, want 2", n)
	}
	// Without the cache key (as after a wipe) the file is unreadable.
	aeadKey := make([]byte, cacheKeySize)
	if _, err := os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	if _, err := openCacheWithKey(aeadKey, p, files[0]); err == nil {
		t.Fatal("the cache opened with another key")
	}
	c.Logout(ctx)
}

func TestReEnroll(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	keys := memKeyring(t, nil)
	state := filepath.Join(t.TempDir(), "state")
	c := newClient(t, clientOpts{keys: keys, state: state})
	enroll(t, c, ts, "D1")
	first := c.Enrollment().DeviceID
	ctx := context.Background()
	if _, err := c.Discover(ctx, ts.addr); err != nil {
		t.Fatal(err)
	}
	if err := c.Enroll(ctx, ts.addr, "wrong-token"); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("re-enroll with a bad token: %v", err)
	}
	if c.Enrolled() || len(dirEntries(t, state)) != 0 {
		t.Fatalf("a failed re-enrollment left an enrollment: %v", dirEntries(t, state))
	}
	if _, err := keys.LoadIdentity(ctx); err == nil {
		t.Fatal("a failed re-enrollment left a device identity")
	}
	enroll(t, c, ts, "D1")
	if c.Enrollment().DeviceID == first {
		t.Fatal("re-enrollment kept the old device ID")
	}
	login(t, c, "D1")
	c.Logout(ctx)
}
