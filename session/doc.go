// Package session is the GUI-free core of the Case Viewer desktop app: it
// enrolls the laptop with a station, logs officers in, fetches and opens
// case documents in memory, runs the idle lock and the network guard, and
// owns the one wipe that every way of ending a session goes through. The
// GUI (package app) is a thin layer over a [Client]; nothing here imports
// Fyne.
//
// # Trust
//
// The client talks to the station's API over TLS 1.3 and trusts only the
// station CA certificate pinned at enrollment (no system roots, no proxy).
// Everything the station signs (its self-description, manifests, grants,
// beacon answers, audit checkpoints) is checked with the station's Ed25519
// key pinned at enrollment. [Client.Discover] shows the CA and key
// fingerprints for the officer to compare with what the administrator reads
// out; only [Client.Enroll] pins them.
//
// # What is stored where
//
//   - The state folder ([Options.StateDir]): the enrollment file (station
//     URL, CA certificate, station key, station ID, device ID, beacon
//     address; written atomically, no secrets) and the queue of signed wipe
//     receipts not yet delivered.
//   - The OS keyring ([keystore.Store]): the device identity (kept across
//     sessions), the session token and the cache key (deleted by the wipe).
//   - The cache folder ([Options.CacheDir]): document payloads as the
//     station sent them (age ciphertext), encrypted again with
//     XChaCha20-Poly1305 under the cache key. Deleting the key
//     crypto-shreds the cache; the wipe also deletes the files.
//   - Memory only: decrypted documents ([Document.PDF]), which the wipe
//     zeroes, and the loaded device key while a session runs.
//
// # The wipe
//
// Logout, the idle lock, the session's absolute expiry or its end at the
// station, device revocation and leaving the station network all call the
// same wipe ([Client.Wipe]). It stops the guard and timers, zeroes and
// drops decrypted documents, wipes every registered [PageWiper], deletes
// everything but the device identity from the keyring, deletes the cache
// files, signs a wipe receipt with the device key and queues it on disk,
// tells subscribers ([Client.Subscribe]) with a [LockEvent], and then, in
// the background, ends the station session and sends the queued receipts
// (again at the next login if the station cannot be reached). A part that
// fails does not stop the others; the event lists what failed. Wiping twice
// is harmless.
//
// # Errors
//
// Calls return wrapped sentinel errors (ErrWrongPassword,
// ErrAccountLocked, ErrDeviceRevoked, ErrUnreachable, ...) for the GUI to
// branch on with errors.Is. Station answers are *[StationError] values that
// carry the station's own sentence; a wrong password is a
// *[WrongPasswordError] with the attempts left.
//
// # Hardening
//
// [Harden] turns off core dumps and ptrace on Linux; see its documentation
// for other systems.
package session
