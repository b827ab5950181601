package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"caseviewer/audit"
	"caseviewer/bundle"
	"caseviewer/wire"
)

// access is how an officer may see a case.
type access struct {
	kind      string // wire.AccessTeam or wire.AccessGrant
	teamRole  string
	scope     string
	grantExp  *time.Time
	requestID string
}

var (
	errNoAccess     = fail(http.StatusForbidden, wire.CodeForbidden, "You are not on this case's team and hold no access grant for it. Request access.")
	errGrantExpired = fail(http.StatusForbidden, wire.CodeGrantExpired, "Your access grant to this case has expired. Request access again.")
	errGrantRevoked = fail(http.StatusForbidden, wire.CodeGrantRevoked, "Your access grant to this case was revoked by a supervisor.")
)

// caseAccess decides whether officer o may see case number now: case team
// membership or an approved, unexpired grant. Evidence technicians, team
// technicians and grants with annotate scope may also annotate.
func (st *Station) caseAccess(ctx context.Context, o *officerRow, number string) (*access, error) {
	if o.Role == wire.RoleAdmin {
		return nil, errNoAccess
	}
	now := st.now()
	var a *access
	var teamRole string
	err := st.db.QueryRowContext(ctx, `SELECT role FROM case_team WHERE case_number=? AND officer_id=?`, number, o.ID).Scan(&teamRole)
	switch {
	case err == nil:
		a = &access{kind: wire.AccessTeam, teamRole: teamRole, scope: wire.ScopeView}
		if teamRole == wire.TeamTechnician {
			a.scope = wire.ScopeAnnotate
		}
	case err != sql.ErrNoRows:
		return nil, err
	}
	var reqID, scope string
	var exp int64
	err = st.db.QueryRowContext(ctx, `SELECT id, scope, expires_at FROM access_requests
		WHERE case_number=? AND requester=? AND state='approved' AND expires_at>? ORDER BY expires_at DESC LIMIT 1`,
		number, o.ID, nanos(now)).Scan(&reqID, &scope, &exp)
	switch {
	case err == nil:
		t := fromNanos(exp)
		if a == nil {
			a = &access{kind: wire.AccessGrant, scope: scope, grantExp: &t, requestID: reqID}
		} else if scope == wire.ScopeAnnotate {
			a.scope = wire.ScopeAnnotate
		}
	case err != sql.ErrNoRows:
		return nil, err
	}
	if a == nil {
		// Say why: the latest decided grant expired or was revoked.
		var state string
		var e sql.NullInt64
		err := st.db.QueryRowContext(ctx, `SELECT state, expires_at FROM access_requests WHERE case_number=? AND requester=?
			AND state IN ('approved','expired','revoked') ORDER BY decided_at DESC LIMIT 1`, number, o.ID).Scan(&state, &e)
		switch {
		case err == sql.ErrNoRows:
			return nil, errNoAccess
		case err != nil:
			return nil, err
		case state == wire.RequestRevoked:
			return nil, errGrantRevoked
		default:
			return nil, errGrantExpired
		}
	}
	if o.Role == wire.RoleEvidenceTech {
		a.scope = wire.ScopeAnnotate
	}
	return a, nil
}

func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if checkID(name, v) != nil {
		return "", errNotFound
	}
	return v, nil
}

func (srv *Server) getCases(w http.ResponseWriter, r *http.Request, s *session) error {
	st := srv.st
	ctx := r.Context()
	st.ExpireGrants(ctx)
	rows, err := st.db.QueryContext(ctx, `SELECT number FROM cases WHERE number IN (
		SELECT case_number FROM case_team WHERE officer_id=?
		UNION SELECT case_number FROM access_requests WHERE requester=? AND state='approved' AND expires_at>?) ORDER BY number`,
		s.officer.ID, s.officer.ID, nanos(st.now()))
	if err != nil {
		return err
	}
	var numbers []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	list := wire.CaseList{Cases: []wire.CaseSummary{}}
	for _, n := range numbers {
		sum, err := st.caseSummary(ctx, &s.officer, n)
		if err != nil {
			continue // access ended between the two queries
		}
		list.Cases = append(list.Cases, *sum)
	}
	if _, err := srv.record(r, s, audit.Record{Action: "case.list", Outcome: "allowed", Detail: fmt.Sprintf("cases=%d", len(list.Cases))}); err != nil {
		return err
	}
	return ok(w, list)
}

func (st *Station) caseSummary(ctx context.Context, o *officerRow, number string) (*wire.CaseSummary, error) {
	c, err := st.caseRow(ctx, number)
	if err != nil {
		return nil, err
	}
	a, err := st.caseAccess(ctx, o, number)
	if err != nil {
		return nil, err
	}
	return &wire.CaseSummary{Number: c.Number, Title: c.Title, Unit: c.Unit, Status: c.Status, Access: a.kind,
		TeamRole: a.teamRole, Scope: a.scope, GrantExpiresAt: a.grantExp, GrantRequestID: a.requestID}, nil
}

func (srv *Server) getCaseLookup(w http.ResponseWriter, r *http.Request, s *session) error {
	number := r.URL.Query().Get("number")
	if checkID("case number", number) != nil {
		return badRequest("Give a case number (?number=...).")
	}
	res := wire.CaseLookup{Number: number}
	c, err := srv.st.caseRow(r.Context(), number)
	switch {
	case err == nil:
		res.Exists = true
		// Only a supervisor's screen uses the unit: it offers the case's
		// audit trail to supervisors of that unit (see doc/station.md).
		// Nobody else learns more than that the case exists.
		if s.officer.Role == wire.RoleSupervisor {
			res.Unit = c.Unit
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if _, err := srv.record(r, s, audit.Record{Action: "case.lookup", Outcome: "allowed", CaseNumber: number,
		Detail: fmt.Sprintf("exists=%v", res.Exists)}); err != nil {
		return err
	}
	return ok(w, res)
}

func (srv *Server) getCase(w http.ResponseWriter, r *http.Request, s *session) error {
	number, err := pathID(r, "number")
	if err != nil {
		return err
	}
	st := srv.st
	ctx := r.Context()
	rec := audit.Record{Action: "case.view", CaseNumber: number, Object: number}
	sum, err := st.caseSummary(ctx, &s.officer, number)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return srv.deny(r, s, rec, ae)
		}
		if errors.Is(err, ErrNotFound) {
			return srv.deny(r, s, rec, errNotFound)
		}
		return err
	}
	docs, err := st.documents(ctx, number)
	if err != nil {
		return err
	}
	team, err := st.team(ctx, number)
	if err != nil {
		return err
	}
	rec.Outcome = "allowed"
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	if team == nil {
		team = []wire.CaseTeamMember{}
	}
	return ok(w, wire.CaseDetail{Case: *sum, Documents: docs, Team: team})
}

func (st *Station) documents(ctx context.Context, number string) ([]wire.Document, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT id, title, type, pages, added_by, added_at, payload_size,
		(SELECT COUNT(*) FROM annotations a WHERE a.document_id=d.id AND (SELECT deleted FROM annotation_revisions v
			WHERE v.annotation_id=a.id ORDER BY revision DESC LIMIT 1)=0)
		FROM documents d WHERE case_number=? ORDER BY added_at, id`, number)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.Document{}
	for rows.Next() {
		var d wire.Document
		var at int64
		if err := rows.Scan(&d.ID, &d.Title, &d.Type, &d.Pages, &d.AddedBy, &at, &d.PayloadSize, &d.Annotations); err != nil {
			return nil, err
		}
		d.AddedAt = fromNanos(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

type documentRow struct {
	id, caseNumber, file string
	payloadSize          int64
	manifest, identity   []byte
}

func (st *Station) document(ctx context.Context, id string) (*documentRow, error) {
	var d documentRow
	err := st.db.QueryRowContext(ctx, `SELECT id, case_number, file, payload_size, manifest, identity_sealed FROM documents WHERE id=?`, id).
		Scan(&d.id, &d.caseNumber, &d.file, &d.payloadSize, &d.manifest, &d.identity)
	if err == sql.ErrNoRows {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// documentAccess loads a document and checks the caller's access to its
// case, recording a denial.
func (srv *Server) documentAccess(r *http.Request, s *session, action string) (*documentRow, *access, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	rec := audit.Record{Action: action, Object: id}
	d, err := srv.st.document(r.Context(), id)
	if err != nil {
		if err == errNotFound {
			return nil, nil, srv.deny(r, s, rec, errNotFound)
		}
		return nil, nil, err
	}
	rec.CaseNumber = d.caseNumber
	a, err := srv.st.caseAccess(r.Context(), &s.officer, d.caseNumber)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return nil, nil, srv.deny(r, s, rec, ae)
		}
		return nil, nil, err
	}
	return d, a, nil
}

// postOpen checks access, writes the audit record, and only then issues a
// grant sealed to the caller's device, expiring no later than the session.
func (srv *Server) postOpen(w http.ResponseWriter, r *http.Request, s *session) error {
	drain(r)
	st := srv.st
	ctx := r.Context()
	d, a, err := srv.documentAccess(r, s, "document.open")
	if err != nil {
		return err
	}
	var hpkeKey []byte
	if err := st.db.QueryRowContext(ctx, `SELECT hpke_key FROM devices WHERE id=?`, s.deviceID).Scan(&hpkeKey); err != nil {
		return err
	}
	now := st.now().UTC()
	exp := s.expiresAt
	if s.idleUntil.Before(exp) {
		exp = s.idleUntil
	}
	if a.grantExp != nil && a.grantExp.Before(exp) {
		exp = *a.grantExp
	}
	grantID := randomID("GR")
	if _, err := srv.record(r, s, audit.Record{Action: "document.open", Outcome: "allowed", CaseNumber: d.caseNumber, Object: d.id,
		Bytes: d.payloadSize, Detail: fmt.Sprintf("grant=%s scope=%s access=%s expires=%s", grantID, a.scope, a.kind, exp.Format(time.RFC3339))}); err != nil {
		return err // fail closed: no record, no grant
	}
	identText, err := st.seal.open(purposeIdentity, d.id, d.identity)
	if err != nil {
		return err
	}
	ident, err := bundle.ParseDocumentIdentity(string(identText))
	clear(identText)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(st.dir, filePayloads, d.file))
	if err != nil {
		return err
	}
	defer f.Close()
	grant, err := bundle.IssueGrant(bundle.GrantContext{
		GrantID: grantID, OfficerID: s.officer.ID, DeviceID: s.deviceID, CaseNumber: d.caseNumber, DocumentID: d.id,
		IssuedAt: now, ExpiresAt: exp, Scope: a.scope,
	}, d.manifest, f, ident, hpkeKey, st.key)
	if err != nil {
		return fmt.Errorf("issue grant: %w", err)
	}
	return ok(w, wire.OpenDocumentResponse{DocumentID: d.id, CaseNumber: d.caseNumber, SignedManifest: d.manifest, Grant: grant,
		GrantID: grantID, GrantExpiresAt: exp, PayloadPath: wire.DocumentPayloadPath(d.id), PayloadSize: d.payloadSize,
		SessionCode: s.code, Scope: a.scope})
}

// getPayload streams a document's ciphertext (range requests allowed).
func (srv *Server) getPayload(w http.ResponseWriter, r *http.Request, s *session) error {
	d, _, err := srv.documentAccess(r, s, "document.payload")
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(srv.st.dir, filePayloads, d.file))
	if err != nil {
		return err
	}
	defer f.Close()
	rng := r.Header.Get("Range")
	if len(rng) > 100 {
		rng = rng[:100] + "..."
	}
	if _, err := srv.record(r, s, audit.Record{Action: "document.payload", Outcome: "allowed", CaseNumber: d.caseNumber,
		Object: d.id, Bytes: d.payloadSize, Detail: fmt.Sprintf("ciphertext; range=%q", rng)}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
