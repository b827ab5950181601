//go:build !linux

package keystore

// LockMemory would lock b into RAM; this package locks memory only on
// Linux. Elsewhere it returns ErrMemoryLockUnsupported (an empty b gives
// nil) and b may be swapped out.
func LockMemory(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return ErrMemoryLockUnsupported
}

// UnlockMemory undoes LockMemory; outside Linux it returns
// ErrMemoryLockUnsupported (an empty b gives nil).
func UnlockMemory(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return ErrMemoryLockUnsupported
}
