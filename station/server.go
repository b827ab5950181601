package station

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path"
	"strings"
	"time"

	"caseviewer/audit"
	"caseviewer/wire"
)

// ServerConfig configures the HTTPS API.
type ServerConfig struct {
	// BeaconPublic is the beacon address laptops should probe, announced in
	// the station info.
	BeaconPublic string
	// IdleTimeout and AbsoluteTimeout limit sessions; zero or larger than
	// wire.IdleTimeout / wire.AbsoluteTimeout means those.
	IdleTimeout, AbsoluteTimeout time.Duration
	// ConnIdleTimeout drops idle connections (CJIS SC-10); zero means one
	// hour, which is also the most allowed.
	ConnIdleTimeout time.Duration
	// Logf logs server errors; nil means the standard logger.
	Logf func(format string, args ...any)
}

// Server is the station's HTTPS API over a Station.
type Server struct {
	st      *Station
	cfg     ServerConfig
	handler http.Handler
}

// NewServer builds the API over st.
func NewServer(st *Station, cfg ServerConfig) *Server {
	if cfg.IdleTimeout <= 0 || cfg.IdleTimeout > wire.IdleTimeout {
		cfg.IdleTimeout = wire.IdleTimeout
	}
	if cfg.AbsoluteTimeout <= 0 || cfg.AbsoluteTimeout > wire.AbsoluteTimeout {
		cfg.AbsoluteTimeout = wire.AbsoluteTimeout
	}
	if cfg.ConnIdleTimeout <= 0 || cfg.ConnIdleTimeout > time.Hour {
		cfg.ConnIdleTimeout = time.Hour
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	srv := &Server{st: st, cfg: cfg}
	srv.handler = srv.routes()
	return srv
}

// Handler returns the API's http.Handler (for use behind another TLS
// terminator or in tests).
func (srv *Server) Handler() http.Handler { return srv.handler }

// TLSConfig returns the server's TLS configuration: TLS 1.3 only, the
// station's certificate.
func (srv *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		MaxVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{srv.st.tlsCert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// HTTPServer returns an http.Server with the API, its TLS configuration and
// timeouts on every phase of a connection.
func (srv *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           srv.handler,
		TLSConfig:         srv.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      15 * time.Minute, // large ciphertext payloads
		IdleTimeout:       srv.cfg.ConnIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(logWriter{srv.cfg.Logf}, "", 0),
	}
}

type logWriter struct{ logf func(string, ...any) }

func (l logWriter) Write(p []byte) (int, error) {
	l.logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Serve serves the API over TLS on ln until ctx is done, then shuts down
// gracefully (at most 10 seconds) and returns nil.
func (srv *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := srv.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tls.NewListener(ln, hs.TLSConfig)) }()
	go srv.sweep(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweep expires access grants and cleans up challenges once a minute.
func (srv *Server) sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := srv.st.ExpireGrants(ctx); err != nil && ctx.Err() == nil {
				srv.cfg.Logf("station: expiring grants: %v", err)
			}
			srv.st.cleanup(ctx)
		}
	}
}

// cleanup deletes login challenges an hour after they expired and sessions
// a week after they ended (their records stay in the audit log).
func (st *Station) cleanup(ctx context.Context) error {
	now := st.now()
	if _, err := st.db.ExecContext(ctx, `DELETE FROM challenges WHERE expires_at < ?`, nanos(now.Add(-time.Hour))); err != nil {
		return err
	}
	week := nanos(now.Add(-7 * 24 * time.Hour))
	_, err := st.db.ExecContext(ctx, `DELETE FROM sessions WHERE (ended_at IS NOT NULL AND ended_at < ?) OR expires_at < ?`, week, week)
	return err
}

// apiError is an error with its HTTP status and wire code.
type apiError struct {
	status       int
	code         string
	msg          string
	attemptsLeft *int
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func fail(status int, code, msg string) *apiError {
	return &apiError{status: status, code: code, msg: msg}
}

func badRequest(format string, a ...any) *apiError {
	return fail(http.StatusBadRequest, wire.CodeBadRequest, fmt.Sprintf(format, a...))
}

var (
	errNotFound    = fail(http.StatusNotFound, wire.CodeNotFound, "There is no such thing here, or you may not know of it.")
	errAuditFailed = fail(http.StatusServiceUnavailable, wire.CodeAuditUnavailable,
		"The station could not write the audit record, so it refused the request. Try again later and tell the station administrator.")
)

// session is the authenticated caller of a request.
type session struct {
	officer   officerRow
	deviceID  string
	code      string
	createdAt time.Time
	expiresAt time.Time
	idleUntil time.Time
	tokenHash []byte
	// refused says a refusal of this request was recorded (deny, or a
	// decision that lost a race); a session value lives for one request
	// only.
	refused bool
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// route binds one path to handlers by method; auth says whether a session is
// needed.
type route struct {
	methods map[string]handlerFunc
	auth    bool
}

func (srv *Server) routes() http.Handler {
	mux := http.NewServeMux()
	add := func(path string, auth bool, methods map[string]handlerFunc) {
		rt := route{methods: methods, auth: auth}
		mux.Handle(path, srv.wrap(rt))
	}
	type m = map[string]handlerFunc
	add(wire.PathInfo, false, m{"GET": srv.getInfo})
	add(wire.PathEnroll, false, m{"POST": srv.postEnroll})
	add(wire.PathChallenge, false, m{"POST": srv.postChallenge})
	add(wire.PathLogin, false, m{"POST": srv.postLogin})
	add(wire.PathWipe, false, m{"POST": srv.postWipe})
	add(wire.PathLogout, true, m{"POST": srv.postLogout})
	add(wire.PathSession, true, m{"GET": srv.getSession})
	add(wire.PathCases, true, m{"GET": srv.getCases})
	add(wire.PathCaseLookup, true, m{"GET": srv.getCaseLookup})
	add(wire.PathCase, true, m{"GET": srv.getCase})
	add(wire.PathCaseAudit, true, m{"GET": srv.getCaseAudit})
	add(wire.PathDocumentOpen, true, m{"POST": srv.postOpen})
	add(wire.PathDocumentPayload, true, m{"GET": srv.getPayload})
	add(wire.PathAnnotations, true, m{"GET": srv.getAnnotations, "POST": srv.postAnnotation})
	add(wire.PathAnnotation, true, m{"PUT": srv.putAnnotation, "DELETE": srv.deleteAnnotation})
	add(wire.PathRequests, true, m{"GET": srv.getRequests, "POST": srv.postRequest})
	add(wire.PathRequestsPending, true, m{"GET": srv.getPending})
	add(wire.PathRequestApprove, true, m{"POST": srv.postApprove})
	add(wire.PathRequestDeny, true, m{"POST": srv.postDeny})
	add(wire.PathRequestRevoke, true, m{"POST": srv.postRevoke})
	add(wire.PathAuditCheckpoint, true, m{"GET": srv.getCheckpoint})
	add(wire.PathAuditInclusion, true, m{"GET": srv.getInclusion})
	add(wire.PathAuditConsistency, true, m{"GET": srv.getConsistency})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound)
	}))
	// ServeMux answers unclean paths with a redirect; the API answers them
	// with a JSON error instead.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if p == "" || p[0] != '/' || path.Clean(p) != p || r.Method == http.MethodConnect {
			writeError(w, badRequest("The request path is not in canonical form."))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (srv *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				srv.cfg.Logf("station: panic serving %s %s: %v", r.Method, r.URL.Path, v)
				writeError(w, fail(http.StatusInternalServerError, wire.CodeInternal, "The station failed on this request."))
			}
		}()
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h, ok := rt.methods[r.Method]
		if !ok {
			allow := make([]string, 0, len(rt.methods))
			for k := range rt.methods {
				allow = append(allow, k)
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, fail(http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, "This path does not take "+r.Method+"."))
			return
		}
		if len(r.URL.RawQuery) > 1024 {
			writeError(w, fail(http.StatusRequestURITooLong, wire.CodeTooLarge, "The query string is too long."))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, wire.MaxBodyBytes)
		var s *session
		if rt.auth {
			var err error
			if s, err = srv.authenticate(r); err != nil {
				srv.writeErr(w, r, err)
				return
			}
		}
		if err := h(w, r, s); err != nil {
			srv.auditRefusal(r, s, err)
			srv.writeErr(w, r, err)
		}
	})
}

// auditRefusal records a request of a logged-in officer that was refused
// (a 4xx: malformed, out of range, not found, in conflict) when its handler
// recorded no refusal of its own, so that every attempt on case data and
// every decision attempt leaves one (CJIS AU-2), not only those a handler
// denies by name. That includes a request refused after its handler
// recorded it as allowed (an annotation that meets its document's limit or
// a concurrent edit when it is written): the refusal follows that record.
// Requests without a session are audited where they are handled (login,
// enrollment) or by authenticate.
func (srv *Server) auditRefusal(r *http.Request, s *session, err error) {
	var ae *apiError
	if s == nil || s.refused || !errors.As(err, &ae) || ae.status < 400 || ae.status >= 500 {
		return
	}
	srv.deny(r, s, audit.Record{
		Action: "request.refused",
		Object: r.Method + " " + r.URL.Path,
		Detail: ae.msg, // the audit log caps its fields
	}, ae)
}

func (srv *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae)
		return
	}
	if errors.Is(err, audit.ErrUnavailable) || errors.Is(err, ErrAuditUnavailable) {
		writeError(w, errAuditFailed)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	srv.cfg.Logf("station: %s %s: %v", r.Method, r.URL.Path, err)
	writeError(w, fail(http.StatusInternalServerError, wire.CodeInternal, "The station failed on this request. Try again; if it persists, tell the station administrator."))
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, wire.Error{Code: e.code, Message: e.msg, AttemptsLeft: e.attemptsLeft})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":"internal","message":"The station failed to encode its answer."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func ok(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusOK, v)
	return nil
}

// decode reads a JSON request body strictly.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fail(http.StatusUnsupportedMediaType, wire.CodeBadRequest, "Send the request as application/json.")
	}
	err := wire.Decode(r.Body, v, wire.MaxBodyBytes)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, wire.ErrTooLarge):
		return fail(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", wire.MaxBodyBytes))
	default:
		return badRequest("The request is not valid JSON of the expected shape: %v.", trimWireErr(err))
	}
}

func trimWireErr(err error) string {
	s := err.Error()
	s = strings.TrimSuffix(s, ": "+wire.ErrMalformed.Error())
	s = strings.TrimPrefix(s, "wire: ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// authenticate checks the bearer token: a known, unexpired session on an
// unrevoked device of an active officer. It counts the request as activity.
// Every refusal is audited (CJIS AU-2, AU-3): one record per refused
// request, naming the officer, laptop and session when the token is known.
func (srv *Server) authenticate(r *http.Request) (*session, error) {
	rec := audit.Record{Action: "session.check", Object: r.Method + " " + r.URL.Path}
	h := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(h, "Bearer ")
	if !found || tok == "" || len(tok) > wire.MaxTokenLen {
		rec.Detail = "no bearer token"
		return nil, srv.deny(r, nil, rec, fail(http.StatusUnauthorized, wire.CodeUnauthenticated, "Log in first."))
	}
	sum := sha256.Sum256([]byte(tok))
	st := srv.st
	ctx := r.Context()
	var s session
	var created, last, expires int64
	var ended *int64
	var revoked *int64
	err := st.db.QueryRowContext(ctx, `SELECT s.officer_id, s.device_id, s.code, s.created_at, s.last_seen, s.expires_at, s.ended_at, d.revoked_at
		FROM sessions s JOIN devices d ON d.id = s.device_id WHERE s.hash=?`, sum[:]).
		Scan(&s.officer.ID, &s.deviceID, &s.code, &created, &last, &expires, &ended, &revoked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err // a station failure, not a reason to log the laptop out
	}
	if err != nil {
		rec.Detail = "unknown session token"
		return nil, srv.deny(r, nil, rec, fail(http.StatusUnauthorized, wire.CodeUnauthenticated, "This session is not known to the station. Log in again."))
	}
	now := st.now()
	s.tokenHash = sum[:]
	s.createdAt, s.expiresAt = fromNanos(created), fromNanos(expires)
	if revoked != nil {
		rec.Detail = "laptop revoked"
		return nil, srv.deny(r, &s, rec, errRevoked)
	}
	if ended != nil {
		rec.Detail = "session ended"
		return nil, srv.deny(r, &s, rec, fail(http.StatusUnauthorized, wire.CodeUnauthenticated, "This session has ended. Log in again."))
	}
	idleUntil := fromNanos(last).Add(srv.cfg.IdleTimeout)
	if !now.Before(s.expiresAt) || !now.Before(idleUntil) {
		reason := "idle"
		if !now.Before(s.expiresAt) {
			reason = "absolute"
		}
		st.db.ExecContext(ctx, `UPDATE sessions SET ended_at=?, end_reason=? WHERE hash=? AND ended_at IS NULL`, nanos(now), "expired "+reason, sum[:])
		// This record is also the record of the refused request.
		rec.Action, rec.Outcome, rec.Detail = "session.expire", reason, wire.CodeSessionExpired
		srv.record(r, &s, rec)
		return nil, fail(http.StatusUnauthorized, wire.CodeSessionExpired, "The session expired ("+reason+" limit). Log in again.")
	}
	o, err := st.officer(ctx, s.officer.ID)
	if errors.Is(err, ErrNotFound) {
		rec.Detail = "officer of the session no longer exists"
		return nil, srv.deny(r, &s, rec, fail(http.StatusUnauthorized, wire.CodeUnauthenticated, "This session is not known to the station. Log in again."))
	} else if err != nil {
		return nil, err // a station failure, not a reason to log the laptop out
	}
	if o.status == "disabled" {
		rec.Detail = "officer disabled"
		return nil, srv.deny(r, &s, rec, fail(http.StatusForbidden, wire.CodeAccountDisabled, "This officer account is disabled."))
	}
	s.officer = *o
	if _, err := st.db.ExecContext(ctx, `UPDATE sessions SET last_seen=? WHERE hash=?`, nanos(now), sum[:]); err != nil {
		return nil, err
	}
	st.db.ExecContext(ctx, `UPDATE devices SET last_seen=? WHERE id=?`, nanos(now), s.deviceID)
	s.idleUntil = now.Add(srv.cfg.IdleTimeout)
	return &s, nil
}

// record appends an audit record for a request, filling who, where and the
// session. A nil error means the record is durably stored.
func (srv *Server) record(r *http.Request, s *session, rec audit.Record) (audit.Record, error) {
	now := srv.st.now().UTC()
	rec.Time = now
	rec.ClientAddr = r.RemoteAddr
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		rec.StationAddr = la.String()
	}
	if s != nil {
		rec.OfficerID = s.officer.ID
		rec.DeviceID = s.deviceID
		rec.SessionCode = s.code
		rec.SessionDuration = now.Sub(s.createdAt)
	}
	out, err := srv.st.audit.Append(r.Context(), rec)
	if err != nil {
		srv.cfg.Logf("station: AUDIT FAILURE (%s %s): %v", rec.Action, rec.Outcome, err)
		return out, errAuditFailed
	}
	return out, nil
}

// deny records a denied decision and returns the error to send. The denial
// stands even if the record cannot be written.
func (srv *Server) deny(r *http.Request, s *session, rec audit.Record, e *apiError) error {
	rec.Outcome = "denied"
	if s != nil {
		s.refused = true
	}
	if rec.Detail == "" {
		rec.Detail = e.code
	} else {
		rec.Detail = e.code + ": " + rec.Detail
	}
	srv.record(r, s, rec)
	return e
}

func (srv *Server) getInfo(w http.ResponseWriter, r *http.Request, _ *session) error {
	st := srv.st
	info := wire.StationInfo{
		StationID: st.ID(), Name: st.info.Name, PublicKey: st.PublicKey(), BeaconAddr: srv.cfg.BeaconPublic,
		CAFingerprint: st.CAFingerprint(), AuditVerifierKey: st.AuditVerifierKey(), IssuedAt: st.now().UTC(),
	}
	signed, err := wire.SignStationInfo(info, st.caDER, st.key)
	if err != nil {
		return err
	}
	return ok(w, signed)
}

// drain discards what is left of a body the handler does not read.
func drain(r *http.Request) { io.Copy(io.Discard, io.LimitReader(r.Body, wire.MaxBodyBytes)) }
