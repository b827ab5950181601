//go:build linux

package session

import (
	"errors"
	"fmt"
	"math"

	"golang.org/x/sys/unix"
)

// Harden protects the process before it handles case data. On Linux it
// sets RLIMIT_CORE to zero (no core dumps), marks the process not dumpable
// (PR_SET_DUMPABLE = 0: no core dumps even where a handler would override
// the limit, no ptrace attach and no /proc/PID/mem reads by other
// processes of the same user) and reports the mlock limit. Call it first in
// main. It returns an error when one of the steps failed; the report says
// which.
func Harden() (HardenReport, error) {
	var r HardenReport
	var errs []error
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		errs = append(errs, fmt.Errorf("RLIMIT_CORE: %w", err))
		r.Notes = append(r.Notes, "core dumps could not be disabled: "+err.Error())
	} else {
		r.CoreDumpsOff = true
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		errs = append(errs, fmt.Errorf("PR_SET_DUMPABLE: %w", err))
		r.Notes = append(r.Notes, "the process could not be marked not dumpable: "+err.Error())
	} else {
		r.NotDumpable = true
	}
	var ml unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &ml); err == nil {
		if ml.Cur == unix.RLIM_INFINITY || ml.Cur > math.MaxInt64 {
			r.MemoryLockLimit = -1
		} else {
			r.MemoryLockLimit = int64(ml.Cur)
		}
	}
	return r, errors.Join(errs...)
}
