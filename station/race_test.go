package station

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"caseviewer/wire"
)

// signedLogin prepares a login request on l with a fresh challenge, so that
// many of them can be sent at once.
func (l *laptop) signedLogin(t testing.TB, officer, password string) wire.LoginRequest {
	t.Helper()
	var ch wire.ChallengeResponse
	must(t, l.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: l.deviceID}, &ch))
	return wire.LoginRequest{OfficerID: officer, Password: password, DeviceID: l.deviceID, ChallengeID: ch.ChallengeID,
		Signature: ed25519.Sign(l.sign, wire.LoginMessage("ST-TEST", ch.ChallengeID, ch.Challenge, l.deviceID, officer))}
}

// TestLockoutUnderConcurrency: many wrong passwords sent at once check at
// most MaxLoginFailures of them (CJIS AC-7), and a right password sent among
// them after the limit does not get in.
func TestLockoutUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	// A costlier hash widens the window in which the checks overlap, as the
	// real parameters do.
	h, err := hashPassword([]byte(testPassword), Argon2Params{Time: 2, MemKiB: 8 << 10, Threads: 1})
	must(t, err)
	_, err = e.st.db.Exec(`UPDATE officers SET pw_hash=? WHERE id='D1'`, h)
	must(t, err)
	const n = 24
	type attempt struct {
		l   *laptop
		req wire.LoginRequest
	}
	var attempts []attempt
	for i := 0; i < n; i++ {
		l := e.newLaptop("D1")
		pw := "wrong-password"
		if i == n-1 {
			pw = testPassword
		}
		attempts = append(attempts, attempt{l, l.signedLogin(t, "D1", pw)})
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range attempts[:n-1] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var res wire.LoginResponse
			errs[i] = a.l.do("POST", wire.PathLogin, a.req, &res)
		}()
	}
	close(start)
	wg.Wait()
	badCreds := 0
	for i, err := range errs[:n-1] {
		var we *wire.Error
		switch {
		case errors.As(err, &we) && we.Code == wire.CodeBadCredentials:
			badCreds++
		case errors.As(err, &we) && we.Code == wire.CodeAccountLocked:
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if badCreds > MaxLoginFailures-1 {
		t.Errorf("%d wrong passwords were answered with attempts left; at most %d may be", badCreds, MaxLoginFailures-1)
	}
	checked := 0
	for _, r := range e.records("login") {
		if strings.Contains(r.Detail, "wrong password") || strings.Contains(r.Detail, "account locked after") {
			checked++
		}
	}
	t.Logf("%d wrong passwords checked, %d answered with attempts left", checked, badCreds)
	if checked > MaxLoginFailures {
		t.Errorf("%d concurrent wrong passwords were checked; AC-7 allows %d", checked, MaxLoginFailures)
	}
	last := attempts[n-1]
	wantCode(t, last.l.do("POST", wire.PathLogin, last.req, nil), wire.CodeAccountLocked)
}

// TestEnrollTokenSingleUseUnderConcurrency: one token sent by many laptops
// at once enrolls exactly one, and the audit log says so.
func TestEnrollTokenSingleUseUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	tok, _, err := e.st.IssueEnrollToken(context.Background(), admin, "D1", time.Hour)
	must(t, err)
	const n = 12
	laptops := make([]*laptop, n)
	for i := range laptops {
		laptops[i] = e.keys()
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, l := range laptops {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = l.enroll(tok) }()
	}
	wg.Wait()
	okCount := 0
	for _, err := range errs {
		if err == nil {
			okCount++
			continue
		}
		wantCode(t, err, wire.CodeEnrollTokenUsed)
	}
	var devices int
	must(t, e.st.db.QueryRow(`SELECT COUNT(*) FROM devices`).Scan(&devices))
	if okCount != 1 || devices != 1 {
		t.Fatalf("%d enrollments succeeded, %d devices stored; want 1", okCount, devices)
	}
	allowed := 0
	for _, r := range e.records("device.enroll") {
		if r.Outcome == "allowed" {
			allowed++
		}
	}
	if allowed != 1 {
		t.Fatalf("%d device.enroll records say allowed; want 1", allowed)
	}
}

// TestChallengeSingleUseUnderConcurrency: one signed login sent many times
// at once logs in once.
func TestChallengeSingleUseUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	l := e.newLaptop("D1")
	req := l.signedLogin(t, "D1", testPassword)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = l.do("POST", wire.PathLogin, req, nil) }()
	}
	wg.Wait()
	okCount := 0
	for _, err := range errs {
		if err == nil {
			okCount++
			continue
		}
		wantCode(t, err, wire.CodeChallengeInvalid)
	}
	if okCount != 1 {
		t.Fatalf("one challenge gave %d sessions", okCount)
	}
}

// TestDecisionsUnderConcurrency: two supervisors deciding one request at
// once: one decision takes effect, the other gets a conflict, and the audit
// log does not claim both.
func TestDecisionsUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	d3, s1, s2 := e.session("D3"), e.session("S1"), e.session("S2")
	for round := 0; round < 4; round++ {
		var q wire.AccessRequest
		must(t, d3.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "overlap", DurationSeconds: 3600}, &q))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[0] = s1.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, nil)
		}()
		go func() {
			defer wg.Done()
			errs[1] = s2.do("POST", wire.RequestDenyPath(q.ID), wire.AccessRequestDecision{Reason: "no"}, nil)
		}()
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: approve %v, deny %v: want exactly one to succeed", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, wire.CodeConflict)
			}
		}
		got, err := e.st.request(context.Background(), q.ID)
		must(t, err)
		effective := 0
		for _, action := range []string{"access.approve", "access.deny"} {
			for _, r := range e.records(action) {
				if r.Object == q.ID && (r.Outcome == "approved" || r.Outcome == "denied") {
					effective++
				}
				if r.Object == q.ID && r.Outcome == "superseded" {
					effective--
				}
			}
		}
		if effective != 1 {
			t.Fatalf("round %d: state %s, but %d decisions in effect according to the audit log", round, got.State, effective)
		}
		if got.State == wire.RequestApproved {
			must(t, s1.do("POST", wire.RequestRevokePath(q.ID), wire.AccessRequestDecision{Reason: "done"}, nil))
		}
	}
}

// TestChallengeFloodDoesNotBlockLogin: anyone may ask for challenges for a
// known device ID; a flood of them neither piles up nor keeps the laptop
// from logging in.
func TestChallengeFloodDoesNotBlockLogin(t *testing.T) {
	e := newEnv(t)
	l := e.newLaptop("D1")
	stranger := &laptop{e: e}
	for i := 0; i < 3*maxChallengesPerDevice; i++ {
		must(t, stranger.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: l.deviceID}, nil))
	}
	var n int
	must(t, e.st.db.QueryRow(`SELECT COUNT(*) FROM challenges WHERE device_id=?`, l.deviceID).Scan(&n))
	if n > maxChallengesPerDevice {
		t.Fatalf("%d challenges outstanding, cap %d", n, maxChallengesPerDevice)
	}
	must(t, l.logIn("D1", testPassword))
}

// TestGrantExpiryRecordedOnce: many requests running the expiry at once
// record each expired grant once.
func TestGrantExpiryRecordedOnce(t *testing.T) {
	e := newEnv(t)
	d3, s1 := e.session("D3"), e.session("S1")
	var q wire.AccessRequest
	must(t, d3.do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "overlap", DurationSeconds: 600}, &q))
	must(t, s1.do("POST", wire.RequestApprovePath(q.ID), wire.AccessRequestApprove{DurationSeconds: 600, Scope: "view"}, nil))
	e.clock.Advance(11 * time.Minute)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.st.ExpireGrants(context.Background()) }()
	}
	wg.Wait()
	if n := len(e.records("access.expire")); n != 1 {
		t.Fatalf("%d access.expire records for one grant", n)
	}
}
