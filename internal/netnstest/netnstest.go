//go:build linux

// Package netnstest gives tests two Linux network namespaces joined by a
// veth pair, and runs the test binary itself inside either one in a helper
// role, so that a station and a laptop can be parted for real by taking the
// link down.
//
// Making namespaces needs root and the ip command (iproute2). Where either
// is missing the test is skipped with the reason, except under CI=true,
// where it fails: CI must run these tests.
package netnstest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Unavailable ends a test that needs a network namespace the machine cannot
// give it, saying why: a skip, except under CI=true, where it fails (CI
// must run these tests).
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run the network namespace tests, but %s", why)
	}
	t.Skipf("skipping the network namespace test: %s", why)
}

// Pair is two network namespaces, A and B, joined by a veth pair whose ends
// VethA (in A) and VethB (in B) are up with the addresses given to New. Both
// namespaces, and every helper started in them, go away when the test ends.
type Pair struct {
	A, B         string
	VethA, VethB string

	t     testing.TB
	procs []*exec.Cmd
}

// Line is one line a helper wrote to its standard output, with the time it
// was read.
type Line struct {
	At   time.Time
	Text string
}

// New makes the namespaces, with addrA and addrB (CIDR, such as
// 198.18.0.1/24) on the veth ends, or skips the test (fails it under
// CI=true) where namespaces cannot be made. tag (a few letters) goes into
// the names, which also carry a random suffix so tests can run side by
// side.
func New(t testing.TB, tag, addrA, addrB string) *Pair {
	t.Helper()
	skip := func(why string) { Unavailable(t, why) }
	if os.Geteuid() != 0 {
		skip("it needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("the ip command (iproute2) is missing")
	}
	var r [3]byte
	rand.Read(r[:])
	sfx := hex.EncodeToString(r[:])
	p := &Pair{t: t, A: tag + "A-" + sfx, B: tag + "B-" + sfx, VethA: tag + "a" + sfx, VethB: tag + "b" + sfx}
	if out, err := exec.Command("ip", "netns", "add", p.A).CombinedOutput(); err != nil {
		skip(fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	t.Cleanup(p.cleanup)
	for _, args := range [][]string{
		{"netns", "add", p.B},
		{"link", "add", p.VethA, "type", "veth", "peer", "name", p.VethB},
		{"link", "set", p.VethA, "netns", p.A},
		{"link", "set", p.VethB, "netns", p.B},
		{"-n", p.A, "addr", "add", addrA, "dev", p.VethA},
		{"-n", p.B, "addr", "add", addrB, "dev", p.VethB},
		{"-n", p.A, "link", "set", p.VethA, "up"},
		{"-n", p.B, "link", "set", p.VethB, "up"},
		{"-n", p.A, "link", "set", "lo", "up"},
		{"-n", p.B, "link", "set", "lo", "up"},
	} {
		p.IP(args...)
	}
	return p
}

// IP runs the ip command with args and fails the test if it fails.
func (p *Pair) IP(args ...string) {
	p.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		p.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// LinkDown takes the veth end in namespace ns (A or B) down.
func (p *Pair) LinkDown(ns string) {
	p.t.Helper()
	dev := p.VethA
	if ns == p.B {
		dev = p.VethB
	}
	p.IP("-n", ns, "link", "set", dev, "down")
}

func (p *Pair) cleanup() {
	for _, c := range p.procs {
		if c.Process != nil {
			c.Process.Signal(syscall.SIGCONT) // a stopped helper cannot die
			c.Process.Signal(syscall.SIGKILL)
			c.Wait()
		}
	}
	// Deleting a namespace deletes the veth end inside it.
	exec.Command("ip", "netns", "del", p.A).Run()
	exec.Command("ip", "netns", "del", p.B).Run()
}

// Start runs this test binary (with no tests selected) in namespace ns with
// env added to the environment; the binary's TestMain picks its helper role
// from env. It returns the process, which is `ip netns exec` replaced by the
// helper itself, and the helper's output lines (the channel is closed when
// the helper ends). The helper's standard error goes to the test's.
func (p *Pair) Start(ns string, env ...string) (*exec.Cmd, <-chan Line) {
	p.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.procs = append(p.procs, cmd)
	lines := make(chan Line, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- Line{time.Now(), sc.Text()}
		}
		close(lines)
	}()
	return cmd, lines
}

// Wait reads lines until one starts with prefix and returns it. It fails
// the test on a line starting with "ERROR", on a line equal to one of
// forbidden, when the helper ends, or after within.
func (p *Pair) Wait(lines <-chan Line, prefix string, within time.Duration, forbidden ...string) Line {
	p.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				p.t.Fatalf("the helper ended before %q", prefix)
			}
			if strings.HasPrefix(l.Text, "ERROR") {
				p.t.Fatalf("helper: %s", l.Text)
			}
			if strings.HasPrefix(l.Text, prefix) {
				return l
			}
			if slices.Contains(forbidden, l.Text) {
				p.t.Fatalf("the helper said %q while waiting for %q", l.Text, prefix)
			}
		case <-deadline:
			p.t.Fatalf("no %q from the helper within %v", prefix, within)
			return Line{}
		}
	}
}
