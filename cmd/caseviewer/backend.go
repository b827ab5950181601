package main

import (
	"fmt"
	"os"
	"time"

	"caseviewer/app"
	"caseviewer/keystore"
	"caseviewer/session"
)

// keyringService names the app's items in the OS keyring;
// CASEVIEWER_KEYRING_SERVICE overrides it (tests use their own).
const keyringService = "org.caseviewer.CaseViewer"

// newBackend hardens the process and returns the client core the GUI runs
// on, and a function that wipes and closes it when the app ends.
func newBackend(logf func(string, ...any)) (app.Backend, func(), error) {
	rep, err := session.Harden()
	if err != nil {
		logf("process hardening incomplete: %v", err)
	}
	for _, n := range rep.Notes {
		logf("hardening: %s", n)
	}
	service := keyringService
	if s := os.Getenv("CASEVIEWER_KEYRING_SERVICE"); s != "" {
		service = s
	}
	c, err := session.New(session.Options{Keyring: keystore.Open(service)})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot start: %w", err)
	}
	return app.NewSessionBackend(c), func() { c.Close(3 * time.Second) }, nil
}
