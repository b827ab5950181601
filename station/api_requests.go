package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"caseviewer/audit"
	"caseviewer/wire"
)

const requestColumns = `r.id, r.case_number, c.unit, o.id, o.name, o.role, o.unit, r.reason, r.requested_seconds, r.created_at, r.state,
	COALESCE(r.decided_by,''), r.decided_at, COALESCE(r.decision_reason,''), COALESCE(r.scope,''), r.expires_at`

const requestFrom = ` FROM access_requests r JOIN cases c ON c.number=r.case_number JOIN officers o ON o.id=r.requester `

func scanRequest(sc interface{ Scan(...any) error }, now time.Time) (*wire.AccessRequest, error) {
	var q wire.AccessRequest
	var created int64
	var decided, exp sql.NullInt64
	if err := sc.Scan(&q.ID, &q.CaseNumber, &q.CaseUnit, &q.Requester.ID, &q.Requester.Name, &q.Requester.Role, &q.Requester.Unit,
		&q.Reason, &q.RequestedSeconds, &created, &q.State, &q.DecidedBy, &decided, &q.DecisionReason, &q.Scope, &exp); err != nil {
		return nil, err
	}
	q.CreatedAt, q.DecidedAt, q.ExpiresAt = fromNanos(created), nullTime(decided), nullTime(exp)
	if q.State == wire.RequestApproved && q.ExpiresAt != nil && !now.Before(*q.ExpiresAt) {
		q.State = wire.RequestExpired
	}
	return &q, nil
}

func (st *Station) request(ctx context.Context, id string) (*wire.AccessRequest, error) {
	q, err := scanRequest(st.db.QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.id=?`, id), st.now())
	if err == sql.ErrNoRows {
		return nil, errNotFound
	}
	return q, err
}

func (st *Station) requests(ctx context.Context, where string, args ...any) ([]wire.AccessRequest, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+where+` ORDER BY r.created_at DESC, r.rowid DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.AccessRequest{}
	now := st.now()
	for rows.Next() {
		q, err := scanRequest(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, *q)
	}
	return out, rows.Err()
}

// ExpireGrants marks approved access grants whose time is up as expired,
// recording each expiry in the audit log first (a grant past its time gives
// no access whether or not this ran).
func (st *Station) ExpireGrants(ctx context.Context) error {
	st.expireMu.Lock()
	defer st.expireMu.Unlock()
	now := st.now()
	rows, err := st.db.QueryContext(ctx, `SELECT id, case_number, requester, expires_at FROM access_requests WHERE state='approved' AND expires_at<=?`, nanos(now))
	if err != nil {
		return err
	}
	type exp struct {
		id, number, officer string
		at                  int64
	}
	var due []exp
	for rows.Next() {
		var e exp
		if err := rows.Scan(&e.id, &e.number, &e.officer, &e.at); err != nil {
			rows.Close()
			return err
		}
		due = append(due, e)
	}
	rows.Close()
	for _, e := range due {
		if _, err := st.audit.Append(ctx, audit.Record{Time: now.UTC(), Action: "access.expire", Outcome: "expired", OfficerID: e.officer,
			CaseNumber: e.number, Object: e.id, Detail: "grant expired at " + fromNanos(e.at).Format(time.RFC3339)}); err != nil {
			return err
		}
		if _, err := st.db.ExecContext(ctx, `UPDATE access_requests SET state='expired' WHERE id=? AND state='approved'`, e.id); err != nil {
			return err
		}
	}
	return nil
}

func (srv *Server) postRequest(w http.ResponseWriter, r *http.Request, s *session) error {
	var req wire.AccessRequestCreate
	if err := decode(r, &req); err != nil {
		return err
	}
	st := srv.st
	ctx := r.Context()
	if checkID("case number", req.CaseNumber) != nil {
		return badRequest("The case number is malformed.")
	}
	if err := checkText("reason", req.Reason, 1, wire.MaxReasonLen); err != nil {
		return badRequest("Give a reason of 1 to %d printable bytes.", wire.MaxReasonLen)
	}
	if req.DurationSeconds < wire.MinGrantSeconds || req.DurationSeconds > wire.MaxGrantSeconds {
		return badRequest("The duration must be between %d and %d seconds.", wire.MinGrantSeconds, wire.MaxGrantSeconds)
	}
	rec := audit.Record{Action: "access.request", CaseNumber: req.CaseNumber, Object: req.CaseNumber}
	if s.officer.Role == wire.RoleAdmin {
		return srv.deny(r, s, rec, fail(http.StatusForbidden, wire.CodeForbidden, "Administrators do not request case access."))
	}
	if _, err := st.caseRow(ctx, req.CaseNumber); err != nil {
		if errors.Is(err, ErrNotFound) {
			return srv.deny(r, s, rec, errNotFound)
		}
		return err
	}
	if a, err := st.caseAccess(ctx, &s.officer, req.CaseNumber); err == nil && a.kind == wire.AccessTeam {
		return fail(http.StatusConflict, wire.CodeConflict, "You are on this case's team already.")
	}
	var pending int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_requests WHERE case_number=? AND requester=? AND state='pending'`,
		req.CaseNumber, s.officer.ID).Scan(&pending); err != nil {
		return err
	}
	if pending > 0 {
		return fail(http.StatusConflict, wire.CodeConflict, "You already have a pending request for this case.")
	}
	id := randomID("REQ")
	rec.Object = id
	rec.Outcome = "requested"
	rec.Detail = fmt.Sprintf("duration=%ds reason=%q", req.DurationSeconds, req.Reason)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO access_requests(id, case_number, requester, reason, requested_seconds, created_at, state)
		VALUES(?,?,?,?,?,?,'pending')`, id, req.CaseNumber, s.officer.ID, req.Reason, req.DurationSeconds, nanos(st.now())); err != nil {
		return err
	}
	q, err := st.request(ctx, id)
	if err != nil {
		return err
	}
	return ok(w, q)
}

func (srv *Server) getRequests(w http.ResponseWriter, r *http.Request, s *session) error {
	srv.st.ExpireGrants(r.Context())
	list, err := srv.st.requests(r.Context(), `WHERE r.requester=?`, s.officer.ID)
	if err != nil {
		return err
	}
	if _, err := srv.record(r, s, audit.Record{Action: "access.list", Outcome: "allowed", Detail: fmt.Sprintf("requests=%d", len(list))}); err != nil {
		return err
	}
	return ok(w, wire.AccessRequestList{Requests: list})
}

func (srv *Server) getPending(w http.ResponseWriter, r *http.Request, s *session) error {
	if s.officer.Role != wire.RoleSupervisor {
		return srv.deny(r, s, audit.Record{Action: "access.pending"}, fail(http.StatusForbidden, wire.CodeForbidden, "Only supervisors see pending access requests."))
	}
	list, err := srv.st.requests(r.Context(), `WHERE r.state='pending' AND c.unit=?`, s.officer.Unit)
	if err != nil {
		return err
	}
	if _, err := srv.record(r, s, audit.Record{Action: "access.pending", Outcome: "allowed", Detail: fmt.Sprintf("unit=%s requests=%d", s.officer.Unit, len(list))}); err != nil {
		return err
	}
	return ok(w, wire.AccessRequestList{Requests: list})
}

// decision loads a request for a supervisor's decision and checks the rules:
// a supervisor of the case's unit, never the requester.
func (srv *Server) decision(r *http.Request, s *session, action string) (*wire.AccessRequest, audit.Record, error) {
	rec := audit.Record{Action: action}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, rec, err
	}
	rec.Object = id
	q, err := srv.st.request(r.Context(), id)
	if err != nil {
		if err == errNotFound {
			return nil, rec, srv.deny(r, s, rec, errNotFound)
		}
		return nil, rec, err
	}
	rec.CaseNumber = q.CaseNumber
	if q.Requester.ID == s.officer.ID {
		return nil, rec, srv.deny(r, s, rec, fail(http.StatusForbidden, wire.CodeSelfApproval, "Nobody may decide their own access request; another supervisor of the unit must."))
	}
	if s.officer.Role != wire.RoleSupervisor || s.officer.Unit != q.CaseUnit {
		return nil, rec, srv.deny(r, s, rec, fail(http.StatusForbidden, wire.CodeForbidden, "Only a supervisor of the case's unit ("+q.CaseUnit+") may decide this request."))
	}
	return q, rec, nil
}

func (srv *Server) postApprove(w http.ResponseWriter, r *http.Request, s *session) error {
	var req wire.AccessRequestApprove
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.DurationSeconds < wire.MinGrantSeconds || req.DurationSeconds > wire.MaxGrantSeconds {
		return badRequest("The duration must be between %d and %d seconds.", wire.MinGrantSeconds, wire.MaxGrantSeconds)
	}
	if req.Scope != wire.ScopeView && req.Scope != wire.ScopeAnnotate {
		return badRequest("The scope must be %q or %q.", wire.ScopeView, wire.ScopeAnnotate)
	}
	q, rec, err := srv.decision(r, s, "access.approve")
	if err != nil {
		return err
	}
	if q.State != wire.RequestPending {
		return fail(http.StatusConflict, wire.CodeConflict, "This request is already "+q.State+".")
	}
	now := srv.st.now()
	exp := now.Add(time.Duration(req.DurationSeconds) * time.Second)
	rec.Outcome = "approved"
	rec.Detail = fmt.Sprintf("requester=%s scope=%s expires=%s", q.Requester.ID, req.Scope, exp.UTC().Format(time.RFC3339))
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	return srv.setDecision(w, r, s, rec, q.ID, `UPDATE access_requests SET state='approved', decided_by=?, decided_at=?, scope=?, expires_at=? WHERE id=? AND state='pending'`,
		s.officer.ID, nanos(now), req.Scope, nanos(exp), q.ID)
}

func (srv *Server) postDeny(w http.ResponseWriter, r *http.Request, s *session) error {
	var req wire.AccessRequestDecision
	if err := decode(r, &req); err != nil {
		return err
	}
	if checkText("reason", req.Reason, 1, wire.MaxReasonLen) != nil {
		return badRequest("Give a reason of 1 to %d printable bytes.", wire.MaxReasonLen)
	}
	q, rec, err := srv.decision(r, s, "access.deny")
	if err != nil {
		return err
	}
	if q.State != wire.RequestPending {
		return fail(http.StatusConflict, wire.CodeConflict, "This request is already "+q.State+".")
	}
	rec.Outcome = "denied"
	rec.Detail = fmt.Sprintf("requester=%s reason=%q", q.Requester.ID, req.Reason)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	return srv.setDecision(w, r, s, rec, q.ID, `UPDATE access_requests SET state='denied', decided_by=?, decided_at=?, decision_reason=? WHERE id=? AND state='pending'`,
		s.officer.ID, nanos(srv.st.now()), req.Reason, q.ID)
}

func (srv *Server) postRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	var req wire.AccessRequestDecision
	if err := decode(r, &req); err != nil {
		return err
	}
	if checkText("reason", req.Reason, 1, wire.MaxReasonLen) != nil {
		return badRequest("Give a reason of 1 to %d printable bytes.", wire.MaxReasonLen)
	}
	q, rec, err := srv.decision(r, s, "access.revoke")
	if err != nil {
		return err
	}
	if q.State != wire.RequestApproved {
		return fail(http.StatusConflict, wire.CodeConflict, "Only an approved, unexpired grant can be revoked; this one is "+q.State+".")
	}
	rec.Outcome = "revoked"
	rec.Detail = fmt.Sprintf("requester=%s reason=%q", q.Requester.ID, req.Reason)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	now := srv.st.now()
	return srv.setDecision(w, r, s, rec, q.ID, `UPDATE access_requests SET state='revoked', decided_by=?, decided_at=?, decision_reason=?, expires_at=? WHERE id=? AND state='approved'`,
		s.officer.ID, nanos(now), req.Reason, nanos(now), q.ID)
}

// setDecision stores a decision whose record rec was written. When another
// decision came first, it records that this one did not take effect.
func (srv *Server) setDecision(w http.ResponseWriter, r *http.Request, s *session, rec audit.Record, id, query string, args ...any) error {
	res, err := srv.st.db.ExecContext(r.Context(), query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		rec.Outcome, rec.Detail = "superseded", "another decision came first; this "+rec.Outcome+" did not take effect"
		s.refused = true
		srv.record(r, s, rec)
		return fail(http.StatusConflict, wire.CodeConflict, "Another decision on this request came first.")
	}
	q, err := srv.st.request(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, q)
}
