package wire

import "time"

// Session limits (CJIS IA-11, AC-11, AC-12). The station may use shorter
// ones, never longer.
const (
	// IdleTimeout ends a session this long after its last request.
	IdleTimeout = 30 * time.Minute
	// AbsoluteTimeout ends a session this long after login, whatever its use.
	AbsoluteTimeout = 12 * time.Hour
)

// Key sizes of a device's public keys.
const (
	// SigningKeySize is the size of an Ed25519 public key.
	SigningKeySize = 32
	// HPKEKeySize is the size of an HPKE ML-KEM-768+X25519 public key
	// (crypto/hpke MLKEM768X25519, serialized with Bytes).
	HPKEKeySize = 1216
)

// Officer roles.
const (
	RoleDetective    = "detective"
	RoleSupervisor   = "supervisor"
	RoleEvidenceTech = "evidence_tech"
	RoleAdmin        = "admin"
)

// Case team roles.
const (
	TeamLead       = "lead"
	TeamMember     = "member"
	TeamTechnician = "technician"
)

// Access kinds in [CaseSummary.Access].
const (
	// AccessTeam: the officer is on the case team.
	AccessTeam = "team"
	// AccessGrant: the officer holds an approved, unexpired access grant.
	AccessGrant = "grant"
)

// Scopes of an access grant.
const (
	// ScopeView allows reading documents and annotations.
	ScopeView = "view"
	// ScopeAnnotate also allows adding, editing and deleting annotations.
	ScopeAnnotate = "annotate"
)

// States of an access request.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDenied   = "denied"
	RequestRevoked  = "revoked"
	RequestExpired  = "expired"
)

// Annotation kinds.
const (
	AnnotationHighlight = "highlight"
	AnnotationNote      = "note"
)

// Wipe triggers in [WipeReceipt.Trigger].
const (
	WipeLogout   = "logout"
	WipeIdle     = "idle"
	WipeRevoked  = "revoked"
	WipeNetwork  = "network"
	WipeExpired  = "session_expired"
	WipeManual   = "manual"
	WipeShutdown = "shutdown"
)

// StationInfo describes the station. It travels inside [SignedStationInfo].
type StationInfo struct {
	// StationID names the station (also the beacon's station ID).
	StationID string `json:"station_id"`
	// Name is a human name for the station, such as "Northside Precinct".
	Name string `json:"name,omitempty"`
	// PublicKey is the station's Ed25519 public key (32 bytes); it signs
	// this info, manifests, grants, beacon answers and audit checkpoints.
	PublicKey []byte `json:"public_key"`
	// BeaconAddr is the UDP host:port that laptops must probe to prove they
	// are on the station network.
	BeaconAddr string `json:"beacon_addr"`
	// CAFingerprint is [Fingerprint] of the station's TLS CA certificate.
	CAFingerprint string `json:"ca_fingerprint"`
	// AuditVerifierKey is the note verifier key (golang.org/x/mod/sumdb/note)
	// that checks the audit log's signed checkpoints.
	AuditVerifierKey string `json:"audit_verifier_key,omitempty"`
	// IssuedAt is when the station produced this info.
	IssuedAt time.Time `json:"issued_at"`
}

// SignedStationInfo is the body of GET [PathInfo]. Info holds the JSON of a
// [StationInfo]; Signature is the station's Ed25519 signature over
// StationInfoMessage(Info). A client verifies with the pinned station key (or,
// at first contact, with the key inside Info after a person compared its
// fingerprint), then decodes Info.
type SignedStationInfo struct {
	Info      []byte `json:"info"`
	Signature []byte `json:"signature"`
	// CACert is the station's TLS CA certificate, DER. A client pins it at
	// first contact after comparing Fingerprint(CACert) with what the
	// administrator read out.
	CACert []byte `json:"ca_cert"`
}

// EnrollRequest is the body of POST [PathEnroll].
type EnrollRequest struct {
	// Token is the one-time enrollment token the administrator printed.
	Token string `json:"token"`
	// DeviceName is a label for the laptop (host name), at most
	// [MaxNameLen] bytes.
	DeviceName string `json:"device_name"`
	// SigningKey is the device's Ed25519 public key ([SigningKeySize]).
	SigningKey []byte `json:"signing_key"`
	// HPKEKey is the device's HPKE ML-KEM-768+X25519 public key
	// ([HPKEKeySize]).
	HPKEKey []byte `json:"hpke_key"`
	// Proof is the device's Ed25519 signature over
	// EnrollMessage(Token, SigningKey, HPKEKey): proof that it holds the key.
	Proof []byte `json:"proof"`
}

// EnrollResponse is the reply to a successful enrollment.
type EnrollResponse struct {
	DeviceID  string `json:"device_id"`
	StationID string `json:"station_id"`
	// OfficerID is the officer whose token enrolled the device. Any active
	// officer may log in on the device afterwards.
	OfficerID string `json:"officer_id"`
}

// ChallengeRequest is the body of POST [PathChallenge].
type ChallengeRequest struct {
	DeviceID string `json:"device_id"`
}

// ChallengeResponse carries a fresh, single-use login challenge bound to the
// device that asked for it.
type ChallengeResponse struct {
	ChallengeID string    `json:"challenge_id"`
	Challenge   []byte    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// LoginRequest is the body of POST [PathLogin].
type LoginRequest struct {
	OfficerID   string `json:"officer_id"`
	Password    string `json:"password"`
	DeviceID    string `json:"device_id"`
	ChallengeID string `json:"challenge_id"`
	// Signature is the device's Ed25519 signature over
	// LoginMessage(stationID, ChallengeID, challenge, DeviceID, OfficerID).
	Signature []byte `json:"signature"`
}

// Officer describes an officer.
type Officer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	Unit string `json:"unit"`
}

// LoginResponse is the reply to a successful login.
type LoginResponse struct {
	Officer Officer `json:"officer"`
	// SessionToken goes into the Authorization header of later requests.
	SessionToken string `json:"session_token"`
	// ExpiresAt is the session's absolute end; IdleSeconds its idle limit.
	ExpiresAt   time.Time `json:"expires_at"`
	IdleSeconds int64     `json:"idle_seconds"`
	// SessionCode is a short code (such as "K7QM-4XPA") that the watermark
	// prints and the audit records carry.
	SessionCode string `json:"session_code"`
}

// SessionInfo is the reply to GET [PathSession]: the current session.
type SessionInfo struct {
	Officer     Officer   `json:"officer"`
	DeviceID    string    `json:"device_id"`
	SessionCode string    `json:"session_code"`
	ExpiresAt   time.Time `json:"expires_at"`
	IdleUntil   time.Time `json:"idle_until"`
}

// CaseSummary is a case the officer may see, with how they may see it.
type CaseSummary struct {
	Number string `json:"number"`
	Title  string `json:"title"`
	Unit   string `json:"unit"`
	// Status is "open" or "closed".
	Status string `json:"status"`
	// Access is AccessTeam or AccessGrant.
	Access string `json:"access"`
	// TeamRole is set when Access is AccessTeam (TeamLead, TeamMember or
	// TeamTechnician).
	TeamRole string `json:"team_role,omitempty"`
	// Scope is ScopeView or ScopeAnnotate: what the officer may do.
	Scope string `json:"scope"`
	// GrantExpiresAt is set when Access is AccessGrant.
	GrantExpiresAt *time.Time `json:"grant_expires_at,omitempty"`
	// GrantRequestID is the access request behind the grant, if any.
	GrantRequestID string `json:"grant_request_id,omitempty"`
}

// CaseList is the reply to GET [PathCases].
type CaseList struct {
	Cases []CaseSummary `json:"cases"`
}

// CaseLookup is the reply to GET [PathCaseLookup]: whether a case exists,
// nothing more, so that an officer can request access. Supervisors also get
// the case's unit (the app offers a supervisor of that unit its audit
// trail); nobody else does.
type CaseLookup struct {
	Number string `json:"number"`
	Exists bool   `json:"exists"`
	Unit   string `json:"unit,omitempty"` // supervisors only
}

// Document describes a sealed document of a case.
type Document struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Type is a category such as "incident_report", "witness_statement",
	// "lab_result", "evidence_log" or "other".
	Type        string    `json:"type"`
	Pages       int       `json:"pages"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
	PayloadSize int64     `json:"payload_size"`
	// Annotations counts the document's current (not deleted) annotations.
	Annotations int `json:"annotations"`
}

// CaseTeamMember is one member of a case team.
type CaseTeamMember struct {
	Officer Officer `json:"officer"`
	Role    string  `json:"role"`
}

// CaseDetail is the reply to GET [PathCase].
type CaseDetail struct {
	Case      CaseSummary      `json:"case"`
	Documents []Document       `json:"documents"`
	Team      []CaseTeamMember `json:"team"`
}

// OpenDocumentResponse is the reply to POST [PathDocumentOpen]. The station
// has written the audit record before issuing Grant.
type OpenDocumentResponse struct {
	DocumentID string `json:"document_id"`
	CaseNumber string `json:"case_number"`
	// SignedManifest is the bundle's station-signed manifest.
	SignedManifest []byte `json:"signed_manifest"`
	// Grant is the bundle grant sealed to this device's HPKE key, bound to
	// officer, device, case and document.
	Grant []byte `json:"grant"`
	// GrantID names the grant in the audit record.
	GrantID string `json:"grant_id"`
	// GrantExpiresAt is no later than the session's end.
	GrantExpiresAt time.Time `json:"grant_expires_at"`
	// PayloadPath is the path to GET the ciphertext payload from;
	// PayloadSize its length in bytes.
	PayloadPath string `json:"payload_path"`
	PayloadSize int64  `json:"payload_size"`
	// SessionCode is the code in the audit record; the watermark prints it.
	SessionCode string `json:"session_code"`
	// Scope is what the officer may do with the document.
	Scope string `json:"scope"`
}

// AccessRequestCreate is the body of POST [PathRequests].
type AccessRequestCreate struct {
	CaseNumber string `json:"case_number"`
	// Reason is why the officer needs the case, at most [MaxReasonLen] bytes.
	Reason string `json:"reason"`
	// DurationSeconds is the access time asked for, at most
	// [MaxGrantSeconds].
	DurationSeconds int64 `json:"duration_seconds"`
}

// AccessRequestApprove is the body of POST [PathRequestApprove].
type AccessRequestApprove struct {
	// DurationSeconds is the access time granted, from now, at most
	// [MaxGrantSeconds].
	DurationSeconds int64 `json:"duration_seconds"`
	// Scope is ScopeView or ScopeAnnotate.
	Scope string `json:"scope"`
}

// AccessRequestDecision is the body of POST [PathRequestDeny] and POST
// [PathRequestRevoke].
type AccessRequestDecision struct {
	Reason string `json:"reason"`
}

// AccessRequest is an access request and its state.
type AccessRequest struct {
	ID               string    `json:"id"`
	CaseNumber       string    `json:"case_number"`
	CaseUnit         string    `json:"case_unit"`
	Requester        Officer   `json:"requester"`
	Reason           string    `json:"reason"`
	RequestedSeconds int64     `json:"requested_seconds"`
	CreatedAt        time.Time `json:"created_at"`
	// State is one of the Request* constants.
	State string `json:"state"`
	// DecidedBy, DecidedAt and DecisionReason are set once a supervisor
	// approved, denied or revoked it.
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	// Scope and ExpiresAt are set once approved.
	Scope     string     `json:"scope,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AccessRequestList is the reply to GET [PathRequests] (the officer's own
// requests) and GET [PathRequestsPending] (a supervisor's unit queue).
type AccessRequestList struct {
	Requests []AccessRequest `json:"requests"`
}

// Rect is a page region in PDF points, origin at the bottom left of the page
// (PDF user space). X0 < X1 and Y0 < Y1.
type Rect struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

// AnnotationInput is the body of POST [PathAnnotations] (create) and PUT
// [PathAnnotation] (edit).
type AnnotationInput struct {
	// Page is 1-based.
	Page int  `json:"page"`
	Rect Rect `json:"rect"`
	// Kind is AnnotationHighlight or AnnotationNote.
	Kind string `json:"kind"`
	// Color is "#rrggbb".
	Color string `json:"color"`
	// Text is the note, at most [MaxNoteLen] bytes; encrypted at rest.
	Text string `json:"text"`
	// BaseRevision, on edit, is the revision the edit starts from; a stale
	// one gets CodeConflict. Ignored on create.
	BaseRevision int `json:"base_revision,omitempty"`
}

// AnnotationRevision is one revision of an annotation.
type AnnotationRevision struct {
	Revision int    `json:"revision"`
	Page     int    `json:"page"`
	Rect     Rect   `json:"rect"`
	Kind     string `json:"kind"`
	Color    string `json:"color"`
	Text     string `json:"text"`
	// Deleted marks the revision that deleted the annotation.
	Deleted   bool      `json:"deleted"`
	Author    Officer   `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// Annotation is an annotation: its current revision and its history, oldest
// first (History includes Current as its last element).
type Annotation struct {
	ID         string               `json:"id"`
	DocumentID string               `json:"document_id"`
	Current    AnnotationRevision   `json:"current"`
	History    []AnnotationRevision `json:"history"`
}

// AnnotationList is the reply to GET [PathAnnotations]. Deleted annotations
// are listed only with ?deleted=1.
type AnnotationList struct {
	Annotations []Annotation `json:"annotations"`
}

// AuditRecord is one audit log entry as served to supervisors.
type AuditRecord struct {
	// Index is the record's position in the log (its Merkle leaf index).
	Index           int64     `json:"index"`
	Time            time.Time `json:"time"`
	Action          string    `json:"action"`
	Outcome         string    `json:"outcome"`
	OfficerID       string    `json:"officer_id,omitempty"`
	DeviceID        string    `json:"device_id,omitempty"`
	SessionCode     string    `json:"session_code,omitempty"`
	ClientAddr      string    `json:"client_addr,omitempty"`
	StationAddr     string    `json:"station_addr,omitempty"`
	StationID       string    `json:"station_id,omitempty"`
	CaseNumber      string    `json:"case_number,omitempty"`
	Object          string    `json:"object,omitempty"`
	Detail          string    `json:"detail,omitempty"`
	Bytes           int64     `json:"bytes,omitempty"`
	SessionDuration int64     `json:"session_duration_seconds,omitempty"`
	// Leaf is the record's exact bytes as hashed into the Merkle tree, so a
	// client can check it against an inclusion proof.
	Leaf []byte `json:"leaf,omitempty"`
}

// AuditTrail is the reply to GET [PathCaseAudit].
type AuditTrail struct {
	CaseNumber string        `json:"case_number"`
	Records    []AuditRecord `json:"records"`
}

// Checkpoint is the reply to GET [PathAuditCheckpoint]: the latest signed
// tree head as a signed note (golang.org/x/mod/sumdb/note) whose text is a
// tlog checkpoint (origin, tree size, root hash).
type Checkpoint struct {
	Note     []byte `json:"note"`
	TreeSize int64  `json:"tree_size"`
	RootHash []byte `json:"root_hash"`
	// VerifierKey is the note verifier key (note.NewVerifier format).
	VerifierKey string `json:"verifier_key"`
}

// InclusionProof is the reply to GET [PathAuditInclusion]: the hashes that
// prove leaf Index is in the tree of TreeSize leaves (tlog.RecordProof).
type InclusionProof struct {
	Index    int64    `json:"index"`
	TreeSize int64    `json:"tree_size"`
	Proof    [][]byte `json:"proof"`
	// LeafHash is tlog.RecordHash of the record's Leaf bytes.
	LeafHash []byte `json:"leaf_hash"`
}

// ConsistencyProof is the reply to GET [PathAuditConsistency]: the hashes
// that prove the tree of OldSize leaves is a prefix of the tree of NewSize
// leaves (tlog.TreeProof).
type ConsistencyProof struct {
	OldSize int64    `json:"old_size"`
	NewSize int64    `json:"new_size"`
	Proof   [][]byte `json:"proof"`
}

// WipeReceipt says that a laptop wiped what it held. It travels inside
// [SignedWipeReceipt].
type WipeReceipt struct {
	StationID string `json:"station_id"`
	DeviceID  string `json:"device_id"`
	// OfficerID and SessionCode name the session that was wiped, if any.
	OfficerID   string `json:"officer_id,omitempty"`
	SessionCode string `json:"session_code,omitempty"`
	// Trigger is one of the Wipe* constants.
	Trigger string    `json:"trigger"`
	WipedAt time.Time `json:"wiped_at"`
	// Items lists what was wiped, such as "grants", "session_token",
	// "page_cache", "ciphertext_cache" (at most [MaxWipeItems]).
	Items []string `json:"items"`
	// Nonce is 16 or more random bytes that make each receipt unique.
	Nonce []byte `json:"nonce"`
}

// SignedWipeReceipt is the body of POST [PathWipe]. Receipt holds the JSON of
// a [WipeReceipt]; Signature is the device's Ed25519 signature over
// WipeReceiptMessage(Receipt). No session is needed (the session may be
// gone); the device key authenticates it.
type SignedWipeReceipt struct {
	Receipt   []byte `json:"receipt"`
	Signature []byte `json:"signature"`
}

// WipeAck is the reply to a wipe receipt.
type WipeAck struct {
	// Recorded is true once the receipt is in the audit log.
	Recorded bool `json:"recorded"`
	// AuditIndex is the audit record's index.
	AuditIndex int64 `json:"audit_index"`
}

// OK is the reply of endpoints that return nothing else (logout).
type OK struct {
	OK bool `json:"ok"`
}
