package session

// HardenReport says what Harden could do on this system.
type HardenReport struct {
	// CoreDumpsOff is true when the process can no longer write core dumps
	// (Linux and other Unix: RLIMIT_CORE = 0).
	CoreDumpsOff bool
	// NotDumpable is true when the process is marked not dumpable (Linux:
	// PR_SET_DUMPABLE = 0), which also stops ptrace and /proc/PID/mem
	// reads by other processes of the same user.
	NotDumpable bool
	// MemoryLockLimit is the RLIMIT_MEMLOCK soft limit in bytes (how much
	// key and document memory mlock may pin; -1 for unlimited, 0 where
	// unknown or unsupported).
	MemoryLockLimit int64
	// Notes say what was not possible and why.
	Notes []string
}
