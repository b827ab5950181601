package wire

import (
	"errors"
	"fmt"
)

// Error codes carried in [Error.Code]. Each one names a situation that a
// client handles differently; see the comment on each.
const (
	// CodeBadRequest: the request was malformed (bad JSON, unknown field,
	// missing or out-of-range value). Do not retry unchanged.
	CodeBadRequest = "bad_request"
	// CodeTooLarge: the body or a field exceeded a limit in this package.
	CodeTooLarge = "too_large"
	// CodeUnauthenticated: no session token, or one the station does not know
	// (logged out, or never issued). Log in again.
	CodeUnauthenticated = "unauthenticated"
	// CodeSessionExpired: the session passed its idle or absolute limit. Log
	// in again.
	CodeSessionExpired = "session_expired"
	// CodeBadCredentials: wrong officer ID or password. When the officer
	// exists, [Error.AttemptsLeft] says how many tries remain before the
	// account locks.
	CodeBadCredentials = "bad_credentials"
	// CodeAccountLocked: too many failed logins; an administrator must unlock
	// the account (CJIS AC-7).
	CodeAccountLocked = "account_locked"
	// CodeAccountDisabled: the officer account was disabled by an
	// administrator.
	CodeAccountDisabled = "account_disabled"
	// CodeDeviceRevoked: this laptop was revoked. The client MUST wipe
	// everything it holds for this station.
	CodeDeviceRevoked = "device_revoked"
	// CodeDeviceUnknown: the device ID is not enrolled at this station.
	CodeDeviceUnknown = "device_unknown"
	// CodeChallengeInvalid: the login challenge is unknown, used, expired,
	// issued to another device, or its signature does not verify. Fetch a new
	// challenge.
	CodeChallengeInvalid = "challenge_invalid"
	// CodeEnrollTokenInvalid: the enrollment token is unknown or malformed.
	CodeEnrollTokenInvalid = "enroll_token_invalid"
	// CodeEnrollTokenUsed: the enrollment token was already used.
	CodeEnrollTokenUsed = "enroll_token_used"
	// CodeEnrollTokenExpired: the enrollment token expired.
	CodeEnrollTokenExpired = "enroll_token_expired"
	// CodeForbidden: the officer's role or case access does not allow this.
	CodeForbidden = "forbidden"
	// CodeGrantExpired: the officer's access grant to this case has expired.
	// Request access again.
	CodeGrantExpired = "grant_expired"
	// CodeGrantRevoked: the officer's access grant to this case was revoked
	// by a supervisor.
	CodeGrantRevoked = "grant_revoked"
	// CodeSelfApproval: nobody may decide their own access request.
	CodeSelfApproval = "self_approval"
	// CodeNotFound: no such case, document, request or annotation (or the
	// officer may not know it exists).
	CodeNotFound = "not_found"
	// CodeConflict: the request conflicts with the current state (a request
	// already decided, a stale annotation revision, a duplicate).
	CodeConflict = "conflict"
	// CodeAuditUnavailable: the station could not write the audit record,
	// so it refused the action (fail closed). Retry later; tell the
	// administrator.
	CodeAuditUnavailable = "audit_unavailable"
	// CodeMethodNotAllowed: wrong HTTP method for this path.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeInternal: the station failed; the message says nothing more.
	CodeInternal = "internal"
)

// Error is the JSON body of every failed response.
type Error struct {
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Message is a sentence for a person: what happened and what to do.
	Message string `json:"message"`
	// AttemptsLeft is set with CodeBadCredentials when the officer exists:
	// failed logins left before the account locks.
	AttemptsLeft *int `json:"attempts_left,omitempty"`
	// Status is the HTTP status the error came with. It is not sent; a client
	// fills it in after decoding.
	Status int `json:"-"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.AttemptsLeft != nil {
		return fmt.Sprintf("station: %s: %s (%d attempts left)", e.Code, e.Message, *e.AttemptsLeft)
	}
	return fmt.Sprintf("station: %s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, &wire.Error{Code: wire.CodeDeviceRevoked}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// HasCode reports whether err is, or wraps, an *Error with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
