package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"caseviewer/session"
	"caseviewer/wire"
)

// NewSessionBackend adapts the client core (package session) to Backend:
// it converts the wire types to the GUI's and maps the session's errors to
// the sentinels Explain turns into sentences. It adds no logic of its own
// beyond remembering what an edit needs (an annotation's page, rectangle
// and revision) and which session document backs an opened one.
func NewSessionBackend(c *session.Client) Backend {
	return &sessionBackend{c: c, annots: map[string]wire.Annotation{}}
}

type sessionBackend struct {
	c *session.Client

	mu     sync.Mutex
	annots map[string]wire.Annotation // last seen, by ID
}

// errMap lists the session's sentinels with the GUI's.
var errMap = []struct{ from, to error }{
	{session.ErrUnreachable, ErrUnreachable},
	{session.ErrTokenInvalid, ErrWrongToken},
	{session.ErrTokenUsed, ErrWrongToken},
	{session.ErrTokenExpired, ErrTokenExpired},
	{session.ErrAccountLocked, ErrAccountLocked},
	{session.ErrAccountDisabled, ErrAccountDisabled},
	{session.ErrDeviceRevoked, ErrDeviceRevoked},
	{session.ErrDeviceUnknown, ErrDeviceUnknown},
	{session.ErrLoginChallenge, ErrLoginChallenge},
	{session.ErrNotEnrolled, ErrNotEnrolled},
	{session.ErrNotDiscovered, ErrEnrollNotChecked},
	{session.ErrNotLoggedIn, ErrSessionEnded},
	{session.ErrSessionExpired, ErrSessionEnded},
	{session.ErrAlreadyLoggedIn, ErrAlreadyLoggedIn},
	{session.ErrAccessDenied, ErrAccessDenied},
	{session.ErrNotFound, ErrNotFound},
	{session.ErrGrantExpired, ErrGrantExpired},
	{session.ErrGrantRevoked, ErrGrantRevoked},
	{session.ErrSelfApproval, ErrSelfApproval},
	{session.ErrAuditUnavailable, ErrAuditFailed},
	{session.ErrTampered, ErrTampered},
	{session.ErrStationIdentity, ErrStationIdentity},
	{session.ErrKeyringUnavailable, ErrKeyringMissing},
	{session.ErrOffNetwork, ErrOffNetwork},
	{session.ErrConflict, ErrConflict},
}

// mapErr wraps err so that it also matches the GUI's sentinel.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var wp *session.WrongPasswordError
	if errors.As(err, &wp) {
		return &WrongPasswordError{AttemptsLeft: wp.AttemptsLeft}
	}
	if errors.Is(err, session.ErrWrongPassword) {
		return fmt.Errorf("%w: %w", ErrWrongPassword, err)
	}
	for _, m := range errMap {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	var se *session.StationError
	if errors.As(err, &se) {
		return &MessageError{Message: se.Message, Err: err}
	}
	return err
}

func (b *sessionBackend) Enrolled() bool { return b.c.Enrolled() }

func (b *sessionBackend) Discover(ctx context.Context, addr string) (Fingerprints, error) {
	d, err := b.c.Discover(ctx, addr)
	if err != nil {
		return Fingerprints{}, mapErr(err)
	}
	return Fingerprints{Station: d.Addr, CA: d.CAFingerprint, StationKey: d.StationKey}, nil
}

func (b *sessionBackend) Enroll(ctx context.Context, addr, token string) error {
	return mapErr(b.c.Enroll(ctx, addr, token))
}

func (b *sessionBackend) Login(ctx context.Context, officerID string, password []byte) (Officer, error) {
	info, err := b.c.Login(ctx, officerID, password)
	if err != nil {
		return Officer{}, mapErr(err)
	}
	o := info.Officer
	return Officer{ID: o.ID, Name: o.Name, Unit: o.Unit, Role: roleName(o.Role),
		Supervisor: o.Role == wire.RoleSupervisor, Annotator: o.Role == wire.RoleEvidenceTech}, nil
}

func roleName(r string) string {
	if r == wire.RoleEvidenceTech {
		return "evidence technician"
	}
	return r
}

func (b *sessionBackend) Logout(ctx context.Context) error { return mapErr(b.c.Logout(ctx)) }
func (b *sessionBackend) Touch()                           { b.c.Touch() }

func (b *sessionBackend) Subscribe(fn func(LockEvent)) {
	b.c.Subscribe(func(ev session.LockEvent) {
		fn(LockEvent{Reason: lockReason(ev.Reason), Message: ev.Message, Failures: ev.Failures})
	})
}

func lockReason(r session.LockReason) LockReason {
	switch r {
	case session.Idle:
		return LockIdle
	case session.SessionExpired:
		return LockSessionExpired
	case session.DeviceRevoked:
		return LockDeviceRevoked
	case session.LeftNetwork:
		return LockLeftNetwork
	}
	return LockLogout
}

func (b *sessionBackend) RegisterPageWiper(w PageWiper) { b.c.RegisterPageWiper(w) }

func caseSummary(c wire.CaseSummary) CaseSummary {
	s := CaseSummary{ID: c.Number, Number: c.Number, Title: c.Title, Unit: c.Unit, Scope: Scope(c.Scope), CanAnnotate: c.Scope == wire.ScopeAnnotate}
	switch c.Access {
	case wire.AccessTeam:
		s.Access = AccessTeam
	case wire.AccessGrant:
		s.Access = AccessGranted
	}
	if c.GrantExpiresAt != nil {
		s.GrantExpires = *c.GrantExpiresAt
	}
	return s
}

func (b *sessionBackend) Cases(ctx context.Context) ([]CaseSummary, error) {
	cs, err := b.c.Cases(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]CaseSummary, len(cs))
	for i, c := range cs {
		out[i] = caseSummary(c)
	}
	return out, nil
}

// LookupCase returns the case from the officer's own list when it is
// there, and otherwise what the station says of it (that it exists).
func (b *sessionBackend) LookupCase(ctx context.Context, number string) (CaseSummary, error) {
	cs, err := b.c.Cases(ctx)
	if err != nil {
		return CaseSummary{}, mapErr(err)
	}
	for _, c := range cs {
		if c.Number == number {
			return caseSummary(c), nil
		}
	}
	l, err := b.c.LookupCase(ctx, number)
	if err != nil {
		return CaseSummary{}, mapErr(err)
	}
	if !l.Exists {
		return CaseSummary{}, fmt.Errorf("case %s: %w", number, ErrNotFound)
	}
	return CaseSummary{ID: l.Number, Number: l.Number, Unit: l.Unit, Access: AccessNone}, nil
}

func (b *sessionBackend) Case(ctx context.Context, caseID string) (CaseDetail, error) {
	d, err := b.c.Case(ctx, caseID)
	if err != nil {
		return CaseDetail{}, mapErr(err)
	}
	out := CaseDetail{CaseSummary: caseSummary(d.Case)}
	for _, doc := range d.Documents {
		out.Documents = append(out.Documents, DocumentInfo{ID: doc.ID, Title: doc.Title, Type: docType(doc.Type),
			Pages: doc.Pages, AddedBy: doc.AddedBy, AddedAt: doc.AddedAt})
		out.AnnotationCount += doc.Annotations
	}
	return out, nil
}

// docType names a document type for a person ("incident_report" ->
// "Incident report").
func docType(t string) string {
	b := []byte(t)
	for i, c := range b {
		if c == '_' {
			b[i] = ' '
		}
	}
	if len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

func (b *sessionBackend) OpenDocument(ctx context.Context, caseID, docID string) (*OpenedDocument, error) {
	d, err := b.c.OpenDocument(ctx, docID)
	if err != nil {
		return nil, mapErr(err)
	}
	return &OpenedDocument{PDF: d.PDF, DocumentID: docID, Title: d.Manifest.Title, CaseNumber: d.Manifest.CaseNumber,
		SessionCode: d.SessionCode, GrantExpires: d.GrantExpires, Handle: d}, nil
}

func (b *sessionBackend) CloseDocument(d *OpenedDocument) {
	if sd, ok := d.Handle.(*session.Document); ok {
		b.c.CloseDocument(sd)
	}
}

func (b *sessionBackend) RequestAccess(ctx context.Context, caseID, reason string, d time.Duration) error {
	_, err := b.c.RequestAccess(ctx, caseID, reason, d)
	return mapErr(err)
}

func request(r wire.AccessRequest) Request {
	out := Request{ID: r.ID, CaseID: r.CaseNumber, CaseNumber: r.CaseNumber, Requester: r.Requester.ID, RequesterN: r.Requester.Name,
		Reason: r.Reason, Duration: time.Duration(r.RequestedSeconds) * time.Second, State: r.State, Created: r.CreatedAt,
		DecidedBy: r.DecidedBy, DecisionReason: r.DecisionReason, Scope: Scope(r.Scope)}
	if r.ExpiresAt != nil {
		out.Expires = *r.ExpiresAt
	}
	return out
}

func requests(rs []wire.AccessRequest, err error) ([]Request, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]Request, len(rs))
	for i, r := range rs {
		out[i] = request(r)
	}
	return out, nil
}

func (b *sessionBackend) MyRequests(ctx context.Context) ([]Request, error) {
	return requests(b.c.MyRequests(ctx))
}

func (b *sessionBackend) PendingRequests(ctx context.Context) ([]Request, error) {
	return requests(b.c.PendingRequests(ctx))
}

func (b *sessionBackend) Approve(ctx context.Context, requestID string, d time.Duration, scope Scope) error {
	_, err := b.c.Approve(ctx, requestID, d, string(scope))
	return mapErr(err)
}

func (b *sessionBackend) Deny(ctx context.Context, requestID, reason string) error {
	_, err := b.c.Deny(ctx, requestID, reason)
	return mapErr(err)
}

func revision(id, docID string, r wire.AnnotationRevision) Annotation {
	author := r.Author.ID
	if r.Author.Name != "" {
		author = r.Author.Name + " (" + r.Author.ID + ")"
	}
	return Annotation{ID: id, DocumentID: docID, Page: r.Page - 1, Rect: Rect(r.Rect), Note: r.Text, Author: author,
		Time: r.CreatedAt, Revision: r.Revision, Deleted: r.Deleted}
}

func (b *sessionBackend) remember(a wire.Annotation) Annotation {
	b.mu.Lock()
	b.annots[a.ID] = a
	b.mu.Unlock()
	return revision(a.ID, a.DocumentID, a.Current)
}

func (b *sessionBackend) Annotations(ctx context.Context, caseID, docID string) ([]Annotation, error) {
	as, err := b.c.Annotations(ctx, docID, false)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]Annotation, 0, len(as))
	for _, a := range as {
		if !a.Current.Deleted {
			out = append(out, b.remember(a))
		}
	}
	return out, nil
}

// highlightColor is the colour stored with new highlights (the viewer's
// highlight yellow).
const highlightColor = "#ffd600"

func (b *sessionBackend) AddAnnotation(ctx context.Context, caseID, docID string, page int, r Rect, note string) (Annotation, error) {
	a, err := b.c.AddAnnotation(ctx, docID, wire.AnnotationInput{Page: page + 1, Rect: wire.Rect(r),
		Kind: wire.AnnotationHighlight, Color: highlightColor, Text: note})
	if err != nil {
		return Annotation{}, mapErr(err)
	}
	return b.remember(*a), nil
}

func (b *sessionBackend) known(id string) (wire.Annotation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.annots[id]
	if !ok {
		return a, fmt.Errorf("annotation %s: %w", id, ErrNotFound)
	}
	return a, nil
}

func (b *sessionBackend) EditAnnotation(ctx context.Context, id, note string) (Annotation, error) {
	old, err := b.known(id)
	if err != nil {
		return Annotation{}, err
	}
	cur := old.Current
	a, err := b.c.EditAnnotation(ctx, id, wire.AnnotationInput{Page: cur.Page, Rect: cur.Rect, Kind: cur.Kind,
		Color: cur.Color, Text: note, BaseRevision: cur.Revision})
	if err != nil {
		return Annotation{}, mapErr(err)
	}
	return b.remember(*a), nil
}

func (b *sessionBackend) DeleteAnnotation(ctx context.Context, id string) error {
	a, err := b.c.DeleteAnnotation(ctx, id)
	if err != nil {
		return mapErr(err)
	}
	b.remember(*a)
	return nil
}

func (b *sessionBackend) AnnotationHistory(ctx context.Context, id string) ([]Annotation, error) {
	a, err := b.known(id)
	if err != nil {
		return nil, err
	}
	revs, err := b.c.AnnotationHistory(ctx, a.DocumentID, id)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]Annotation, len(revs))
	for i, r := range revs {
		out[i] = revision(id, a.DocumentID, r)
	}
	return out, nil
}

func (b *sessionBackend) AuditTrail(ctx context.Context, caseID, officerID string) (AuditTrail, error) {
	tr, err := b.c.AuditTrail(ctx, caseID, officerID)
	if err != nil {
		return AuditTrail{}, mapErr(err)
	}
	out := AuditTrail{Verified: tr.Verified, Detail: tr.Detail}
	for _, e := range tr.Entries {
		obj := e.Object
		if obj == "" {
			obj = e.CaseNumber
		}
		out.Records = append(out.Records, AuditRecord{Time: e.Time, Officer: e.OfficerID, Action: e.Action,
			Object: obj, Outcome: e.Outcome, Source: e.ClientAddr, Sequence: e.Index, SessionCode: e.SessionCode, Verified: e.Verified})
	}
	return out, nil
}
