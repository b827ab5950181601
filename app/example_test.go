package app_test

import (
	"errors"
	"fmt"

	"caseviewer/app"
)

// Explain turns what the client core reports into a sentence that says what
// happened and what to do; the GUI shows it in dialogs and forms.
func ExampleExplain() {
	fmt.Println(app.Explain(&app.WrongPasswordError{AttemptsLeft: 2}))
	fmt.Println(app.Explain(fmt.Errorf("login: %w", app.ErrAccountLocked)))
	fmt.Println(app.Explain(errors.Join(app.ErrSelfApproval)))
	// Output:
	// Wrong officer ID or password. 2 attempts left before your account is locked.
	// Your account is locked after too many failed logins. Call an administrator to unlock it.
	// You cannot approve your own request. Another supervisor of your unit must decide it.
}
