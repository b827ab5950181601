package keystore_test

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"caseviewer/keystore"
)

func TestZero(t *testing.T) {
	b := []byte("secret key material")
	keystore.Zero(b)
	if !bytes.Equal(b, make([]byte, len(b))) {
		t.Fatalf("Zero left %q", b)
	}
	keystore.Zero(nil)
}

// lockedKB reads VmLck, the memory this process has locked, in kB.
func lockedKB(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmLck:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmLck in /proc/self/status")
	return 0
}

func TestLockMemory(t *testing.T) {
	if err := keystore.LockMemory(nil); err != nil {
		t.Fatalf("empty slice: %v", err)
	}
	b := make([]byte, 64<<10)
	err := keystore.LockMemory(b)
	if runtime.GOOS != "linux" {
		if !errors.Is(err, keystore.ErrMemoryLockUnsupported) {
			t.Fatalf("LockMemory on %s = %v", runtime.GOOS, err)
		}
		return
	}
	if err != nil {
		// RLIMIT_MEMLOCK may be tiny for unprivileged users.
		if os.Getenv("CI") == "true" {
			t.Fatalf("LockMemory: %v", err)
		}
		t.Skipf("LockMemory failed (RLIMIT_MEMLOCK too low?): %v", err)
	}
	locked := lockedKB(t)
	if locked < 64 {
		t.Fatalf("VmLck is %d kB after locking 64 KiB", locked)
	}
	if err := keystore.UnlockMemory(b); err != nil {
		t.Fatal(err)
	}
	if after := lockedKB(t); after > locked-64 {
		t.Fatalf("VmLck %d kB after unlock, was %d", after, locked)
	}
	t.Logf("VmLck %d kB while locked", locked)
}
