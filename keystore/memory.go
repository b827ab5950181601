package keystore

import (
	"errors"
	"runtime"
)

// ErrMemoryLockUnsupported is returned by LockMemory and UnlockMemory on
// systems where this package does not lock memory (all but Linux). The
// caller may go on without the lock; the secret may then be swapped out.
var ErrMemoryLockUnsupported = errors.New("memory locking not supported on this system")

// Zero overwrites b with zeros. Use it on buffers that held keys or
// plaintext as soon as they are no longer needed. It cannot reach copies
// the runtime or other libraries made earlier (see the package
// documentation).
func Zero(b []byte) {
	clear(b)
	// Keep the stores from being treated as dead.
	runtime.KeepAlive(b)
}
