package station

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"caseviewer/audit"
	"caseviewer/wire"
)

// Login lockout (CJIS AC-7).
const (
	// MaxLoginFailures failed logins within LockoutWindow lock an account.
	MaxLoginFailures = 5
	// LockoutWindow is the window over which failures count.
	LockoutWindow = 15 * time.Minute
	// maxChallengesPerDevice caps outstanding challenges of one device.
	maxChallengesPerDevice = 8
)

func (srv *Server) postEnroll(w http.ResponseWriter, r *http.Request, _ *session) error {
	var req wire.EnrollRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	rec := audit.Record{Action: "device.enroll"}
	switch {
	case req.Token == "" || len(req.Token) > wire.MaxTokenLen:
		return srv.deny(r, nil, rec, fail(http.StatusBadRequest, wire.CodeEnrollTokenInvalid, "The enrollment token is malformed."))
	case len(req.SigningKey) != wire.SigningKeySize:
		return badRequest("The signing key must be an Ed25519 public key of %d bytes.", wire.SigningKeySize)
	case len(req.HPKEKey) != wire.HPKEKeySize:
		return badRequest("The HPKE key must be an ML-KEM-768+X25519 public key of %d bytes.", wire.HPKEKeySize)
	case checkText("device name", req.DeviceName, 1, wire.MaxNameLen) != nil:
		return badRequest("The device name must have 1 to %d printable bytes.", wire.MaxNameLen)
	}
	if _, err := hpke.MLKEM768X25519().NewPublicKey(req.HPKEKey); err != nil {
		return badRequest("The HPKE key is not a valid ML-KEM-768+X25519 public key.")
	}
	if !ed25519.Verify(req.SigningKey, wire.EnrollMessage(req.Token, req.SigningKey, req.HPKEKey), req.Proof) {
		return badRequest("The proof of possession does not verify with the signing key.")
	}
	st := srv.st
	ctx := r.Context()
	h := tokenHash(req.Token)
	var officerID string
	var expires int64
	var used sql.NullInt64
	err := st.db.QueryRowContext(ctx, `SELECT officer_id, expires_at, used_at FROM enroll_tokens WHERE hash=?`, h).Scan(&officerID, &expires, &used)
	now := st.now()
	switch {
	case err == sql.ErrNoRows:
		return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeEnrollTokenInvalid, "The station does not know this enrollment token. Check it, or ask the administrator for a new one."))
	case err != nil:
		return err
	}
	rec.OfficerID = officerID
	switch {
	case used.Valid:
		return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeEnrollTokenUsed, "This enrollment token was already used. Ask the administrator for a new one."))
	case !now.Before(fromNanos(expires)):
		return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeEnrollTokenExpired, "This enrollment token has expired. Ask the administrator for a new one."))
	}
	o, err := st.officer(ctx, officerID)
	if err != nil || o.status == "disabled" {
		return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeAccountDisabled, "The officer this token was issued to is disabled."))
	}
	// Claim the token first (one claim wins under concurrency), then write
	// the audit record, then create the device; a failed record releases
	// the claim.
	deviceID := randomID("DEV")
	rec.DeviceID = deviceID
	res, err := st.db.ExecContext(ctx, `UPDATE enroll_tokens SET used_at=?, device_id=? WHERE hash=? AND used_at IS NULL AND expires_at>?`,
		nanos(now), deviceID, h, nanos(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeEnrollTokenUsed, "This enrollment token was already used. Ask the administrator for a new one."))
	}
	release := func() {
		st.db.ExecContext(ctx, `UPDATE enroll_tokens SET used_at=NULL, device_id=NULL WHERE hash=? AND device_id=?`, h, deviceID)
	}
	rec.Outcome = "allowed"
	rec.Object = deviceID
	rec.Detail = fmt.Sprintf("name=%q signing_key=%s", req.DeviceName, wire.Fingerprint(req.SigningKey))
	if _, err := srv.record(r, nil, rec); err != nil {
		release()
		return err
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO devices(id, name, officer_id, signing_key, hpke_key, enrolled_at) VALUES(?,?,?,?,?,?)`,
		deviceID, req.DeviceName, officerID, req.SigningKey, req.HPKEKey, nanos(now)); err != nil {
		release()
		return err
	}
	return ok(w, wire.EnrollResponse{DeviceID: deviceID, StationID: st.ID(), OfficerID: officerID})
}

type deviceRow struct {
	id         string
	signingKey []byte
	hpkeKey    []byte
	revoked    bool
}

func (st *Station) device(r *http.Request, id string) (*deviceRow, error) {
	if checkID("device", id) != nil {
		return nil, fail(http.StatusBadRequest, wire.CodeDeviceUnknown, "The device ID is malformed.")
	}
	var d deviceRow
	var rev sql.NullInt64
	err := st.db.QueryRowContext(r.Context(), `SELECT id, signing_key, hpke_key, revoked_at FROM devices WHERE id=?`, id).Scan(&d.id, &d.signingKey, &d.hpkeKey, &rev)
	if err == sql.ErrNoRows {
		return nil, fail(http.StatusForbidden, wire.CodeDeviceUnknown, "This laptop is not enrolled at this station. Enroll it again.")
	}
	if err != nil {
		return nil, err
	}
	d.revoked = rev.Valid
	return &d, nil
}

var errRevoked = fail(http.StatusForbidden, wire.CodeDeviceRevoked, "This laptop was revoked by the station administrator. It must wipe its case data.")

func (srv *Server) postChallenge(w http.ResponseWriter, r *http.Request, _ *session) error {
	var req wire.ChallengeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	st := srv.st
	d, err := st.device(r, req.DeviceID)
	if err != nil {
		return err
	}
	if d.revoked {
		return srv.deny(r, nil, audit.Record{Action: "login.challenge", DeviceID: d.id}, errRevoked)
	}
	ctx := r.Context()
	now := st.now()
	ch := make([]byte, 32)
	rand.Read(ch)
	id := randomID("CH")
	exp := now.Add(wire.ChallengeTTL).UTC()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM challenges WHERE device_id=? AND (used=1 OR expires_at<=?)`, d.id, nanos(now)); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM challenges WHERE device_id=?`, d.id).Scan(&n); err != nil {
		return err
	}
	if n >= maxChallengesPerDevice {
		// Drop the oldest rather than refuse: anyone who knows a device ID
		// may ask for challenges, and must not be able to keep the laptop
		// from logging in.
		if _, err := tx.ExecContext(ctx, `DELETE FROM challenges WHERE id IN (SELECT id FROM challenges WHERE device_id=? ORDER BY expires_at, id LIMIT ?)`,
			d.id, n-maxChallengesPerDevice+1); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO challenges(id, device_id, challenge, expires_at) VALUES(?,?,?,?)`, id, d.id, ch, nanos(exp)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return ok(w, wire.ChallengeResponse{ChallengeID: id, Challenge: ch, ExpiresAt: exp})
}

func (srv *Server) postLogin(w http.ResponseWriter, r *http.Request, _ *session) error {
	var req wire.LoginRequest
	if err := decode(r, &req); err != nil {
		// A logon attempt all the same (CJIS AU-2); who is not known.
		if ae, isAPI := err.(*apiError); isAPI {
			return srv.deny(r, nil, audit.Record{Action: "login", Detail: "malformed login request: " + ae.msg}, ae)
		}
		return err
	}
	st := srv.st
	ctx := r.Context()
	rec := audit.Record{Action: "login", OfficerID: req.OfficerID, DeviceID: req.DeviceID}
	if len(req.OfficerID) > wire.MaxIDLen || len(req.Password) > wire.MaxPasswordLen || len(req.ChallengeID) > wire.MaxIDLen || len(req.Signature) > 128 {
		// Keep the claimed IDs only when they read as IDs.
		if checkID("officer ID", rec.OfficerID) != nil {
			rec.OfficerID = ""
		}
		if checkID("device ID", rec.DeviceID) != nil {
			rec.DeviceID = ""
		}
		rec.Detail = "a field of the login request is too long"
		return srv.deny(r, nil, rec, badRequest("A field of the login request is too long."))
	}
	if checkID("officer ID", req.OfficerID) != nil {
		rec.OfficerID = ""
		return srv.deny(r, nil, rec, fail(http.StatusUnauthorized, wire.CodeBadCredentials, "The officer ID or password is wrong."))
	}
	d, err := st.device(r, req.DeviceID)
	if err != nil {
		if ae, isAPI := err.(*apiError); isAPI {
			rec.DeviceID = ""
			return srv.deny(r, nil, rec, ae)
		}
		return err
	}
	if d.revoked {
		return srv.deny(r, nil, rec, errRevoked)
	}

	// Possession: the device's signature over a fresh challenge, consumed
	// here whatever the outcome.
	now := st.now()
	var ch []byte
	var chDevice string
	var chExp int64
	var chUsed int
	err = st.db.QueryRowContext(ctx, `SELECT device_id, challenge, expires_at, used FROM challenges WHERE id=?`, req.ChallengeID).Scan(&chDevice, &ch, &chExp, &chUsed)
	badChallenge := fail(http.StatusUnauthorized, wire.CodeChallengeInvalid, "The login challenge is unknown, used, expired or not signed by this laptop. Try again.")
	if err == sql.ErrNoRows {
		return srv.deny(r, nil, rec, badChallenge)
	} else if err != nil {
		return err
	}
	res, err := st.db.ExecContext(ctx, `UPDATE challenges SET used=1 WHERE id=? AND used=0`, req.ChallengeID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 || chUsed != 0 || chDevice != d.id || !now.Before(fromNanos(chExp)) {
		rec.Detail = "challenge used, expired or for another device"
		return srv.deny(r, nil, rec, badChallenge)
	}
	if !ed25519.Verify(d.signingKey, wire.LoginMessage(st.ID(), req.ChallengeID, ch, d.id, req.OfficerID), req.Signature) {
		rec.Detail = "device signature does not verify"
		return srv.deny(r, nil, rec, badChallenge)
	}

	// Knowledge: the password, with the lockout. The attempt counts as a
	// failure before the password is checked, so that concurrent attempts
	// check at most MaxLoginFailures passwords (CJIS AC-7).
	o, err := st.officer(ctx, req.OfficerID)
	if err != nil {
		checkPassword([]byte(req.Password), st.dummyHash())
		rec.Detail = "unknown officer"
		return srv.deny(r, nil, rec, fail(http.StatusUnauthorized, wire.CodeBadCredentials, "The officer ID or password is wrong."))
	}
	attempt, err := st.reserveAttempt(ctx, o.ID, now)
	if err != nil {
		if ae, isAPI := err.(*apiError); isAPI {
			return srv.deny(r, nil, rec, ae)
		}
		return err
	}
	good, err := checkPassword([]byte(req.Password), o.pwHash)
	if err != nil {
		return err // the reserved failure stands: fail closed
	}
	if !good {
		left, locked, err := st.loginFailed(r, o)
		if err != nil {
			return err
		}
		if locked {
			rec.Detail = "account locked after failed logins"
			return srv.deny(r, nil, rec, fail(http.StatusForbidden, wire.CodeAccountLocked,
				fmt.Sprintf("Wrong password. After %d failed logins the account is locked; an administrator must unlock it.", MaxLoginFailures)))
		}
		e := fail(http.StatusUnauthorized, wire.CodeBadCredentials, fmt.Sprintf("The officer ID or password is wrong. %d attempts left before the account locks.", left))
		e.attemptsLeft = &left
		rec.Detail = fmt.Sprintf("wrong password, %d attempts left", left)
		return srv.deny(r, nil, rec, e)
	}

	// Success: audit first (fail closed), then the session.
	tok, _ := randomToken(32)
	sum := sha256.Sum256([]byte(tok))
	code := sessionCode()
	expires := now.Add(srv.cfg.AbsoluteTimeout).UTC()
	rec.Outcome = "allowed"
	rec.SessionCode = code
	if _, err := srv.record(r, nil, rec); err != nil {
		// A right password is no failure, even when the log is down.
		st.db.ExecContext(ctx, `DELETE FROM login_failures WHERE rowid=?`, attempt)
		return err
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM officers WHERE id=?`, o.ID).Scan(&status); err != nil {
		return err
	}
	if status != "active" {
		// Locked or disabled while the password was checked.
		tx.Rollback()
		rec.SessionCode, rec.Detail = "", "account "+status+" while the password was checked"
		return srv.deny(r, nil, rec, accountStatusError(status))
	}
	// The failures before this attempt are no longer consecutive.
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE officer_id=? AND rowid<=?`, o.ID, attempt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE officers SET failures_reset_at=? WHERE id=?`, nanos(now), o.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions(hash, officer_id, device_id, code, created_at, last_seen, expires_at) VALUES(?,?,?,?,?,?,?)`,
		sum[:], o.ID, d.id, code, nanos(now), nanos(now), nanos(expires)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return ok(w, wire.LoginResponse{Officer: o.Officer, SessionToken: tok, ExpiresAt: expires,
		IdleSeconds: int64(srv.cfg.IdleTimeout / time.Second), SessionCode: code})
}

// accountStatusError is the answer to a login on a locked or disabled
// account.
func accountStatusError(status string) *apiError {
	if status == "disabled" {
		return fail(http.StatusForbidden, wire.CodeAccountDisabled, "This officer account is disabled. See the station administrator.")
	}
	return fail(http.StatusForbidden, wire.CodeAccountLocked, "This account is locked after too many failed logins. An administrator must unlock it.")
}

// reserveAttempt checks in one write transaction that the account is active
// and under the failure limit, and records this attempt as a failure until
// the password proves right. It returns the failure's row ID, or an
// *apiError for a locked or disabled account.
func (st *Station) reserveAttempt(ctx context.Context, officerID string, now time.Time) (int64, error) {
	tx, err := st.db.BeginTx(ctx, nil) // takes the write lock at BEGIN (_txlock=immediate)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM officers WHERE id=?`, officerID).Scan(&status); err != nil {
		return 0, err
	}
	if status != "active" {
		return 0, accountStatusError(status)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE officer_id=? AND at>?`, officerID, nanos(now.Add(-LockoutWindow))).Scan(&n); err != nil {
		return 0, err
	}
	if n >= MaxLoginFailures {
		// Only attempts still being checked can get here.
		return 0, accountStatusError("locked")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO login_failures(officer_id, at) VALUES(?,?)`, officerID, nanos(now))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// loginFailed counts the failures within the window (this one was reserved
// by reserveAttempt) and locks the account at the limit.
func (st *Station) loginFailed(r *http.Request, o *officerRow) (left int, locked bool, err error) {
	ctx := r.Context()
	now := st.now()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE officer_id=? AND at>?`, o.ID, nanos(now.Add(-LockoutWindow))).Scan(&n); err != nil {
		return 0, false, err
	}
	if n >= MaxLoginFailures {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET status='locked', locked_at=? WHERE id=? AND status='active'`, nanos(now), o.ID); err != nil {
			return 0, false, err
		}
		locked = true
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE officer_id=? AND at<?`, o.ID, nanos(now.Add(-24*time.Hour))); err != nil {
		return 0, false, err
	}
	return MaxLoginFailures - n, locked, tx.Commit()
}

func (srv *Server) postLogout(w http.ResponseWriter, r *http.Request, s *session) error {
	drain(r)
	now := srv.st.now()
	if _, err := srv.record(r, s, audit.Record{Action: "logout", Outcome: "allowed"}); err != nil {
		// The session ends anyway: ending access never waits for the log.
		srv.cfg.Logf("station: logout of %s not audited", s.officer.ID)
	}
	if _, err := srv.st.db.ExecContext(r.Context(), `UPDATE sessions SET ended_at=?, end_reason='logout' WHERE hash=? AND ended_at IS NULL`, nanos(now), s.tokenHash); err != nil {
		return err
	}
	return ok(w, wire.OK{OK: true})
}

func (srv *Server) getSession(w http.ResponseWriter, r *http.Request, s *session) error {
	return ok(w, wire.SessionInfo{Officer: s.officer.Officer, DeviceID: s.deviceID, SessionCode: s.code, ExpiresAt: s.expiresAt, IdleUntil: s.idleUntil})
}

func (srv *Server) postWipe(w http.ResponseWriter, r *http.Request, _ *session) error {
	var req wire.SignedWipeReceipt
	if err := decode(r, &req); err != nil {
		return err
	}
	rc, err := wire.ParseWipeReceipt(&req)
	if err != nil {
		return badRequest("The wipe receipt is malformed: %s.", trimWireErr(err))
	}
	st := srv.st
	d, err := st.device(r, rc.DeviceID)
	if err != nil {
		return err
	}
	if rc.StationID != st.ID() {
		return badRequest("The wipe receipt names another station.")
	}
	// What goes into the audit record must read as what it is.
	if (rc.OfficerID != "" && checkID("officer", rc.OfficerID) != nil) || (rc.SessionCode != "" && checkID("session code", rc.SessionCode) != nil) {
		return badRequest("The wipe receipt's officer ID or session code is malformed.")
	}
	for _, it := range rc.Items {
		if checkID("item", it) != nil {
			return badRequest("The wipe receipt's items must be names of letters, digits, '.', '_' or '-'.")
		}
	}
	if err := wire.VerifyWipeReceipt(&req, d.signingKey); err != nil {
		return srv.deny(r, nil, audit.Record{Action: "device.wipe", DeviceID: d.id, Detail: "signature does not verify"},
			fail(http.StatusForbidden, wire.CodeForbidden, "The wipe receipt's signature does not verify with this laptop's key."))
	}
	now := st.now()
	if rc.WipedAt.After(now.Add(wire.MaxClockSkew)) {
		return badRequest("The wipe receipt is dated in the future.")
	}
	var dup int
	st.db.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM wipe_receipts WHERE device_id=? AND nonce=?`, d.id, rc.Nonce).Scan(&dup)
	if dup > 0 {
		return fail(http.StatusConflict, wire.CodeConflict, "This wipe receipt was already recorded.")
	}
	var items bytes.Buffer
	for i, it := range rc.Items {
		if i > 0 {
			items.WriteByte(',')
		}
		items.WriteString(it)
	}
	out, err := srv.record(r, nil, audit.Record{Action: "device.wipe", Outcome: "reported", OfficerID: rc.OfficerID, DeviceID: d.id,
		SessionCode: rc.SessionCode, Object: d.id, Detail: fmt.Sprintf("trigger=%s wiped_at=%s items=%s", rc.Trigger, rc.WipedAt.UTC().Format(time.RFC3339Nano), items.String())})
	if err != nil {
		return err
	}
	if _, err := st.db.ExecContext(r.Context(), `INSERT OR IGNORE INTO wipe_receipts(device_id, nonce, trigger, wiped_at, received_at) VALUES(?,?,?,?,?)`,
		d.id, rc.Nonce, rc.Trigger, nanos(rc.WipedAt), nanos(now)); err != nil {
		return err
	}
	return ok(w, wire.WipeAck{Recorded: true, AuditIndex: out.Index})
}

// dummyHash returns a hash at the station's cost, checked for unknown
// officers so that a wrong officer ID takes as long as a wrong password.
func (st *Station) dummyHash() string {
	st.dummyOnce.Do(func() {
		st.dummy, _ = hashPassword([]byte("not the password of anyone"), st.argon)
	})
	return st.dummy
}
