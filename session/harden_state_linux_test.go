package session

import "golang.org/x/sys/unix"

// hardenState returns the RLIMIT_CORE soft limit and the dumpable flag.
func hardenState() (core uint64, dumpable int, err error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil {
		return 0, 0, err
	}
	d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	return rl.Cur, d, err
}
