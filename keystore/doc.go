// Package keystore is the only code in Case Viewer that touches the
// operating system's keyring (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows, through github.com/zalando/go-keyring).
// doc/keystore.md in the repository specifies the stored formats.
//
// # Store
//
// A [Store] is a small typed API over one service namespace: [Store.Put],
// [Store.Get] and [Store.Delete] a secret by name, [Store.List] the names
// stored, and [Store.DeleteAllExceptIdentity] for the wipe. go-keyring cannot
// list items, so the Store keeps an index item in the same namespace. The
// index is written before a value and trimmed after a delete, so it always
// names every value the Store may have left in the keyring (it may name a
// value that is already gone after an interrupted call; Get then reports
// [ErrNotFound] and the wipe skips it).
//
// Values are stored as standard base64 text. A value may be at most
// [MaxValueSize] bytes (1,920 bytes, 2,560 once encoded: the Windows
// Credential Manager limit); larger values are refused with [ErrTooLarge],
// never split. A Store holds at most [MaxItems] names of at most
// [MaxNameLen] bytes, so that the index itself fits the same limit.
//
// # Time limits
//
// Every call returns within the Store's time limit (3 s unless
// [WithTimeout] says otherwise) or the context's deadline, whichever is
// first: it stops waiting 1/20 of that time early (at most 50 ms), so
// that timer and scheduling latency do not carry it past the limit. A
// keyring that is locked, whose daemon hangs, or that is missing
// gives [ErrKeyringUnavailable]. The Store never falls back to a file or to
// memory. On Linux it also refuses to let the D-Bus library auto-launch a
// session bus when none is configured: a bus started that way would outlive
// the app and hold no unlocked keyring.
//
// go-keyring calls cannot be cancelled. A call that overruns the limit keeps
// running in a goroutine that is left behind (one per Store at a time, plus
// queued calls; a Store refuses new calls with [ErrKeyringUnavailable]
// while too many are waiting). To keep such a call from surprising the
// caller later, every keyring operation of a Store runs in strict call order
// on one queue, and:
//
//   - a Put, Get, List, SaveIdentity or LoadIdentity whose caller has given
//     up before it started is skipped;
//   - a Put or SaveIdentity whose write was already running when its caller
//     gave up is undone (the item is deleted) as soon as the write
//     completes, before any later call of the Store runs. A failed Put thus
//     leaves the name either with its previous value or absent, never with
//     the value of the failed call;
//   - a Delete, DeleteIdentity or DeleteAllExceptIdentity whose caller has
//     given up still runs when the keyring answers again: deleting late is
//     what a wipe wants.
//
// On Linux a locked login keyring shows gnome-keyring's unlock prompt: the
// call returns ErrKeyringUnavailable at the limit while the prompt may
// stay open; once the person unlocks, later calls succeed.
//
// Later calls are ordered after earlier ones, so a Delete or a wipe that
// succeeds is never undone by an earlier write that was still pending.
// Another process writing the same service namespace is outside these
// guarantees.
//
// # Device identity
//
// [GenerateIdentity] makes the device's key pairs: an Ed25519 signing key
// and an HPKE key pair for the ML-KEM-768+X25519 hybrid KEM of crypto/hpke.
// [Store.SaveIdentity], [Store.LoadIdentity] and [Store.DeleteIdentity] keep
// the private halves (two 32-byte seeds) in the keyring, apart from the
// names that [Store.DeleteAllExceptIdentity] removes. The public halves are
// [SigningPublic] and [HPKEPublic]: value types with unexported bytes,
// constant-time comparison, a prefixed text form ("cvsig:", "cvhpke:") and
// refusal of all-zero keys, after tailscale's types/key.
//
// # What Go cannot guarantee about secrets
//
// Values returned by [Store.Get] are fresh byte slices the caller may zero
// with [Zero] and pin with [LockMemory]. This narrows, but cannot close,
// the window in which secrets sit in memory: go-keyring passes values as Go
// strings, which cannot be zeroed; godbus copies them through its message
// buffers; base64 text and decoded copies pass through buffers the runtime
// may have copied (slice growth, stack moves) before they are zeroed; the
// garbage collector frees but does not clear memory; crypto/ed25519 and
// crypto/hpke keep their own expanded key material in values this package
// cannot reach. The keyring daemon holds its own copies. Zeroing is done on
// a best-effort basis and documented where it happens.
package keystore
