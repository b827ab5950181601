//go:build linux

package keystore

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// LockMemory locks the pages that hold b into RAM (mlock), so that they are
// not written to swap. Locking is per page and not counted: UnlockMemory on
// a buffer unlocks every page it touches, even pages shared with another
// locked buffer. The Go heap does not move objects, so the lock stays on b
// as long as b is reachable; lock heap buffers, not stack ones. It fails
// (with the errno, e.g. ENOMEM or EPERM) when RLIMIT_MEMLOCK is too low.
// An empty b is a no-op. On systems other than Linux it returns
// ErrMemoryLockUnsupported.
func LockMemory(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := unix.Mlock(b); err != nil {
		return fmt.Errorf("keystore: lock %d bytes of memory: %w", len(b), err)
	}
	return nil
}

// UnlockMemory undoes LockMemory (munlock). Zero b first: after the unlock
// its pages may be swapped. On systems other than Linux it returns
// ErrMemoryLockUnsupported.
func UnlockMemory(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := unix.Munlock(b); err != nil {
		return fmt.Errorf("keystore: unlock %d bytes of memory: %w", len(b), err)
	}
	return nil
}
