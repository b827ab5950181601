package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
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

// TestIdentityLockedInMemory: an identity from GenerateIdentity or
// LoadIdentity keeps its private bytes locked on a page of its own, and
// Zero unlocks that page only.
func TestIdentityLockedInMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("memory is locked only on Linux, not %s", runtime.GOOS)
	}
	probe := make([]byte, 64<<10)
	if err := keystore.LockMemory(probe); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("LockMemory: %v", err)
		}
		t.Skipf("LockMemory failed (RLIMIT_MEMLOCK too low?): %v", err)
	}
	keystore.UnlockMemory(probe)
	page := os.Getpagesize() / 1024

	before := lockedKB(t)
	gen, err := keystore.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := keystore.Open("org.caseviewer.test", keystore.WithBackend(keystoretest.NewMemory()))
	if err := s.SaveIdentity(context.Background(), gen); err != nil {
		t.Fatal(err)
	}
	loaded, err := s.LoadIdentity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	both := lockedKB(t)
	if both < before+2*page {
		t.Fatalf("VmLck %d kB with two identities, was %d: want a locked %d kB page each", both, before, page)
	}
	msg := []byte("message")
	if !loaded.SigningPublic().Verify(msg, loaded.Sign(msg)) {
		t.Fatal("the loaded identity does not sign")
	}
	gen.Zero()
	if after := lockedKB(t); after != both-page {
		t.Fatalf("VmLck %d kB after zeroing one identity, was %d: want its page (only) unlocked", after, both)
	}
	if !loaded.SigningPublic().Verify(msg, loaded.Sign(msg)) {
		t.Fatal("zeroing one identity broke the other")
	}
	loaded.Zero()
	loaded.Zero() // twice is harmless
	if after := lockedKB(t); after != before {
		t.Fatalf("VmLck %d kB after zeroing both identities, was %d before", after, before)
	}
	if loaded.Sign(msg) != nil {
		t.Fatal("a zeroed identity still signs")
	}
	t.Logf("VmLck %d kB before, %d kB with two identities", before, both)
}
