package app

import (
	"context"
	"errors"
	"fmt"

	"caseviewer/viewer"
)

// Explain turns an error from the backend or the renderer into a sentence a
// person understands, saying what happened and what to do. It never returns
// a bare Go error string.
func Explain(err error) string {
	var wp *WrongPasswordError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &wp):
		switch {
		case wp.AttemptsLeft == 1:
			return "Wrong officer ID or password. One attempt left before your account is locked."
		case wp.AttemptsLeft > 1:
			return fmt.Sprintf("Wrong officer ID or password. %d attempts left before your account is locked.", wp.AttemptsLeft)
		}
		return "Wrong officer ID or password. Check both and try again."
	case errors.Is(err, ErrWrongPassword):
		return "Wrong officer ID or password. Check both and try again."
	case errors.Is(err, ErrAccountLocked):
		return "Your account is locked after too many failed logins. Call an administrator to unlock it."
	case errors.Is(err, ErrDeviceRevoked):
		return "This laptop has been revoked by the station. Case data on it was wiped. Call an administrator."
	case errors.Is(err, ErrNotEnrolled):
		return "This laptop is not enrolled with a station yet. Ask an administrator for an enrollment token."
	case errors.Is(err, ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return "The station cannot be reached. Check that you are on the station network and try again."
	case errors.Is(err, ErrTokenExpired):
		return "This enrollment token has expired. Ask an administrator for a new one."
	case errors.Is(err, ErrWrongToken):
		return "The station did not accept this enrollment token. Check it with the administrator, or ask for a new one."
	case errors.Is(err, ErrSelfApproval):
		return "You cannot approve your own request. Another supervisor of your unit must decide it."
	case errors.Is(err, ErrGrantExpired):
		return "Your access to this case has expired. Request access again if you still need it."
	case errors.Is(err, ErrAccessDenied):
		return "You do not have access to this. Request access to the case if you need it."
	case errors.Is(err, ErrAuditFailed):
		return "The station could not record this access in its audit log, so it was refused. Try again later or call an administrator."
	case errors.Is(err, ErrSessionEnded):
		return "Your session has ended. Log in again."
	case errors.Is(err, ErrTampered):
		return "The data received from the station failed its integrity check and was not shown. Call an administrator."
	case errors.Is(err, ErrKeyringMissing):
		return "The desktop keyring (Secret Service) is not available or is locked. Unlock or start it, then try again."
	case errors.Is(err, ErrAccountDisabled):
		return "This officer account is disabled. See the station administrator."
	case errors.Is(err, ErrGrantRevoked):
		return "Your access to this case was revoked by a supervisor."
	case errors.Is(err, ErrStationIdentity):
		return "The server did not prove it is your station, so nothing was sent to it. Tell an administrator at once."
	case errors.Is(err, ErrOffNetwork):
		return "This laptop is not on the station network. Connect to it and try again."
	case errors.Is(err, ErrConflict):
		return "This was changed by someone else meanwhile. Look at the current state and try again."
	case errors.Is(err, ErrDeviceUnknown):
		return "The station does not know this laptop. Ask an administrator for a new enrollment token."
	case errors.Is(err, ErrLoginChallenge):
		return "The check of this laptop's key at login failed. Try again; if it keeps failing, call an administrator."
	case errors.Is(err, ErrAlreadyLoggedIn):
		return "Someone is already logged in on this laptop. Log out first."
	case errors.Is(err, ErrEnrollNotChecked):
		return "Check the station and compare its fingerprints before enrolling."
	case errors.Is(err, ErrNotFound):
		return "Nothing was found with that name or number."
	case errors.Is(err, viewer.ErrInvalidPDF), errors.Is(err, viewer.ErrPassword):
		return "This document cannot be displayed: the file is damaged or in a form the viewer does not read. Tell the administrator who added it."
	case errors.Is(err, viewer.ErrTooLarge):
		return "This page is too large to display at this zoom. Zoom out and try again."
	case errors.Is(err, viewer.ErrTimeout):
		return "The document renderer took too long on this page and was restarted. Try again."
	case errors.Is(err, viewer.ErrWatermark):
		return "The page was not shown because its watermark could not be completed. Log in again."
	case errors.Is(err, viewer.ErrClosed):
		return "The document was closed. Open it again from the case."
	case errors.Is(err, context.Canceled):
		return "The operation was cancelled."
	}
	var me *MessageError
	if errors.As(err, &me) && me.Message != "" {
		return me.Message
	}
	return "Something went wrong: " + err.Error() + ". Try again; if it keeps happening, call an administrator."
}
