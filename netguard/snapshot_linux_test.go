//go:build linux

package netguard

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"caseviewer/internal/netnstest"
)

// TestSnapshotSeesALinkComeUp: the polling watcher (the fallback where there
// are no netlink events) notices a change only if its snapshot does. In a
// network namespace of its own (a locked OS thread that unshares it, and
// dies with it), the snapshot is taken with only a loopback link that is
// down, then again after that link is brought up and gains its addresses:
// the two must differ, and name what changed.
func TestSnapshotSeesALinkComeUp(t *testing.T) {
	cannot := func(why string) { netnstest.Unavailable(t, why) }
	if os.Geteuid() != 0 {
		cannot("it needs root for a network namespace of its own")
	}
	type result struct {
		host, before, after, same string
		err                       error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, in its own namespace, ends with the
		// goroutine.
		runtime.LockOSThread()
		r := result{host: snapshot()}
		defer func() { done <- r }()
		if r.err = unix.Unshare(unix.CLONE_NEWNET); r.err != nil {
			return
		}
		r.before = snapshot()
		r.same = snapshot()
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if r.err = err; err != nil {
			return
		}
		defer unix.Close(fd)
		ifr, err := unix.NewIfreq("lo")
		if r.err = err; err != nil {
			return
		}
		if r.err = unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); r.err != nil {
			return
		}
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		if r.err = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); r.err != nil {
			return
		}
		r.after = snapshot()
	}()
	r := <-done
	if errors.Is(r.err, unix.EPERM) {
		cannot("this process may not make a network namespace (no CAP_SYS_ADMIN)")
	}
	if r.err != nil {
		t.Fatalf("setting up the namespace: %v", r.err)
	}
	t.Logf("in a fresh namespace: %q, then %q", r.before, r.after)
	if r.before == r.host {
		t.Fatalf("the new namespace's snapshot is the host's: %q", r.before)
	}
	if r.before != r.same {
		t.Fatalf("the same system gave two snapshots: %q and %q", r.before, r.same)
	}
	if r.after == r.before {
		t.Fatalf("bringing lo up left the snapshot unchanged: %q", r.after)
	}
	if strings.Contains(r.before, "up") || !strings.Contains(r.after, "up") || !strings.Contains(r.after, "127.0.0.1/8") {
		t.Fatalf("snapshots do not show lo coming up with its address: before %q, after %q", r.before, r.after)
	}
}
