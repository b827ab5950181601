package app

import (
	"context"
	"errors"
	"image"
	"time"
)

// Backend is what the GUI needs from the client core. Package session
// provides it (see NewSessionBackend); tests use a fake.
type Backend interface {
	// Enrolled reports whether this device is enrolled with a station.
	Enrolled() bool
	// Discover fetches the station's CA and signing-key fingerprints, for
	// the officer to compare with what the administrator reads out.
	Discover(ctx context.Context, addr string) (Fingerprints, error)
	// Enroll registers this device with the one-time token, pinning what
	// Discover showed.
	Enroll(ctx context.Context, addr, token string) error

	// Login starts a session. The password slice may be zeroed afterwards.
	Login(ctx context.Context, officerID string, password []byte) (Officer, error)
	// Logout ends the session and wipes; it is followed by a LockEvent.
	Logout(ctx context.Context) error
	// Touch records user activity for the idle lock.
	Touch()
	// Subscribe registers fn to be told when the session locks or wipes.
	Subscribe(fn func(LockEvent))
	// RegisterPageWiper registers w to be wiped with the session.
	RegisterPageWiper(w PageWiper)

	// Cases lists the officer's cases: team cases and granted ones.
	Cases(ctx context.Context) ([]CaseSummary, error)
	// LookupCase finds a case by its number, also one the officer cannot
	// open (so access can be requested).
	LookupCase(ctx context.Context, number string) (CaseSummary, error)
	// Case returns a case with its documents.
	Case(ctx context.Context, caseID string) (CaseDetail, error)
	// OpenDocument fetches and decrypts a document; the session owns the
	// returned bytes and zeroes them at wipe.
	OpenDocument(ctx context.Context, caseID, docID string) (*OpenedDocument, error)
	// CloseDocument zeroes and drops an opened document's bytes (the
	// renderer has closed it first).
	CloseDocument(d *OpenedDocument)

	// RequestAccess asks for access to a case.
	RequestAccess(ctx context.Context, caseID, reason string, d time.Duration) error
	// MyRequests lists the officer's own requests.
	MyRequests(ctx context.Context) ([]Request, error)
	// PendingRequests lists the pending requests a supervisor may decide.
	PendingRequests(ctx context.Context) ([]Request, error)
	// Approve approves a request for d with scope.
	Approve(ctx context.Context, requestID string, d time.Duration, scope Scope) error
	// Deny denies a request with a reason.
	Deny(ctx context.Context, requestID, reason string) error

	// Annotations lists the current annotations of a document.
	Annotations(ctx context.Context, caseID, docID string) ([]Annotation, error)
	// AddAnnotation adds a highlight with a note.
	AddAnnotation(ctx context.Context, caseID, docID string, page int, r Rect, note string) (Annotation, error)
	// EditAnnotation changes an annotation's note (a new revision).
	EditAnnotation(ctx context.Context, annotationID, note string) (Annotation, error)
	// DeleteAnnotation deletes an annotation (a new revision).
	DeleteAnnotation(ctx context.Context, annotationID string) error
	// AnnotationHistory lists every revision of an annotation, oldest first.
	AnnotationHistory(ctx context.Context, annotationID string) ([]Annotation, error)

	// AuditTrail returns a case's audit records, optionally only one
	// officer's, and whether they verified against the signed checkpoint.
	AuditTrail(ctx context.Context, caseID, officerID string) (AuditTrail, error)
}

// PageWiper is something holding rendered pages that the wipe must zero.
type PageWiper interface{ Wipe() }

// Fingerprints are what an officer compares at enrollment.
type Fingerprints struct {
	Station    string // station address as dialled
	CA         string // SHA-256 of the station CA certificate
	StationKey string // fingerprint of the station signing key
}

// Officer is the logged-in officer.
type Officer struct {
	ID, Name, Unit string
	Role           string // "detective", "supervisor", "technician", ...
	Supervisor     bool   // may approve requests and read audit trails
	Annotator      bool   // may annotate every case they can open
}

// Access says how an officer may open a case.
type Access int

// Access kinds.
const (
	AccessNone    Access = iota // cannot open: may request access
	AccessTeam                  // on the case team
	AccessGranted               // through an approved, unexpired grant
)

// Scope is what an approved request allows.
type Scope string

// Scopes of a grant.
const (
	ScopeView     Scope = "view"
	ScopeAnnotate Scope = "annotate"
)

// CaseSummary is one row of the case list.
type CaseSummary struct {
	ID, Number, Title string
	Unit              string
	Access            Access
	GrantExpires      time.Time // for AccessGranted
	Scope             Scope     // for AccessGranted
	CanAnnotate       bool
}

// DocumentInfo describes one document of a case.
type DocumentInfo struct {
	ID, Title, Type string
	Pages           int
	AddedBy         string
	AddedAt         time.Time
}

// CaseDetail is a case with its documents.
type CaseDetail struct {
	CaseSummary
	Documents       []DocumentInfo
	AnnotationCount int
}

// OpenedDocument is a decrypted document, owned by the session (which zeroes
// PDF at wipe), with what the watermark needs.
type OpenedDocument struct {
	PDF          []byte
	DocumentID   string
	Title        string
	CaseNumber   string
	SessionCode  string
	GrantExpires time.Time
	// Handle is the backend's own reference to the document.
	Handle any
}

// Request states.
const (
	StatePending  = "pending"
	StateApproved = "approved"
	StateDenied   = "denied"
	StateExpired  = "expired"
	StateRevoked  = "revoked"
)

// Request is an access request.
type Request struct {
	ID                    string
	CaseID, CaseNumber    string
	Requester, RequesterN string // officer ID and name
	Reason                string
	Duration              time.Duration
	State                 string
	Created               time.Time
	DecidedBy             string
	DecisionReason        string
	Scope                 Scope
	Expires               time.Time
}

// Rect is a rectangle in PDF page coordinates (points, origin bottom-left).
type Rect struct{ X0, Y0, X1, Y1 float64 }

// Annotation is one revision of an annotation.
type Annotation struct {
	ID, DocumentID string
	Page           int // 0-based
	Rect           Rect
	Note           string
	Author         string
	Time           time.Time
	Revision       int
	Deleted        bool
}

// AuditRecord is one line of a case's audit trail.
type AuditRecord struct {
	Time     time.Time
	Officer  string
	Action   string
	Object   string
	Outcome  string
	Source   string
	Sequence int64
	// SessionCode is the session the record belongs to: the code printed
	// in the watermark of every page that session showed.
	SessionCode string
	// Verified is true when this record is proven to be in the station's
	// signed log.
	Verified bool
}

// AuditTrail is a case's audit records and whether they verified.
type AuditTrail struct {
	Records  []AuditRecord
	Verified bool
	Detail   string // why verification failed, or the checkpoint it matched
}

// LockReason says why the session locked.
type LockReason int

// Lock reasons.
const (
	LockLogout LockReason = iota
	LockIdle
	LockSessionExpired
	LockDeviceRevoked
	LockLeftNetwork
)

// LockEvent tells the GUI that the session locked and was wiped.
type LockEvent struct {
	Reason   LockReason
	Message  string   // a sentence for the lock screen
	Failures []string // parts of the wipe that failed, if any
}

// Sentinel errors a Backend returns (wrapped) so the GUI can say what to do.
var (
	ErrUnreachable    = errors.New("station unreachable")
	ErrWrongToken     = errors.New("enrollment token not accepted")
	ErrTokenExpired   = errors.New("enrollment token expired")
	ErrWrongPassword  = errors.New("wrong officer ID or password")
	ErrAccountLocked  = errors.New("account locked")
	ErrDeviceRevoked  = errors.New("device revoked")
	ErrNotEnrolled    = errors.New("device not enrolled")
	ErrAccessDenied   = errors.New("access denied")
	ErrGrantExpired   = errors.New("grant expired")
	ErrSelfApproval   = errors.New("own request cannot be approved")
	ErrNotFound       = errors.New("not found")
	ErrAuditFailed    = errors.New("audit record could not be written")
	ErrSessionEnded   = errors.New("session ended")
	ErrTampered       = errors.New("data failed verification")
	ErrKeyringMissing = errors.New("keyring unavailable")
	// More outcomes the client core distinguishes.
	ErrAccountDisabled  = errors.New("account disabled")
	ErrGrantRevoked     = errors.New("grant revoked")
	ErrStationIdentity  = errors.New("server is not the enrolled station")
	ErrOffNetwork       = errors.New("not on the station network")
	ErrConflict         = errors.New("changed meanwhile")
	ErrDeviceUnknown    = errors.New("device unknown to the station")
	ErrLoginChallenge   = errors.New("device check at login failed")
	ErrAlreadyLoggedIn  = errors.New("already logged in")
	ErrEnrollNotChecked = errors.New("station not checked before enrolling")
)

// MessageError carries a sentence for a person that the station wrote
// itself, for outcomes the GUI has no sentence of its own for.
type MessageError struct {
	Message string
	Err     error
}

func (e *MessageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *MessageError) Unwrap() error { return e.Err }

// WrongPasswordError is a failed login with the attempts left before the
// account locks. It matches ErrWrongPassword with errors.Is.
type WrongPasswordError struct{ AttemptsLeft int }

func (e *WrongPasswordError) Error() string {
	return "wrong officer ID or password"
}

// Is makes errors.Is(err, ErrWrongPassword) true.
func (e *WrongPasswordError) Is(target error) bool { return target == ErrWrongPassword }

// Watermark is what the renderer stamps on every page.
type Watermark struct {
	OfficerID, OfficerName, CaseNumber, Document, SessionCode string
	Now                                                       func() time.Time
}

// Hit is a find result: a page (0-based) and the matches' rectangles.
type Hit struct {
	Page  int
	Rects []Rect
}

// Renderer is what the GUI needs from the PDF engine (package viewer; see
// NewViewerRenderer).
type Renderer interface {
	// Ready waits until the renderer has started.
	Ready(ctx context.Context) error
	// Open opens a document from memory; every page it renders is
	// watermarked with wm.
	Open(ctx context.Context, pdf []byte, wm Watermark) (PageSource, error)
	// Wipe zeroes every rendered page and closes every document.
	Wipe()
	// PageToPixel maps a page rectangle to pixels of a page rendered at
	// zoom; PixelToPage maps back.
	PageToPixel(r Rect, pageHeightPt, zoom float64) image.Rectangle
	PixelToPage(p image.Rectangle, pageHeightPt, zoom float64) Rect
	// DrawHighlights draws translucent highlights onto img.
	DrawHighlights(img *image.RGBA, rects []Rect, pageHeightPt, zoom float64, kind HighlightKind)
}

// HighlightKind picks the colour of a highlight.
type HighlightKind int

// Highlight kinds.
const (
	HighlightAnnotation HighlightKind = iota
	HighlightSelected
	HighlightFind
)

// PageSource is an open document.
type PageSource interface {
	PageCount() int
	PageSize(page int) (widthPt, heightPt float64, err error)
	// Render returns the page (0-based) at zoom (1 = 72 dpi), watermarked,
	// as a fresh image the caller owns.
	Render(ctx context.Context, page int, zoom float64) (*image.RGBA, error)
	Prefetch(page int, zoom float64)
	Find(ctx context.Context, query string) ([]Hit, error)
	Close() error
}
