package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"caseviewer/keystore"
	"caseviewer/session"
)

// The life of a session, as the GUI drives it. (Not run: it needs a
// station.)
func Example() {
	if _, err := session.Harden(); err != nil {
		log.Printf("hardening incomplete: %v", err)
	}
	c, err := session.New(session.Options{Keyring: keystore.Open("caseviewer")})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(5e9)
	c.Subscribe(func(ev session.LockEvent) {
		fmt.Println("lock screen:", ev.Message)
	})
	ctx := context.Background()
	if !c.Enrolled() {
		d, err := c.Discover(ctx, "station.local:8443")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("compare with the administrator:", d.CAFingerprint, d.StationKey)
		if err := c.Enroll(ctx, d.Addr, "one-time-token"); err != nil {
			log.Fatal(err)
		}
	}
	_, err = c.Login(ctx, "D1", []byte("the password"))
	var wp *session.WrongPasswordError
	switch {
	case errors.As(err, &wp):
		fmt.Printf("wrong password, %d attempts left\n", wp.AttemptsLeft)
		return
	case errors.Is(err, session.ErrAccountLocked):
		fmt.Println("account locked: see an administrator")
		return
	case err != nil:
		log.Fatal(err)
	}
	doc, err := c.OpenDocument(ctx, "DOC-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(doc.PDF), doc.SessionCode, doc.GrantExpires)
	c.Logout(ctx) // zeroes doc.PDF, deletes session secrets and the cache
}

// Classifying errors for the person in front of the screen.
func ExampleStationError() {
	var err error = &session.StationError{Status: 403, Code: "device_revoked", Message: "This laptop was revoked."}
	fmt.Println(errors.Is(err, session.ErrDeviceRevoked))
	// Output: true
}

// Each lock reason comes with a sentence for the lock screen.
func ExampleLockReason_Message() {
	fmt.Println(session.LeftNetwork.Message())
	// Output: Left the station network: case data was wiped.
}
