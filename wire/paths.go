package wire

import (
	"net/url"
	"strconv"
	"strings"
)

// URL paths. Patterns with {name} hold a path segment; build them with the
// *Path functions below, which escape the segment. The station registers these
// patterns with net/http's ServeMux (Go 1.22 pattern syntax).
const (
	// PathInfo: GET, no session. Returns [SignedStationInfo].
	PathInfo = "/v1/info"
	// PathEnroll: POST [EnrollRequest], no session. Returns [EnrollResponse].
	PathEnroll = "/v1/enroll"
	// PathChallenge: POST [ChallengeRequest], no session. Returns
	// [ChallengeResponse].
	PathChallenge = "/v1/login/challenge"
	// PathLogin: POST [LoginRequest], no session. Returns [LoginResponse].
	PathLogin = "/v1/login"
	// PathLogout: POST, empty body. Ends the session. Returns [OK].
	PathLogout = "/v1/logout"
	// PathSession: GET. Returns [SessionInfo] and counts as activity.
	PathSession = "/v1/session"
	// PathCases: GET. Returns [CaseList].
	PathCases = "/v1/cases"
	// PathCaseLookup: GET with ?number=N. Returns [CaseLookup].
	PathCaseLookup = "/v1/case-lookup"
	// PathCase: GET. Returns [CaseDetail].
	PathCase = "/v1/cases/{number}"
	// PathCaseAudit: GET with optional ?officer=ID&limit=N, supervisors of
	// the case's unit. Returns [AuditTrail].
	PathCaseAudit = "/v1/cases/{number}/audit"
	// PathDocumentOpen: POST, empty body. Returns [OpenDocumentResponse].
	PathDocumentOpen = "/v1/documents/{id}/open"
	// PathDocumentPayload: GET. Streams the ciphertext payload.
	PathDocumentPayload = "/v1/documents/{id}/payload"
	// PathAnnotations: GET returns [AnnotationList]; POST [AnnotationInput]
	// returns the new [Annotation].
	PathAnnotations = "/v1/documents/{id}/annotations"
	// PathAnnotation: PUT [AnnotationInput] edits, DELETE deletes; both
	// return the [Annotation] with its new revision.
	PathAnnotation = "/v1/annotations/{id}"
	// PathRequests: GET returns the officer's own [AccessRequestList]; POST
	// [AccessRequestCreate] returns the new [AccessRequest].
	PathRequests = "/v1/requests"
	// PathRequestsPending: GET, supervisors. Returns the pending
	// [AccessRequestList] of the supervisor's unit.
	PathRequestsPending = "/v1/requests/pending"
	// PathRequestApprove: POST [AccessRequestApprove]. Returns
	// [AccessRequest].
	PathRequestApprove = "/v1/requests/{id}/approve"
	// PathRequestDeny: POST [AccessRequestDecision]. Returns [AccessRequest].
	PathRequestDeny = "/v1/requests/{id}/deny"
	// PathRequestRevoke: POST [AccessRequestDecision] on an approved
	// request. Returns [AccessRequest].
	PathRequestRevoke = "/v1/requests/{id}/revoke"
	// PathAuditCheckpoint: GET. Returns the latest [Checkpoint].
	PathAuditCheckpoint = "/v1/audit/checkpoint"
	// PathAuditInclusion: GET with ?index=I&size=N. Returns
	// [InclusionProof].
	PathAuditInclusion = "/v1/audit/inclusion"
	// PathAuditConsistency: GET with ?old=M&size=N. Returns
	// [ConsistencyProof].
	PathAuditConsistency = "/v1/audit/consistency"
	// PathWipe: POST [SignedWipeReceipt], no session. Returns [WipeAck].
	PathWipe = "/v1/wipe"
)

func fill(pattern, value string) string {
	i := strings.IndexByte(pattern, '{')
	j := strings.IndexByte(pattern, '}')
	if i < 0 || j < i {
		return pattern
	}
	return pattern[:i] + url.PathEscape(value) + pattern[j+1:]
}

// CasePath returns the path of a case's detail.
func CasePath(number string) string { return fill(PathCase, number) }

// CaseAuditPath returns the path of a case's audit trail, filtered by officer
// when officerID is not empty.
func CaseAuditPath(number, officerID string) string {
	p := fill(PathCaseAudit, number)
	if officerID != "" {
		p += "?officer=" + url.QueryEscape(officerID)
	}
	return p
}

// CaseLookupPath returns the path that looks a case up by number.
func CaseLookupPath(number string) string {
	return PathCaseLookup + "?number=" + url.QueryEscape(number)
}

// DocumentOpenPath returns the path that opens a document.
func DocumentOpenPath(id string) string { return fill(PathDocumentOpen, id) }

// DocumentPayloadPath returns the path of a document's ciphertext payload.
func DocumentPayloadPath(id string) string { return fill(PathDocumentPayload, id) }

// AnnotationsPath returns the path of a document's annotations.
func AnnotationsPath(documentID string) string { return fill(PathAnnotations, documentID) }

// AnnotationPath returns the path of one annotation.
func AnnotationPath(id string) string { return fill(PathAnnotation, id) }

// RequestApprovePath returns the path that approves an access request.
func RequestApprovePath(id string) string { return fill(PathRequestApprove, id) }

// RequestDenyPath returns the path that denies an access request.
func RequestDenyPath(id string) string { return fill(PathRequestDeny, id) }

// RequestRevokePath returns the path that revokes an approved access request.
func RequestRevokePath(id string) string { return fill(PathRequestRevoke, id) }

// AuditInclusionPath returns the path of the inclusion proof of record index
// in the tree of size leaves.
func AuditInclusionPath(index, size int64) string {
	return PathAuditInclusion + "?index=" + strconv.FormatInt(index, 10) + "&size=" + strconv.FormatInt(size, 10)
}

// AuditConsistencyPath returns the path of the consistency proof between the
// trees of old and size leaves.
func AuditConsistencyPath(old, size int64) string {
	return PathAuditConsistency + "?old=" + strconv.FormatInt(old, 10) + "&size=" + strconv.FormatInt(size, 10)
}
