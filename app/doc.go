// Package app is the Case Viewer desktop GUI, built with Fyne.
//
// It is a thin layer: every decision about access, keys, caches, wiping and
// rendering lives in the client core (package session, seen here through the
// [Backend] interface) and the PDF engine (package viewer, seen through
// [Renderer]). This package shows screens, turns errors into sentences a
// person understands, and is the one place in the module that calls
// fyne.Do.
//
// # Screens
//
// [UI] owns one window and swaps its content between screens: enrollment
// (first run), the CJIS system-use banner, login, cases, a case, a
// document (with find, annotations and the watermark re-stamped every
// minute), requests (and the supervisor's queue), the audit trail, and the
// lock screen. Each screen is a struct of widget references built by a
// method, so tests build it from test.NewTempApp, tap the real buttons and
// read the real labels.
//
// # What is never offered
//
// Nothing here saves, prints, exports or copies case content: no menu or
// shortcut does, text entries that can hold case text drop copy and cut,
// labels are not selectable, and the lock screen replaces the whole window
// content (dialogs included) and the window title, so nothing that was
// shown stays visible (CJIS AC-11(1)).
//
// # Threads
//
// Calls to the backend and the renderer run on goroutines; their results are
// handed to the UI with fyne.Do. [Options.Synchronous] runs both inline, which
// the test-driver tests use to get deterministic screens.
package app
