package session

import (
	"errors"
	"fmt"

	"caseviewer/wire"
)

// Sentinel errors. The client wraps them with context; test with errors.Is.
// Errors that come from the station are *StationError values, which match
// the sentinel of their code (see StationError.Is) and carry the station's
// own sentence for a person.
var (
	// ErrNotEnrolled means this laptop has no enrollment (or its device
	// identity is gone from the keyring): enroll it first.
	ErrNotEnrolled = errors.New("session: this laptop is not enrolled")
	// ErrNotDiscovered means Enroll was called for an address that Discover
	// has not shown to the user.
	ErrNotDiscovered = errors.New("session: discover the station and confirm its fingerprints first")
	// ErrNotLoggedIn means the call needs a session and there is none (never
	// logged in, or the session was wiped).
	ErrNotLoggedIn = errors.New("session: not logged in")
	// ErrAlreadyLoggedIn means Login was called during a session.
	ErrAlreadyLoggedIn = errors.New("session: already logged in")
	// ErrUnreachable means the station could not be reached (network, DNS,
	// timeout).
	ErrUnreachable = errors.New("session: station unreachable")
	// ErrStationIdentity means the server did not prove to be the pinned
	// station (certificate not from the pinned CA, wrong signing key, or a
	// station signature that does not verify). Fail closed.
	ErrStationIdentity = errors.New("session: the server is not the enrolled station")
	// ErrKeyringUnavailable means the OS keyring did not answer in time, is
	// locked or is missing (wraps keystore.ErrKeyringUnavailable).
	ErrKeyringUnavailable = errors.New("session: keyring unavailable")
	// ErrWrongPassword means the officer ID or password is wrong; the error
	// is a *WrongPasswordError when the station said how many attempts are
	// left.
	ErrWrongPassword = errors.New("session: wrong officer ID or password")
	// ErrAccountLocked means too many failed logins locked the account.
	ErrAccountLocked = errors.New("session: account locked")
	// ErrAccountDisabled means the officer's account is disabled.
	ErrAccountDisabled = errors.New("session: account disabled")
	// ErrDeviceRevoked means the administrator revoked this laptop; the
	// client has wiped.
	ErrDeviceRevoked = errors.New("session: this laptop was revoked")
	// ErrDeviceUnknown means the station does not know this laptop.
	ErrDeviceUnknown = errors.New("session: the station does not know this laptop")
	// ErrLoginChallenge means the device-key challenge failed (expired,
	// used, or not signed by the enrolled key).
	ErrLoginChallenge = errors.New("session: the login challenge failed")
	// ErrTokenInvalid, ErrTokenUsed and ErrTokenExpired are enrollment token
	// failures.
	ErrTokenInvalid = errors.New("session: enrollment token not accepted")
	// ErrTokenUsed means the enrollment token was already used.
	ErrTokenUsed = errors.New("session: enrollment token already used")
	// ErrTokenExpired means the enrollment token expired.
	ErrTokenExpired = errors.New("session: enrollment token expired")
	// ErrSessionExpired means the station ended the session (idle or
	// absolute limit, or it ended otherwise); the client has wiped.
	ErrSessionExpired = errors.New("session: the session expired")
	// ErrAccessDenied means the station refused the action.
	ErrAccessDenied = errors.New("session: access denied")
	// ErrNotFound means the case, document, request or annotation does not
	// exist (or the officer may not know of it).
	ErrNotFound = errors.New("session: not found")
	// ErrGrantExpired and ErrGrantRevoked are access-grant outcomes.
	ErrGrantExpired = errors.New("session: access grant expired")
	// ErrGrantRevoked means the access grant was revoked.
	ErrGrantRevoked = errors.New("session: access grant revoked")
	// ErrSelfApproval means a supervisor tried to decide their own request.
	ErrSelfApproval = errors.New("session: own request cannot be decided")
	// ErrAuditUnavailable means the station could not write the audit
	// record and so refused (fail closed).
	ErrAuditUnavailable = errors.New("session: the station's audit log is unavailable")
	// ErrConflict means the request conflicts with the station's state (a
	// stale annotation revision, a request already decided, ...).
	ErrConflict = errors.New("session: conflict with the station's state")
	// ErrBadRequest means the station rejected the request's content.
	ErrBadRequest = errors.New("session: the station rejected the request")
	// ErrTampered means a document, grant, manifest, checkpoint or proof
	// failed verification.
	ErrTampered = errors.New("session: data failed verification")
	// ErrStation is any other station failure.
	ErrStation = errors.New("session: station error")
)

var codeSentinels = map[string]error{
	wire.CodeBadRequest:         ErrBadRequest,
	wire.CodeTooLarge:           ErrBadRequest,
	wire.CodeUnauthenticated:    ErrSessionExpired,
	wire.CodeSessionExpired:     ErrSessionExpired,
	wire.CodeBadCredentials:     ErrWrongPassword,
	wire.CodeAccountLocked:      ErrAccountLocked,
	wire.CodeAccountDisabled:    ErrAccountDisabled,
	wire.CodeDeviceRevoked:      ErrDeviceRevoked,
	wire.CodeDeviceUnknown:      ErrDeviceUnknown,
	wire.CodeChallengeInvalid:   ErrLoginChallenge,
	wire.CodeEnrollTokenInvalid: ErrTokenInvalid,
	wire.CodeEnrollTokenUsed:    ErrTokenUsed,
	wire.CodeEnrollTokenExpired: ErrTokenExpired,
	wire.CodeForbidden:          ErrAccessDenied,
	wire.CodeGrantExpired:       ErrGrantExpired,
	wire.CodeGrantRevoked:       ErrGrantRevoked,
	wire.CodeSelfApproval:       ErrSelfApproval,
	wire.CodeNotFound:           ErrNotFound,
	wire.CodeConflict:           ErrConflict,
	wire.CodeAuditUnavailable:   ErrAuditUnavailable,
}

// StationError is an error answer of the station. It matches, with
// errors.Is, the sentinel of its code (CodeBadCredentials matches
// ErrWrongPassword, CodeDeviceRevoked matches ErrDeviceRevoked, and so on;
// unknown codes match ErrStation).
type StationError struct {
	// Status is the HTTP status.
	Status int
	// Code is the wire error code (wire.Code*).
	Code string
	// Message is the station's sentence for a person.
	Message string
}

func (e *StationError) Error() string {
	return fmt.Sprintf("session: station said %s (%d): %s", e.Code, e.Status, e.Message)
}

// Is matches the sentinel of e's code.
func (e *StationError) Is(target error) bool {
	s, ok := codeSentinels[e.Code]
	if !ok {
		s = ErrStation
	}
	return target == s
}

// WrongPasswordError is a failed login with the number of attempts left
// before the account locks. It matches ErrWrongPassword.
type WrongPasswordError struct {
	// AttemptsLeft is how many more failures lock the account.
	AttemptsLeft int
	// Message is the station's sentence.
	Message string
}

func (e *WrongPasswordError) Error() string {
	return fmt.Sprintf("session: wrong officer ID or password (%d attempts left)", e.AttemptsLeft)
}

// Is makes errors.Is(err, ErrWrongPassword) true.
func (e *WrongPasswordError) Is(target error) bool { return target == ErrWrongPassword }

// stationError converts a wire error answer.
func stationError(status int, we *wire.Error) error {
	if we.Code == wire.CodeBadCredentials && we.AttemptsLeft != nil {
		return &WrongPasswordError{AttemptsLeft: *we.AttemptsLeft, Message: we.Message}
	}
	return &StationError{Status: status, Code: we.Code, Message: we.Message}
}
