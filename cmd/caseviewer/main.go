// Command caseviewer is the Case Viewer desktop app for department laptops.
// It only wires the parts together: the client core (session), the PDF
// engine (viewer, started in the background at once so it is warm by the
// time a document opens) and the GUI (app).
//
// Usage:
//
//	caseviewer [--station HOST:PORT --enroll-token TOKEN]
//
// On a laptop that is not enrolled yet, --station and --enroll-token (or
// CASEVIEWER_STATION and CASEVIEWER_ENROLL_TOKEN) enroll it without asking;
// the fingerprints it pinned are logged. The log goes to standard error,
// each line with the time since launch; it never carries case content.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"caseviewer/app"
	"caseviewer/viewer"
)

func main() {
	start := time.Now()
	logger := log.New(os.Stderr, "caseviewer: ", log.Ltime|log.Lmicroseconds)
	logf := func(format string, args ...any) {
		logger.Printf("+%.3fs %s", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("starting")
	stationAddr := flag.String("station", os.Getenv("CASEVIEWER_STATION"), "station address (host:port) to enroll with when not enrolled")
	token := flag.String("enroll-token", os.Getenv("CASEVIEWER_ENROLL_TOKEN"), "one-time enrollment token (with --station)")
	flag.Parse()

	// The PDF engine starts once the window is up, warming behind it.
	renderer := app.NewViewerRenderer(func() *viewer.Engine { return viewer.NewEngine(viewer.Config{Workers: 2}) })
	defer renderer.Close() // after the wipe below, which zeroes its pages

	backend, closeBackend, err := newBackend(logf)
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	defer closeBackend()
	logf("client core ready")

	a := fyneapp.NewWithID("org.caseviewer.CaseViewer")
	u := app.New(a, backend, renderer, app.Options{
		Logf: logf, EnrollAddr: *stationAddr, EnrollToken: *token,
	})
	// Ctrl+C or SIGTERM quits through Fyne, so the deferred wipe runs.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		logf("quitting on signal")
		u.Quit()
	}()
	u.Start()
	u.Window.ShowAndRun()
	logf("window closed; wiping")
}
