package station

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caseviewer/audit"
	"caseviewer/bundle"
	"caseviewer/wire"
)

func TestStationInfoSignedAndPinned(t *testing.T) {
	e := newEnv(t)
	l := e.keys()
	var s wire.SignedStationInfo
	must(t, l.do("GET", wire.PathInfo, nil, &s))
	info, err := wire.VerifyStationInfo(&s, e.st.PublicKey())
	must(t, err)
	if info.StationID != "ST-TEST" || info.BeaconAddr != "127.0.0.1:8444" || info.CAFingerprint != e.st.CAFingerprint() ||
		info.AuditVerifierKey != e.st.AuditVerifierKey() {
		t.Fatalf("info = %+v", info)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := wire.VerifyStationInfo(&s, other); err == nil {
		t.Fatal("station info verified with another key")
	}
}

// TestOpenDocumentEndToEnd: enroll, login, list, detail, open, fetch the
// ciphertext and decrypt it with the device key; the audit record of the
// open exists and carries the session code.
func TestOpenDocumentEndToEnd(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	if l.login.Officer.Role != wire.RoleDetective || l.login.SessionCode == "" || !l.login.ExpiresAt.Equal(e.clock.Now().Add(12*time.Hour)) {
		t.Fatalf("login = %+v", l.login)
	}
	var cases wire.CaseList
	must(t, l.do("GET", wire.PathCases, nil, &cases))
	if len(cases.Cases) != 1 || cases.Cases[0].Number != "H-1" || cases.Cases[0].Access != wire.AccessTeam || cases.Cases[0].TeamRole != wire.TeamLead {
		t.Fatalf("cases = %+v", cases)
	}
	var detail wire.CaseDetail
	must(t, l.do("GET", wire.CasePath("H-1"), nil, &detail))
	if len(detail.Documents) != 1 || detail.Documents[0].Pages != 1 || detail.Documents[0].AddedBy != admin || len(detail.Team) != 2 {
		t.Fatalf("detail = %+v", detail)
	}
	doc := detail.Documents[0].ID
	var open wire.OpenDocumentResponse
	must(t, l.do("POST", wire.DocumentOpenPath(doc), nil, &open))
	if open.SessionCode != l.login.SessionCode || open.GrantExpiresAt.After(e.clock.Now().Add(wire.IdleTimeout)) {
		t.Fatalf("open = %+v", open)
	}
	recs := e.records("document.open")
	if len(recs) != 1 || recs[0].Outcome != "allowed" || recs[0].SessionCode != open.SessionCode || recs[0].OfficerID != "D1" ||
		recs[0].DeviceID != l.deviceID || !strings.Contains(recs[0].Detail, open.GrantID) || recs[0].ClientAddr == "" || recs[0].StationAddr == "" {
		t.Fatalf("audit records = %+v", recs)
	}
	var payload []byte
	must(t, l.do("GET", open.PayloadPath, nil, &payload))
	if int64(len(payload)) != open.PayloadSize || bytes.Contains(payload, []byte("CANARY-PLAINTEXT")) {
		t.Fatalf("payload of %d bytes, want %d ciphertext bytes", len(payload), open.PayloadSize)
	}
	d, err := bundle.Open(open.SignedManifest, open.Grant, bytes.NewReader(payload), int64(len(payload)),
		bundle.Device{ID: l.deviceID, HPKE: l.hpke}, e.st.PublicKey(), &bundle.OpenOptions{Now: e.clock.Now, OfficerID: "D1"})
	must(t, err)
	pt, err := d.ReadAll(context.Background())
	must(t, err)
	if !bytes.Equal(pt, e.pdf) {
		t.Fatal("decrypted document differs from the imported PDF")
	}
	g := d.Grant()
	if g.OfficerID != "D1" || g.DeviceID != l.deviceID || g.CaseNumber != "H-1" || g.GrantID != open.GrantID {
		t.Fatalf("grant = %+v", g)
	}
	// Another device cannot use this grant.
	other := e.keys()
	if _, err := bundle.Open(open.SignedManifest, open.Grant, bytes.NewReader(payload), int64(len(payload)),
		bundle.Device{ID: l.deviceID, HPKE: other.hpke}, e.st.PublicKey(), &bundle.OpenOptions{Now: e.clock.Now}); err == nil {
		t.Fatal("grant opened with another device's key")
	}
	// Nothing in the data folder holds the plaintext.
	filepath.Walk(e.st.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte("CANARY-PLAINTEXT")) {
				t.Errorf("plaintext found in %s", p)
			}
		}
		return nil
	})
}

func TestEnrollmentTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, _, err := e.st.IssueEnrollToken(ctx, admin, "D1", time.Hour)
	must(t, err)
	must(t, e.keys().enroll(tok))
	wantCode(t, e.keys().enroll(tok), wire.CodeEnrollTokenUsed)
	wantCode(t, e.keys().enroll("AAAA-BBBB-CCCC"), wire.CodeEnrollTokenInvalid)
	tok2, _, err := e.st.IssueEnrollToken(ctx, admin, "D2", time.Hour)
	must(t, err)
	e.clock.Advance(time.Hour + time.Second)
	wantCode(t, e.keys().enroll(tok2), wire.CodeEnrollTokenExpired)
	// A bad proof of possession is refused and does not spend the token.
	tok3, _, err := e.st.IssueEnrollToken(ctx, admin, "D2", time.Hour)
	must(t, err)
	l := e.keys()
	pub := l.sign.Public().(ed25519.PublicKey)
	hp := l.hpke.PublicKey().Bytes()
	wantCode(t, l.do("POST", wire.PathEnroll, wire.EnrollRequest{Token: tok3, DeviceName: "x", SigningKey: pub, HPKEKey: hp,
		Proof: ed25519.Sign(l.sign, wire.EnrollMessage("other", pub, hp))}, nil), wire.CodeBadRequest)
	must(t, l.enroll(tok3))
	// Any active officer may log in on an enrolled laptop.
	must(t, l.logIn("S1", testPassword))
	if n := len(e.records("device.enroll")); n < 4 {
		t.Fatalf("%d device.enroll audit records", n)
	}
}

func TestLoginNeedsFreshChallengeFromThisDevice(t *testing.T) {
	e := newEnv(t)
	a, b := e.newLaptop("D1"), e.newLaptop("D1")
	var ch wire.ChallengeResponse
	must(t, a.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: a.deviceID}, &ch))
	req := wire.LoginRequest{OfficerID: "D1", Password: testPassword, DeviceID: a.deviceID, ChallengeID: ch.ChallengeID,
		Signature: ed25519.Sign(b.sign, wire.LoginMessage("ST-TEST", ch.ChallengeID, ch.Challenge, a.deviceID, "D1"))}
	wantCode(t, a.do("POST", wire.PathLogin, req, nil), wire.CodeChallengeInvalid) // wrong device key
	req.Signature = ed25519.Sign(a.sign, wire.LoginMessage("ST-TEST", ch.ChallengeID, ch.Challenge, a.deviceID, "D1"))
	wantCode(t, a.do("POST", wire.PathLogin, req, nil), wire.CodeChallengeInvalid) // single use: spent above
	must(t, a.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: a.deviceID}, &ch))
	e.clock.Advance(wire.ChallengeTTL + time.Second)
	req.ChallengeID = ch.ChallengeID
	req.Signature = ed25519.Sign(a.sign, wire.LoginMessage("ST-TEST", ch.ChallengeID, ch.Challenge, a.deviceID, "D1"))
	wantCode(t, a.do("POST", wire.PathLogin, req, nil), wire.CodeChallengeInvalid) // expired
	wantCode(t, a.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: "DEV-NOPE"}, nil), wire.CodeDeviceUnknown)
	must(t, a.logIn("D1", testPassword))
}

func TestLockoutAfterFiveFailuresAndAdminUnlock(t *testing.T) {
	e := newEnv(t)
	l := e.newLaptop("D1")
	// Failures older than 15 minutes do not count.
	wantCode(t, l.logIn("D1", "wrong-password"), wire.CodeBadCredentials)
	e.clock.Advance(16 * time.Minute)
	for want := 4; want >= 1; want-- {
		err := l.logIn("D1", "wrong-password")
		wantCode(t, err, wire.CodeBadCredentials)
		if we := err.(*wire.Error); we.AttemptsLeft == nil || *we.AttemptsLeft != want {
			t.Fatalf("attempts left = %v, want %d", we.AttemptsLeft, want)
		}
		e.clock.Advance(time.Minute)
	}
	wantCode(t, l.logIn("D1", "wrong-password"), wire.CodeAccountLocked)
	wantCode(t, l.logIn("D1", testPassword), wire.CodeAccountLocked)
	e.clock.Advance(24 * time.Hour) // locked until an administrator unlocks
	wantCode(t, l.logIn("D1", testPassword), wire.CodeAccountLocked)
	must(t, e.st.UnlockOfficer(context.Background(), admin, "D1"))
	must(t, l.logIn("D1", testPassword))
	// A success resets the count: 4 failures do not lock.
	for i := 0; i < 4; i++ {
		wantCode(t, l.logIn("D1", "wrong-password"), wire.CodeBadCredentials)
	}
	must(t, l.logIn("D1", testPassword))
	// Unknown officers get the same answer without attempts.
	err := l.logIn("NOBODY", "whatever-pass")
	wantCode(t, err, wire.CodeBadCredentials)
	if err.(*wire.Error).AttemptsLeft != nil {
		t.Fatal("attempts left told for an unknown officer")
	}
	if n := len(e.records("login")); n < 15 {
		t.Fatalf("only %d login audit records", n)
	}
	if len(e.records("admin.officer.unlock")) != 1 {
		t.Fatal("unlock not audited")
	}
	// A disabled account has its own code.
	must(t, e.st.DisableOfficer(context.Background(), admin, "D2"))
	wantCode(t, l.logIn("D2", testPassword), wire.CodeAccountDisabled)
}

// TestAdminAttemptsAudited: privileged actions are audited whatever their
// outcome (CJIS AU-2): one refused for bad input or an unknown officer,
// device or case leaves one "failed" record and no "success" record.
func TestAdminAttemptsAudited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.st
	cases := []struct {
		action, caseNumber, object string
		want                       error
		run                        func() error
	}{
		{"admin.officer.add", "", "D1", ErrDuplicate, func() error {
			return st.AddOfficer(ctx, admin, OfficerInput{ID: "D1", Name: "Again", Role: wire.RoleDetective, Unit: "Homicide", Password: []byte(testPassword)})
		}},
		{"admin.officer.add", "", "X1", ErrInvalid, func() error {
			return st.AddOfficer(ctx, admin, OfficerInput{ID: "X1", Name: "X", Role: "sheriff", Unit: "Homicide", Password: []byte(testPassword)})
		}},
		{"admin.officer.unlock", "", "NOBODY", ErrNotFound, func() error { return st.UnlockOfficer(ctx, admin, "NOBODY") }},
		{"admin.officer.disable", "", "NOBODY", ErrNotFound, func() error { return st.DisableOfficer(ctx, admin, "NOBODY") }},
		{"admin.enroll.issue", "", "NOBODY", ErrNotFound, func() error {
			_, _, err := st.IssueEnrollToken(ctx, admin, "NOBODY", time.Hour)
			return err
		}},
		{"admin.device.revoke", "", "DEV-NONE", ErrNotFound, func() error { return st.RevokeDevice(ctx, admin, "DEV-NONE", "lost") }},
		{"admin.case.create", "H-1", "H-1", ErrDuplicate, func() error { return st.CreateCase(ctx, admin, CaseInput{"H-1", "Again", "Homicide"}) }},
		{"admin.case.assign", "H-1", "NOBODY", ErrNotFound, func() error { return st.AssignCase(ctx, admin, "H-1", "NOBODY", "member") }},
		{"admin.document.add", "NOPE-1", "", ErrNotFound, func() error {
			_, err := st.AddDocument(ctx, admin, DocumentInput{CaseNumber: "NOPE-1", Title: "T", PDF: bytes.NewReader(e.pdf)})
			return err
		}},
		{"admin.audit.export", "", "", ErrInvalid, func() error { return st.ExportAudit(ctx, admin, io.Discard, "xml", audit.Filter{}) }},
	}
	for _, c := range cases {
		t.Run(c.action+" "+c.object, func(t *testing.T) {
			before := len(e.records(c.action))
			err := c.run()
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			recs := e.records(c.action)
			if len(recs) != before+1 {
				t.Fatalf("%d new %s records, want 1: %+v", len(recs)-before, c.action, recs[before:])
			}
			r := recs[len(recs)-1]
			if r.Outcome != "failed" || r.OfficerID != admin || r.Object != c.object || r.CaseNumber != c.caseNumber || r.Detail != err.Error() {
				t.Fatalf("record = %+v", r)
			}
		})
	}
}

// TestRevokeTwice: revoking a revoked laptop says so, keeps the first
// revocation's reason and is audited as a failed attempt.
func TestRevokeTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	l := e.newLaptop("D1")
	must(t, e.st.RevokeDevice(ctx, admin, l.deviceID, "laptop stolen"))
	err := e.st.RevokeDevice(ctx, admin, l.deviceID, "found again")
	if !errors.Is(err, ErrAlreadyRevoked) || !strings.Contains(err.Error(), "laptop stolen") {
		t.Fatalf("second revoke = %v, want ErrAlreadyRevoked naming the first reason", err)
	}
	recs := e.records("admin.device.revoke")
	if len(recs) != 2 || recs[0].Outcome != "success" || recs[0].Detail != "laptop stolen" || recs[1].Outcome != "failed" || recs[1].Object != l.deviceID {
		t.Fatalf("revoke records = %+v", recs)
	}
	var reason string
	must(t, e.st.db.QueryRow(`SELECT revoke_reason FROM devices WHERE id=?`, l.deviceID).Scan(&reason))
	if reason != "laptop stolen" {
		t.Fatalf("revoke reason = %q after the second revoke", reason)
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	e.clock.Advance(29 * time.Minute)
	must(t, l.do("GET", wire.PathSession, nil, nil)) // activity resets the idle timer
	e.clock.Advance(29 * time.Minute)
	must(t, l.do("GET", wire.PathSession, nil, nil))
	e.clock.Advance(30 * time.Minute)
	wantCode(t, l.do("GET", wire.PathCases, nil, nil), wire.CodeSessionExpired)
	wantCode(t, l.do("GET", wire.PathCases, nil, nil), wire.CodeUnauthenticated) // ended for good

	// Absolute: active every 20 minutes, ended at 12 hours.
	l.mustLogIn("D1")
	start := e.clock.Now()
	for e.clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
		e.clock.Advance(20 * time.Minute)
		must(t, l.do("GET", wire.PathSession, nil, nil))
	}
	e.clock.Advance(20 * time.Minute)
	wantCode(t, l.do("GET", wire.PathSession, nil, nil), wire.CodeSessionExpired)
	if recs := e.records("session.expire"); len(recs) != 2 || recs[0].Outcome != "idle" || recs[1].Outcome != "absolute" {
		t.Fatalf("session.expire records = %+v", recs)
	}

	// Logout ends the session.
	l.mustLogIn("D1")
	must(t, l.do("POST", wire.PathLogout, nil, nil))
	wantCode(t, l.do("GET", wire.PathSession, nil, nil), wire.CodeUnauthenticated)
}

func TestRolesAllowedAndDenied(t *testing.T) {
	e := newEnv(t)
	d1, d3, s1, s3, e1, a1 := e.session("D1"), e.session("D3"), e.session("S1"), e.session("S3"), e.session("E1"), e.session("A1")
	h1, h2, b1 := e.docOf("H-1"), e.docOf("H-2"), e.docOf("B-1")
	note := wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 72, Y0: 600, X1: 300, Y1: 620}, Kind: wire.AnnotationHighlight, Color: "#ffff00"}
	var req wire.AccessRequest
	must(t, d3.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "same suspect", DurationSeconds: 3600}, &req))

	type check struct {
		name   string
		who    *laptop
		method string
		path   string
		body   any
		code   string // "" means allowed
	}
	checks := []check{
		{"detective opens own case document", d1, "POST", wire.DocumentOpenPath(h1), nil, ""},
		{"detective opens other case document", d1, "POST", wire.DocumentOpenPath(h2), nil, wire.CodeForbidden},
		{"detective reads other case detail", d1, "GET", wire.CasePath("B-1"), nil, wire.CodeForbidden},
		{"detective fetches other case payload", d1, "GET", wire.DocumentPayloadPath(b1), nil, wire.CodeForbidden},
		{"detective looks up other case", d1, "GET", wire.CaseLookupPath("B-1"), nil, ""},
		{"detective lists pending", d1, "GET", wire.PathRequestsPending, nil, wire.CodeForbidden},
		{"detective approves", d1, "POST", wire.RequestApprovePath(req.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, wire.CodeForbidden},
		{"detective reads audit trail", d1, "GET", wire.CaseAuditPath("H-1", ""), nil, wire.CodeForbidden},
		{"lead detective annotates", d1, "POST", wire.AnnotationsPath(h1), note, wire.CodeForbidden},
		{"detective reads annotations", d1, "GET", wire.AnnotationsPath(h1), nil, ""},
		{"evidence tech annotates", e1, "POST", wire.AnnotationsPath(h1), note, ""},
		{"evidence tech annotates other case", e1, "POST", wire.AnnotationsPath(h2), note, wire.CodeForbidden},
		{"supervisor lists pending", s1, "GET", wire.PathRequestsPending, nil, ""},
		{"supervisor reads unit audit trail", s1, "GET", wire.CaseAuditPath("H-1", "D1"), nil, ""},
		{"supervisor reads other unit audit trail", s3, "GET", wire.CaseAuditPath("H-1", ""), nil, wire.CodeForbidden},
		{"supervisor opens case without team", s1, "POST", wire.DocumentOpenPath(h1), nil, wire.CodeForbidden},
		{"other unit supervisor approves", s3, "POST", wire.RequestApprovePath(req.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, wire.CodeForbidden},
		{"evidence tech lists pending", e1, "GET", wire.PathRequestsPending, nil, wire.CodeForbidden},
		{"evidence tech reads audit trail", e1, "GET", wire.CaseAuditPath("H-1", ""), nil, wire.CodeForbidden},
		{"evidence tech denies", e1, "POST", wire.RequestDenyPath(req.ID), wire.AccessRequestDecision{Reason: "no"}, wire.CodeForbidden},
		{"detective denies", d1, "POST", wire.RequestDenyPath(req.ID), wire.AccessRequestDecision{Reason: "no"}, wire.CodeForbidden},
		{"detective revokes", d1, "POST", wire.RequestRevokePath(req.ID), wire.AccessRequestDecision{Reason: "no"}, wire.CodeForbidden},
		{"admin lists pending", a1, "GET", wire.PathRequestsPending, nil, wire.CodeForbidden},
		{"admin reads audit trail", a1, "GET", wire.CaseAuditPath("H-1", ""), nil, wire.CodeForbidden},
		{"admin approves", a1, "POST", wire.RequestApprovePath(req.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, wire.CodeForbidden},
		{"admin reads case detail", a1, "GET", wire.CasePath("H-1"), nil, wire.CodeForbidden},
		{"admin reads annotations", a1, "GET", wire.AnnotationsPath(h1), nil, wire.CodeForbidden},
		{"admin lists cases", a1, "GET", wire.PathCases, nil, ""},
		{"admin opens document", a1, "POST", wire.DocumentOpenPath(h1), nil, wire.CodeForbidden},
		{"admin requests access", a1, "POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-1", Reason: "x", DurationSeconds: 3600}, wire.CodeForbidden},
		{"unit supervisor approves", s1, "POST", wire.RequestApprovePath(req.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, ""},
		{"requester opens granted case", d3, "POST", wire.DocumentOpenPath(h2), nil, ""},
		{"view grant cannot annotate", d3, "POST", wire.AnnotationsPath(h2), note, wire.CodeForbidden},
		{"no session", &laptop{e: e}, "GET", wire.PathCases, nil, wire.CodeUnauthenticated},
		{"bad session", &laptop{e: e, token: "forged"}, "GET", wire.PathCases, nil, wire.CodeUnauthenticated},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := c.who.do(c.method, c.path, c.body, nil)
			if c.code == "" {
				must(t, err)
				return
			}
			wantCode(t, err, c.code)
		})
	}
	var list wire.CaseList
	must(t, a1.do("GET", wire.PathCases, nil, &list))
	if len(list.Cases) != 0 {
		t.Fatalf("admin sees cases %+v", list.Cases)
	}
	// A lookup says that a case exists, and only supervisors (whose screen
	// offers the audit trail to the case's own unit) learn the unit.
	for _, c := range []struct {
		name string
		l    *laptop
		unit string
	}{{"detective", d1, ""}, {"evidence tech", e1, ""}, {"admin", a1, ""}, {"supervisor of another unit", s1, "Burglary"}, {"supervisor of the unit", s3, "Burglary"}} {
		var lookup wire.CaseLookup
		must(t, c.l.do("GET", wire.CaseLookupPath("B-1"), nil, &lookup))
		if !lookup.Exists || lookup.Number != "B-1" || lookup.Unit != c.unit {
			t.Fatalf("lookup by %s = %+v, want unit %q", c.name, lookup, c.unit)
		}
	}
	var lookup wire.CaseLookup
	must(t, d1.do("GET", wire.CaseLookupPath("Z-9"), nil, &lookup))
	if lookup.Exists || lookup.Unit != "" {
		t.Fatalf("lookup of a missing case = %+v", lookup)
	}
	// Every denial above is in the audit log.
	denied := 0
	recs, _ := e.st.log.Query(context.Background(), audit.Filter{Limit: 10000})
	for _, r := range recs {
		if r.Outcome == "denied" {
			denied++
		}
	}
	if denied < 14 {
		t.Fatalf("%d denied records, want at least 14", denied)
	}
}

func TestAccessRequestLifecycle(t *testing.T) {
	e := newEnv(t)
	d3, s1, s2 := e.session("D3"), e.session("S1"), e.session("S2")
	h2 := e.docOf("H-2")
	create := func(reason string) wire.AccessRequest {
		var q wire.AccessRequest
		must(t, d3.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: reason, DurationSeconds: 7200}, &q))
		return q
	}
	q := create("suspect overlap")
	if q.State != wire.RequestPending || q.CaseUnit != "Homicide" || q.Requester.ID != "D3" {
		t.Fatalf("request = %+v", q)
	}
	wantCode(t, d3.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "again", DurationSeconds: 7200}, nil), wire.CodeConflict)
	var pending wire.AccessRequestList
	must(t, s1.do("GET", wire.PathRequestsPending, nil, &pending))
	if len(pending.Requests) != 1 || pending.Requests[0].ID != q.ID {
		t.Fatalf("pending = %+v", pending)
	}
	// Deny.
	must(t, s1.do("POST", wire.RequestDenyPath(q.ID), wire.AccessRequestDecision{Reason: "not needed"}, &q))
	if q.State != wire.RequestDenied || q.DecisionReason != "not needed" || q.DecidedBy != "S1" {
		t.Fatalf("denied = %+v", q)
	}
	wantCode(t, s2.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil), wire.CodeConflict)
	wantCode(t, d3.do("POST", wire.DocumentOpenPath(h2), nil, nil), wire.CodeForbidden)

	// Approve, then expire by itself.
	q = create("second try")
	must(t, s2.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: wire.ScopeAnnotate}, &q))
	if q.State != wire.RequestApproved || q.Scope != wire.ScopeAnnotate || !q.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("approved = %+v", q)
	}
	var cases wire.CaseList
	must(t, d3.do("GET", wire.PathCases, nil, &cases))
	if len(cases.Cases) != 2 || cases.Cases[1].Number != "H-2" || cases.Cases[1].Access != wire.AccessGrant || cases.Cases[1].GrantExpiresAt == nil {
		t.Fatalf("cases = %+v", cases)
	}
	e.clock.Advance(25 * time.Minute)
	must(t, d3.do("GET", wire.PathSession, nil, nil))
	e.clock.Advance(25 * time.Minute)
	var open wire.OpenDocumentResponse
	must(t, d3.do("POST", wire.DocumentOpenPath(h2), nil, &open))
	if !open.GrantExpiresAt.Equal(*q.ExpiresAt) {
		t.Fatalf("document grant expires %v, access grant %v: must not outlive it", open.GrantExpiresAt, q.ExpiresAt)
	}
	e.clock.Advance(11 * time.Minute)
	wantCode(t, d3.do("POST", wire.DocumentOpenPath(h2), nil, nil), wire.CodeGrantExpired)
	var mine wire.AccessRequestList
	must(t, d3.do("GET", wire.PathRequests, nil, &mine))
	if len(mine.Requests) != 2 || mine.Requests[0].State != wire.RequestExpired || mine.Requests[1].State != wire.RequestDenied {
		t.Fatalf("my requests = %+v", mine.Requests)
	}
	if recs := e.records("access.expire"); len(recs) != 1 || recs[0].Outcome != "expired" || recs[0].Object != q.ID {
		t.Fatalf("expire records = %+v", recs)
	}

	// Approve, then revoke (the supervisors' sessions idled out meanwhile).
	s1.mustLogIn("S1")
	s2.mustLogIn("S2")
	q = create("third try")
	must(t, s1.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, &q))
	must(t, d3.do("POST", wire.DocumentOpenPath(h2), nil, nil))
	must(t, s2.do("POST", wire.RequestRevokePath(q.ID), wire.AccessRequestDecision{Reason: "case closed to outsiders"}, &q))
	if q.State != wire.RequestRevoked {
		t.Fatalf("revoked = %+v", q)
	}
	wantCode(t, d3.do("POST", wire.DocumentOpenPath(h2), nil, nil), wire.CodeGrantRevoked)
	// Distinct audited outcomes.
	for action, outcome := range map[string]string{"access.deny": "denied", "access.approve": "approved", "access.revoke": "revoked", "access.expire": "expired"} {
		found := false
		for _, r := range e.records(action) {
			found = found || r.Outcome == outcome
		}
		if !found {
			t.Errorf("no %s record with outcome %s", action, outcome)
		}
	}
}

func TestNoSelfApproval(t *testing.T) {
	e := newEnv(t)
	s1, s2 := e.session("S1"), e.session("S2")
	var q wire.AccessRequest
	must(t, s1.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "review", DurationSeconds: 3600}, &q))
	wantCode(t, s1.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil), wire.CodeSelfApproval)
	wantCode(t, s1.do("POST", wire.RequestDenyPath(q.ID), wire.AccessRequestDecision{Reason: "x"}, nil), wire.CodeSelfApproval)
	must(t, s1.do("GET", wire.PathRequests, nil, nil))
	if got, _ := e.st.request(context.Background(), q.ID); got.State != wire.RequestPending {
		t.Fatalf("state after self-approval = %s", got.State)
	}
	must(t, s2.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil))
	recs := e.records("access.approve")
	if len(recs) != 2 || recs[0].Outcome != "denied" || !strings.Contains(recs[0].Detail, wire.CodeSelfApproval) || recs[1].Outcome != "approved" {
		t.Fatalf("approve records = %+v", recs)
	}
}

// TestRefusedRequestsAudited: a logged-in officer's request that the station
// refuses for what it asks (400) or for the state it meets (409), where no
// handler records a denial by name, still leaves one record (CJIS AU-2:
// attempts, not only successes), naming who, which laptop and session, what
// and why; a denial a handler records itself is not recorded twice.
func TestRefusedRequestsAudited(t *testing.T) {
	e := newEnv(t)
	s1, s2 := e.session("S1"), e.session("S2")
	var q wire.AccessRequest
	must(t, s1.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "review", DurationSeconds: 3600}, &q))
	type try struct {
		name   string
		l      *laptop
		path   string
		body   any
		code   string
		before func()
	}
	tries := []try{
		{"duplicate pending request", s1, wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "again", DurationSeconds: 3600}, wire.CodeConflict, nil},
		{"request without a reason", s1, wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", DurationSeconds: 3600}, wire.CodeBadRequest, nil},
		{"approve for one second", s2, wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 1, Scope: "view"}, wire.CodeBadRequest, nil},
		{"approve with an unknown scope", s2, wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "everything"}, wire.CodeBadRequest, nil},
		{"deny with a malformed body", s2, wire.RequestDenyPath(q.ID), "deny it", wire.CodeBadRequest, nil},
		{"revoke a pending request", s2, wire.RequestRevokePath(q.ID), wire.AccessRequestDecision{Reason: "no"}, wire.CodeConflict, nil},
		{"approve twice", s2, wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, wire.CodeConflict, func() {
			must(t, s2.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil))
		}},
	}
	for _, tr := range tries {
		if tr.before != nil {
			tr.before()
		}
		n := len(e.records("request.refused"))
		wantCode(t, tr.l.do("POST", tr.path, tr.body, nil), tr.code)
		recs := e.records("request.refused")
		if len(recs) != n+1 {
			t.Fatalf("%s: %d new request.refused records, want 1", tr.name, len(recs)-n)
		}
		r := recs[n]
		if r.Outcome != "denied" || r.OfficerID != tr.l.login.Officer.ID || r.DeviceID != tr.l.deviceID || r.SessionCode != tr.l.login.SessionCode ||
			r.Object != "POST "+tr.path || !strings.HasPrefix(r.Detail, tr.code+": ") || len(r.Detail) < len(tr.code)+10 || r.ClientAddr == "" {
			t.Fatalf("%s: record %+v", tr.name, r)
		}
	}
	// An annotation recorded as allowed and then refused when it is written
	// (its document is at the cap) is followed by the refusal.
	tech := e.session("E1")
	doc := e.docOf("H-1")
	if _, err := e.st.db.Exec(`WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i < ?)
		INSERT INTO annotations(id, document_id, created_at) SELECT 'ANN-FILL-' || i, ?, 1 FROM k`, MaxAnnotationsPerDocument, doc); err != nil {
		t.Fatal(err)
	}
	n0, c0 := len(e.records("request.refused")), len(e.records("annotation.create"))
	note := wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 72, Y0: 500, X1: 200, Y1: 540}, Kind: wire.AnnotationHighlight, Color: "#ffff00"}
	wantCode(t, tech.do("POST", wire.AnnotationsPath(doc), note, nil), wire.CodeTooLarge)
	if refused, created := e.records("request.refused"), e.records("annotation.create"); len(refused) != n0+1 || len(created) != c0+1 ||
		refused[n0].Index < created[c0].Index || !strings.HasPrefix(refused[n0].Detail, wire.CodeTooLarge+": ") || refused[n0].OfficerID != "E1" {
		t.Fatalf("annotation over the cap: %d create and %d refused records: %+v", len(created)-c0, len(refused)-n0, refused[n0:])
	}

	// Denials a handler records by name stay one record each.
	n, m := len(e.records("request.refused")), len(e.records("access.approve"))
	wantCode(t, s1.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil), wire.CodeSelfApproval)
	if len(e.records("request.refused")) != n || len(e.records("access.approve")) != m+1 {
		t.Fatal("a self-approval was recorded other than once, as access.approve")
	}
}

func TestRevokedDeviceRefused(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	must(t, e.st.RevokeDevice(context.Background(), admin, l.deviceID, "laptop stolen"))
	doc := e.docOf("H-1")
	wantCode(t, l.do("GET", wire.PathCases, nil, nil), wire.CodeDeviceRevoked)
	wantCode(t, l.do("POST", wire.DocumentOpenPath(doc), nil, nil), wire.CodeDeviceRevoked)
	// Each refused request is audited with who, which laptop, what and from where.
	refused := e.records("session.check")
	if len(refused) != 2 {
		t.Fatalf("refused requests of the revoked laptop: %d records, want 2: %+v", len(refused), refused)
	}
	for i, want := range []string{"GET " + wire.PathCases, "POST " + wire.DocumentOpenPath(doc)} {
		r := refused[i]
		if r.Outcome != "denied" || r.OfficerID != "D1" || r.DeviceID != l.deviceID || r.SessionCode != l.login.SessionCode ||
			r.Object != want || r.ClientAddr == "" || r.StationAddr == "" || !strings.HasPrefix(r.Detail, wire.CodeDeviceRevoked) {
			t.Fatalf("record of refused %s: %+v", want, r)
		}
	}
	wantCode(t, l.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: l.deviceID}, nil), wire.CodeDeviceRevoked)
	l.token = ""
	wantCode(t, l.do("POST", wire.PathLogin, wire.LoginRequest{OfficerID: "D2", Password: testPassword, DeviceID: l.deviceID, ChallengeID: "CH-X"}, nil), wire.CodeDeviceRevoked)
	// The revoked laptop's wipe receipt is still taken and audited.
	r := wire.WipeReceipt{StationID: "ST-TEST", DeviceID: l.deviceID, OfficerID: "D1", SessionCode: l.login.SessionCode, Trigger: wire.WipeRevoked,
		WipedAt: e.clock.Now(), Items: []string{"grants", "session_token", "ciphertext_cache"}, Nonce: bytes.Repeat([]byte{7}, 16)}
	signed, err := wire.SignWipeReceipt(r, l.sign)
	must(t, err)
	var ack wire.WipeAck
	must(t, l.do("POST", wire.PathWipe, signed, &ack))
	wantCode(t, l.do("POST", wire.PathWipe, signed, nil), wire.CodeConflict) // replay
	other := e.keys()
	forged, _ := wire.SignWipeReceipt(r, other.sign)
	wantCode(t, l.do("POST", wire.PathWipe, forged, nil), wire.CodeForbidden)
	recs := e.records("device.wipe")
	if !ack.Recorded || len(recs) != 2 || recs[0].Index != ack.AuditIndex || recs[0].Outcome != "reported" || !strings.Contains(recs[0].Detail, "trigger=revoked") || recs[1].Outcome != "denied" {
		t.Fatalf("ack %+v, wipe records %+v", ack, recs)
	}
}

// TestRefusedSessionsAudited: a request on a protected path refused at
// authentication leaves one denied record, naming the officer and laptop
// when the token is known to the station and the source address always.
func TestRefusedSessionsAudited(t *testing.T) {
	e := newEnv(t)
	ended := e.session("D1")
	must(t, ended.do("POST", wire.PathLogout, nil, nil))
	disabled := e.session("D2")
	// DisableOfficer also ends the sessions; the status check behind them
	// is what is tested here.
	if _, err := e.st.db.Exec(`UPDATE officers SET status='disabled' WHERE id='D2'`); err != nil {
		t.Fatal(err)
	}
	unknown := &laptop{e: e, token: "not-a-token-of-this-station"}
	none := &laptop{e: e}
	cases := []struct {
		name            string
		l               *laptop
		code            string
		officer, device string
	}{
		{"unknown token", unknown, wire.CodeUnauthenticated, "", ""},
		{"no token", none, wire.CodeUnauthenticated, "", ""},
		{"ended session", ended, wire.CodeUnauthenticated, "D1", ended.deviceID},
		{"disabled officer", disabled, wire.CodeAccountDisabled, "D2", disabled.deviceID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.records("session.check"))
			wantCode(t, c.l.do("GET", wire.PathCases, nil, nil), c.code)
			recs := e.records("session.check")
			if len(recs) != before+1 {
				t.Fatalf("%d new session.check records, want 1", len(recs)-before)
			}
			r := recs[len(recs)-1]
			if r.Outcome != "denied" || r.OfficerID != c.officer || r.DeviceID != c.device || r.Object != "GET "+wire.PathCases ||
				r.ClientAddr == "" || !strings.HasPrefix(r.Detail, c.code) {
				t.Fatalf("record = %+v", r)
			}
		})
	}
	// The open path is not audited as refused.
	n := len(e.records("session.check"))
	must(t, unknown.do("GET", wire.PathInfo, nil, nil))
	if len(e.records("session.check")) != n {
		t.Fatal("a request that needs no session was recorded as refused")
	}
}

// TestFailClosed: with the audit store failing, no grant is issued and the
// client gets a clear error; logins are refused too.
func TestFailClosed(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	doc := e.docOf("H-1")
	l2 := e.newLaptop("D2")
	e.st.audit = failingAuditor{}
	var body []byte
	err := l.do("POST", wire.DocumentOpenPath(doc), nil, &body)
	wantCode(t, err, wire.CodeAuditUnavailable)
	we := err.(*wire.Error)
	if we.Status != http.StatusServiceUnavailable || !strings.Contains(we.Message, "audit") || bytes.Contains(body, []byte("grant")) {
		t.Fatalf("error = %+v, body %q", we, body)
	}
	wantCode(t, l.do("GET", wire.DocumentPayloadPath(doc), nil, nil), wire.CodeAuditUnavailable)
	wantCode(t, l2.logIn("D2", testPassword), wire.CodeAuditUnavailable)
	if err := e.st.AddOfficer(context.Background(), admin, OfficerInput{ID: "X9", Name: "X", Role: "detective", Unit: "Homicide", Password: []byte(testPassword)}); err == nil {
		t.Fatal("admin action succeeded without its audit record")
	}
	if _, err := e.st.officer(context.Background(), "X9"); err == nil {
		t.Fatal("officer created without an audit record")
	}
	// And with the real log back, it works again.
	e.st.audit = e.st.log
	must(t, l.do("POST", wire.DocumentOpenPath(doc), nil, nil))
}

func TestAnnotationsRevisionsAndEncryption(t *testing.T) {
	e := newEnv(t)
	tech, d1 := e.session("E1"), e.session("D1")
	doc := e.docOf("H-1")
	const secret = "SECRET-NOTE-5521 blood smear on rail"
	in := wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 72, Y0: 500, X1: 200, Y1: 540}, Kind: wire.AnnotationNote, Color: "#ff0000", Text: secret}
	var a wire.Annotation
	must(t, tech.do("POST", wire.AnnotationsPath(doc), in, &a))
	if a.Current.Revision != 1 || a.Current.Text != secret || a.Current.Author.ID != "E1" {
		t.Fatalf("created %+v", a)
	}
	in.Text = "edited note"
	in.BaseRevision = 1
	must(t, tech.do("PUT", wire.AnnotationPath(a.ID), in, &a))
	wantCode(t, tech.do("PUT", wire.AnnotationPath(a.ID), in, nil), wire.CodeConflict) // stale base revision
	in.Page = 2
	in.BaseRevision = 2
	wantCode(t, tech.do("PUT", wire.AnnotationPath(a.ID), in, nil), wire.CodeBadRequest) // the document has 1 page
	wantCode(t, d1.do("DELETE", wire.AnnotationPath(a.ID), nil, nil), wire.CodeForbidden)
	var detail wire.CaseDetail
	must(t, d1.do("GET", wire.CasePath("H-1"), nil, &detail))
	if detail.Documents[0].Annotations != 1 {
		t.Fatalf("annotation count = %d", detail.Documents[0].Annotations)
	}
	must(t, tech.do("DELETE", wire.AnnotationPath(a.ID), nil, &a))
	if a.Current.Revision != 3 || !a.Current.Deleted || len(a.History) != 3 || a.History[0].Text != secret || a.History[1].Text != "edited note" {
		t.Fatalf("after delete %+v", a)
	}
	var list wire.AnnotationList
	must(t, d1.do("GET", wire.AnnotationsPath(doc), nil, &list))
	if len(list.Annotations) != 0 {
		t.Fatalf("deleted annotation listed: %+v", list)
	}
	must(t, d1.do("GET", wire.AnnotationsPath(doc)+"?deleted=1", nil, &list))
	if len(list.Annotations) != 1 || len(list.Annotations[0].History) != 3 {
		t.Fatalf("history: %+v", list)
	}
	for _, f := range []string{"station.db", "station.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(e.st.dir, f))
		if bytes.Contains(b, []byte("SECRET-NOTE-5521")) || bytes.Contains(b, []byte("edited note")) {
			t.Fatalf("annotation text in clear in %s", f)
		}
	}
	for _, action := range []string{"annotation.create", "annotation.edit", "annotation.delete"} {
		if len(e.records(action)) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}

func TestAuditTrailAndProofs(t *testing.T) {
	e := newEnv(t)
	d1, s1 := e.session("D1"), e.session("S1")
	must(t, d1.do("POST", wire.DocumentOpenPath(e.docOf("H-1")), nil, nil))
	var trail wire.AuditTrail
	must(t, s1.do("GET", wire.CaseAuditPath("H-1", "D1"), nil, &trail))
	if len(trail.Records) == 0 {
		t.Fatal("empty audit trail")
	}
	for _, r := range trail.Records {
		if r.CaseNumber != "H-1" || r.OfficerID != "D1" {
			t.Fatalf("filter leaked %+v", r)
		}
	}
	e.clock.Advance(checkpointFreshness)
	var cp wire.Checkpoint
	must(t, s1.do("GET", wire.PathAuditCheckpoint, nil, &cp))
	last := trail.Records[len(trail.Records)-1]
	var inc wire.InclusionProof
	must(t, s1.do("GET", wire.AuditInclusionPath(last.Index, cp.TreeSize), nil, &inc))
	proof := make([]tlogHash, len(inc.Proof))
	for i, h := range inc.Proof {
		copy(proof[i][:], h)
	}
	rec, err := audit.VerifyInclusion(cp.Note, e.st.AuditVerifierKey(), last.Leaf, last.Index, proof)
	must(t, err)
	if rec.Action != last.Action {
		t.Fatalf("proved record %+v", rec)
	}
	tampered := append([]byte(nil), last.Leaf...)
	tampered[len(tampered)-1] ^= 1
	if _, err := audit.VerifyInclusion(cp.Note, e.st.AuditVerifierKey(), tampered, last.Index, proof); err == nil {
		t.Fatal("tampered record proved")
	}
	// Consistency between two checkpoints.
	must(t, d1.do("POST", wire.DocumentOpenPath(e.docOf("H-1")), nil, nil))
	var same wire.Checkpoint
	must(t, s1.do("GET", wire.PathAuditCheckpoint, nil, &same))
	if same.TreeSize != cp.TreeSize {
		t.Fatal("a new checkpoint was signed for every request")
	}
	e.clock.Advance(checkpointFreshness)
	var cp2 wire.Checkpoint
	must(t, s1.do("GET", wire.PathAuditCheckpoint, nil, &cp2))
	var cons wire.ConsistencyProof
	must(t, s1.do("GET", wire.AuditConsistencyPath(cp.TreeSize, cp2.TreeSize), nil, &cons))
	tp := make([]tlogHash, len(cons.Proof))
	for i, h := range cons.Proof {
		copy(tp[i][:], h)
	}
	if cp2.TreeSize <= cp.TreeSize {
		t.Fatalf("checkpoint did not grow: %d then %d", cp.TreeSize, cp2.TreeSize)
	}
	must(t, audit.VerifyConsistency(cp.Note, cp2.Note, e.st.AuditVerifierKey(), tp))
	wantCode(t, s1.do("GET", wire.AuditInclusionPath(cp2.TreeSize+5, cp2.TreeSize+6), nil, nil), wire.CodeBadRequest)
	wantCode(t, s1.do("GET", wire.PathAuditInclusion+"?index=x", nil, nil), wire.CodeBadRequest)
	if len(e.records("audit.read")) == 0 {
		t.Fatal("reading the audit trail was not audited")
	}
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	raw := func(method, path, ctype string, body []byte) (int, wire.Error) {
		req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer "+l.token)
		resp, err := e.http.Do(req)
		must(t, err)
		defer resp.Body.Close()
		var we wire.Error
		if err := wire.Decode(resp.Body, &we, 1<<16); err != nil {
			t.Fatalf("%s %s: body is not a wire.Error: %v", method, path, err)
		}
		return resp.StatusCode, we
	}
	cases := []struct {
		method, path, ctype string
		body                []byte
		status              int
		code                string
	}{
		{"POST", wire.PathLogin, "application/json", []byte(`{"officer_id":`), 400, wire.CodeBadRequest},
		{"POST", wire.PathLogin, "application/json", []byte(`{"officer_id":"D1","evil":1}`), 400, wire.CodeBadRequest},
		{"POST", wire.PathLogin, "application/json", []byte(`{} {}`), 400, wire.CodeBadRequest},
		{"POST", wire.PathLogin, "text/plain", []byte(`{}`), 415, wire.CodeBadRequest},
		{"POST", wire.PathEnroll, "application/json", bytes.Repeat([]byte(" "), wire.MaxBodyBytes+10), 413, wire.CodeTooLarge},
		{"POST", wire.PathEnroll, "application/json", []byte(`{"token":"x","signing_key":"AAAA"}`), 400, wire.CodeBadRequest},
		{"POST", wire.PathRequests, "application/json", []byte(`{"case_number":"H-2","reason":"","duration_seconds":60}`), 400, wire.CodeBadRequest},
		{"POST", wire.PathRequests, "application/json", []byte(`{"case_number":"../etc","reason":"x","duration_seconds":3600}`), 400, wire.CodeBadRequest},
		{"POST", wire.AnnotationsPath(e.docOf("H-1")), "application/json", []byte(`{"page":1,"rect":{"x0":5,"y0":5,"x1":1,"y1":1},"kind":"note","color":"#000000","text":"x"}`), 400, wire.CodeBadRequest},
		{"POST", wire.PathWipe, "application/json", []byte(`{"receipt":"e30=","signature":""}`), 400, wire.CodeBadRequest},
		{"GET", "/v1/nothing-here", "", nil, 404, wire.CodeNotFound},
		{"DELETE", wire.PathCases, "", nil, 405, wire.CodeMethodNotAllowed},
		{"GET", wire.CasePath("no such case"), "", nil, 404, wire.CodeNotFound},
		{"GET", wire.PathCaseLookup + "?number=" + strings.Repeat("9", 2000), "", nil, 414, wire.CodeTooLarge},
	}
	for _, c := range cases {
		status, we := raw(c.method, c.path, c.ctype, c.body)
		if status != c.status || we.Code != c.code || we.Message == "" {
			t.Errorf("%s %s %.40q: got %d %+v, want %d %s", c.method, c.path, c.body, status, we, c.status, c.code)
		}
	}
}

// TestMalformedLoginsAudited: a login the station cannot even read, or
// with a field over its cap, is a failed logon attempt and is audited
// (CJIS AU-2), with the claimed officer when it reads as an ID.
func TestMalformedLoginsAudited(t *testing.T) {
	e := newEnv(t)
	l := e.newLaptop("D1")
	long := func(req wire.LoginRequest) []byte {
		b, err := json.Marshal(req)
		must(t, err)
		return b
	}
	cases := []struct {
		name, ctype     string
		body            []byte
		status          int
		officer, device string
		detail          string
	}{
		{"truncated JSON", "application/json", []byte(`{"officer_id":`), 400, "", "", "malformed login request"},
		{"unknown field", "application/json", []byte(`{"officer_id":"D1","evil":1}`), 400, "", "", "malformed login request"},
		{"trailing data", "application/json", []byte(`{} {}`), 400, "", "", "malformed login request"},
		{"not JSON", "text/plain", []byte(`{}`), 415, "", "", "malformed login request"},
		{"body too large", "application/json", bytes.Repeat([]byte(" "), wire.MaxBodyBytes+10), 413, "", "", "malformed login request"},
		{"password too long", "application/json", long(wire.LoginRequest{OfficerID: "D1", DeviceID: l.deviceID, Password: strings.Repeat("p", wire.MaxPasswordLen+1)}),
			400, "D1", l.deviceID, "too long"},
		{"officer ID too long", "application/json", long(wire.LoginRequest{OfficerID: strings.Repeat("D", wire.MaxIDLen+1), DeviceID: l.deviceID, Password: "x"}),
			400, "", l.deviceID, "too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.records("login"))
			req, _ := http.NewRequest("POST", e.base+wire.PathLogin, bytes.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			resp, err := e.http.Do(req)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			recs := e.records("login")
			if len(recs) != before+1 {
				t.Fatalf("%d new login records, want 1", len(recs)-before)
			}
			r := recs[len(recs)-1]
			if r.Outcome != "denied" || r.OfficerID != c.officer || r.DeviceID != c.device || r.ClientAddr == "" || !strings.Contains(r.Detail, c.detail) {
				t.Fatalf("record = %+v", r)
			}
		})
	}
}

func TestDefaultArgon2Parameters(t *testing.T) {
	if DefaultArgon2.Time < 3 || DefaultArgon2.MemKiB < 64*1024 || DefaultArgon2.Threads < 4 {
		t.Fatalf("DefaultArgon2 = %+v, below RFC 9106's second recommendation", DefaultArgon2)
	}
	if testing.Short() {
		t.Skip("hashing at full cost takes 0.2 s")
	}
	h, err := hashPassword([]byte("a-password"), DefaultArgon2)
	must(t, err)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Fatalf("hash = %s", h)
	}
	ok, err := checkPassword([]byte("a-password"), h)
	if err != nil || !ok {
		t.Fatal("password does not check")
	}
	if ok, _ := checkPassword([]byte("b-password"), h); ok {
		t.Fatal("wrong password checks")
	}
}

// TestFailClosedRealStore makes the real audit store fail (its table refuses
// inserts, as a full or read-only disk would) and checks that no grant is
// issued and the client is told why.
func TestFailClosedRealStore(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	doc := e.docOf("H-1")
	if _, err := e.st.db.Exec(`CREATE TRIGGER audit_full BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	var body []byte
	err := l.do("POST", wire.DocumentOpenPath(doc), nil, &body)
	wantCode(t, err, wire.CodeAuditUnavailable)
	if !strings.Contains(err.(*wire.Error).Message, "could not write the audit record") {
		t.Fatalf("message = %q", err.(*wire.Error).Message)
	}
	var n int
	e.st.db.QueryRow(`SELECT COUNT(*) FROM audit_records WHERE action='document.open'`).Scan(&n)
	if n != 0 {
		t.Fatal("an open was recorded although the store failed")
	}
	if _, err := e.st.db.Exec(`DROP TRIGGER audit_full`); err != nil {
		t.Fatal(err)
	}
	var open wire.OpenDocumentResponse
	must(t, l.do("POST", wire.DocumentOpenPath(doc), nil, &open))
	if len(open.Grant) == 0 {
		t.Fatal("no grant once the store works again")
	}
}

func TestServerTimeouts(t *testing.T) {
	e := newEnv(t)
	hs := e.srv.HTTPServer()
	if hs.IdleTimeout != time.Hour || hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("timeouts: idle %v header %v read %v write %v", hs.IdleTimeout, hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout)
	}
	if c := hs.TLSConfig; c.MinVersion != tls.VersionTLS13 {
		t.Fatalf("TLS min version %x", c.MinVersion)
	}
	if NewServer(e.st, ServerConfig{ConnIdleTimeout: 5 * time.Hour, IdleTimeout: time.Hour, AbsoluteTimeout: 24 * time.Hour}).HTTPServer().IdleTimeout != time.Hour {
		t.Fatal("limits above CJIS maximums were accepted")
	}
}

func TestCleanup(t *testing.T) {
	e := newEnv(t)
	l := e.session("D1")
	must(t, l.do("POST", wire.PathLogout, nil, nil))
	count := func(table string) (n int) {
		e.st.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
		return n
	}
	must(t, e.st.cleanup(context.Background()))
	if count("sessions") != 1 || count("challenges") != 1 {
		t.Fatalf("cleanup removed live rows: %d sessions, %d challenges", count("sessions"), count("challenges"))
	}
	e.clock.Advance(8 * 24 * time.Hour)
	must(t, e.st.cleanup(context.Background()))
	if count("sessions") != 0 || count("challenges") != 0 {
		t.Fatalf("after a week: %d sessions, %d challenges", count("sessions"), count("challenges"))
	}
}
