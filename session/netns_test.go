//go:build linux

package session

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"caseviewer/station"
)

// The namespace test runs a real station (API and beacon) in one network
// namespace and a real client in another, joined by a veth pair, each as a
// helper process of this test binary (`ip netns exec`), and checks that the
// client's wipe follows the link going down or the beacon going silent.

const (
	nsHelperEnv   = "CV_SESSION_NS_HELPER" // "station" or "client"
	nsDirEnv      = "CV_SESSION_NS_DIR"
	nsTokenEnv    = "CV_SESSION_NS_TOKEN"
	nsDocEnv      = "CV_SESSION_NS_DOC"
	nsIntervalEnv = "CV_SESSION_NS_INTERVAL"
	nsStationIP   = "198.18.0.1"
	nsClientIP    = "198.18.0.2"
	nsAPIPort     = "8443"
	nsBeaconPort  = "8444"
)

func TestMain(m *testing.M) {
	switch os.Getenv(nsHelperEnv) {
	case "station":
		os.Exit(nsStationHelper())
	case "client":
		os.Exit(nsClientHelper())
	}
	os.Exit(m.Run())
}

// nsStationHelper serves a seeded station on the namespace's address and
// prints "READY <token> <document>". SIGUSR1 silences its beacon.
func nsStationHelper() int {
	fail := func(err error) int { fmt.Println("ERROR", err); return 1 }
	ctx := context.Background()
	dir := os.Getenv(nsDirEnv)
	if _, err := station.Init(ctx, dir, station.InitOptions{StationID: "ST-NS", Hosts: []string{nsStationIP}}); err != nil {
		return fail(err)
	}
	st, err := station.Open(ctx, dir, station.Options{Argon2: &station.Argon2Params{Time: 1, MemKiB: 256, Threads: 1}})
	if err != nil {
		return fail(err)
	}
	ts := &testStation{st: st}
	if err := ts.seed(stationOpts{}); err != nil {
		return fail(err)
	}
	tok, _, err := st.IssueEnrollToken(ctx, adminActor, "D1", time.Hour)
	if err != nil {
		return fail(err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(nsStationIP, nsBeaconPort))
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(nsStationIP, nsAPIPort))
	if err != nil {
		return fail(err)
	}
	srv := station.NewServer(st, station.ServerConfig{BeaconPublic: pc.LocalAddr().String(), Logf: func(string, ...any) {}})
	go srv.Serve(ctx, ln)
	bctx, silence := context.WithCancel(ctx)
	go st.ServeBeacon(bctx, pc)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() { <-usr1; silence() }()
	fmt.Println("READY", tok, ts.docH1)
	select {}
}

// nsClientHelper enrolls, logs in, opens the document and waits for the
// wipe; it prints "OPEN" and then "WIPED <reason> zeroed=<bool> cache=<n>
// keyring=<n>".
func nsClientHelper() int {
	fail := func(err error) int { fmt.Println("ERROR", err); return 1 }
	ctx := context.Background()
	dir := os.Getenv(nsDirEnv)
	interval, _ := time.ParseDuration(os.Getenv(nsIntervalEnv))
	keys := memKeyring(nil, nil)
	c, err := New(Options{Keyring: keys, StateDir: filepath.Join(dir, "state"), CacheDir: filepath.Join(dir, "cache"),
		Guard: GuardOptions{Interval: interval}})
	if err != nil {
		return fail(err)
	}
	addr := net.JoinHostPort(nsStationIP, nsAPIPort)
	if _, err := c.Discover(ctx, addr); err != nil {
		return fail(err)
	}
	if err := c.Enroll(ctx, addr, os.Getenv(nsTokenEnv)); err != nil {
		return fail(err)
	}
	if _, err := c.Login(ctx, "D1", []byte(testPassword)); err != nil {
		return fail(err)
	}
	doc, err := c.OpenDocument(ctx, os.Getenv(nsDocEnv))
	if err != nil {
		return fail(err)
	}
	pdf := doc.PDF
	pages := &pageBuffers{pages: [][]byte{make([]byte, 1<<20)}}
	for i := range pages.pages[0] {
		pages.pages[0][i] = 1
	}
	c.RegisterPageWiper(pages)
	done := make(chan LockEvent, 1)
	c.Subscribe(func(ev LockEvent) { done <- ev })
	fmt.Println("OPEN")
	ev := <-done
	ents, _ := os.ReadDir(filepath.Join(dir, "cache"))
	names, _ := keys.List(ctx)
	fmt.Printf("WIPED %s zeroed=%v cache=%d keyring=%d failures=%d\n", strings.ReplaceAll(ev.Reason.String(), " ", "_"),
		allZero(pdf) && allZero(pages.pages[0]), len(ents), len(names), len(ev.Failures))
	return 0
}

type nsPair struct {
	t      *testing.T
	a, b   string
	va, vb string
	procs  []*exec.Cmd
}

func newNsPair(t *testing.T) *nsPair {
	t.Helper()
	skip := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the network namespace test, but %s", why)
		}
		t.Skipf("skipping the network namespace test: %s", why)
	}
	if os.Geteuid() != 0 {
		skip("it needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("the ip command (iproute2) is missing")
	}
	var r [3]byte
	rand.Read(r[:])
	sfx := hex.EncodeToString(r[:])
	n := &nsPair{t: t, a: "cvsA-" + sfx, b: "cvsB-" + sfx, va: "cvsa" + sfx, vb: "cvsb" + sfx}
	if out, err := exec.Command("ip", "netns", "add", n.a).CombinedOutput(); err != nil {
		skip(fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	t.Cleanup(func() {
		for _, p := range n.procs {
			p.Process.Signal(syscall.SIGKILL)
			p.Wait()
		}
		exec.Command("ip", "netns", "del", n.a).Run()
		exec.Command("ip", "netns", "del", n.b).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", n.b},
		{"link", "add", n.va, "type", "veth", "peer", "name", n.vb},
		{"link", "set", n.va, "netns", n.a},
		{"link", "set", n.vb, "netns", n.b},
		{"-n", n.a, "addr", "add", nsStationIP + "/24", "dev", n.va},
		{"-n", n.b, "addr", "add", nsClientIP + "/24", "dev", n.vb},
		{"-n", n.a, "link", "set", n.va, "up"},
		{"-n", n.b, "link", "set", n.vb, "up"},
		{"-n", n.a, "link", "set", "lo", "up"},
		{"-n", n.b, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return n
}

type nsLine struct {
	at   time.Time
	text string
}

// start runs the test binary in ns with env and returns its command and
// its output lines.
func (n *nsPair) start(ns string, env ...string) (*exec.Cmd, <-chan nsLine) {
	exe, err := os.Executable()
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.procs = append(n.procs, cmd)
	lines := make(chan nsLine, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- nsLine{time.Now(), sc.Text()}
		}
		close(lines)
	}()
	return cmd, lines
}

func (n *nsPair) wait(lines <-chan nsLine, prefix string, within time.Duration) nsLine {
	n.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				n.t.Fatalf("helper ended before %q", prefix)
			}
			if strings.HasPrefix(l.text, "ERROR") {
				n.t.Fatalf("helper: %s", l.text)
			}
			if strings.HasPrefix(l.text, prefix) {
				return l
			}
		case <-deadline:
			n.t.Fatalf("no %q within %v", prefix, within)
		}
	}
}

func TestNetnsWipe(t *testing.T) {
	cases := []struct {
		name     string
		interval time.Duration
		act      func(n *nsPair, stationProc *exec.Cmd)
		limit    time.Duration
	}{
		{"link down", 3 * time.Second, func(n *nsPair, _ *exec.Cmd) {
			if out, err := exec.Command("ip", "-n", n.a, "link", "set", n.va, "down").CombinedOutput(); err != nil {
				t.Fatalf("link down: %v: %s", err, out)
			}
		}, time.Second},
		{"beacon silenced", 500 * time.Millisecond, func(_ *nsPair, p *exec.Cmd) {
			p.Process.Signal(syscall.SIGUSR1)
		}, 2*500*time.Millisecond + time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newNsPair(t)
			dir := t.TempDir()
			stationDir := filepath.Join(dir, "station")
			clientDir := filepath.Join(dir, "client")
			sp, slines := n.start(n.a, nsHelperEnv+"=station", nsDirEnv+"="+stationDir)
			ready := n.wait(slines, "READY", 30*time.Second)
			f := strings.Fields(ready.text)
			if len(f) != 3 {
				t.Fatalf("station helper said %q", ready.text)
			}
			_, clines := n.start(n.b, nsHelperEnv+"=client", nsDirEnv+"="+clientDir, nsTokenEnv+"="+f[1], nsDocEnv+"="+f[2],
				nsIntervalEnv+"="+tc.interval.String())
			n.wait(clines, "OPEN", 30*time.Second)
			start := time.Now()
			tc.act(n, sp)
			l := n.wait(clines, "WIPED", 10*time.Second)
			d := l.at.Sub(start)
			t.Logf("%s -> %s after %v (limit %v)", tc.name, l.text, d.Round(time.Millisecond), tc.limit)
			if !strings.HasPrefix(l.text, "WIPED left_network zeroed=true cache=0 keyring=0 failures=0") {
				t.Fatalf("the wipe: %s", l.text)
			}
			if d > tc.limit {
				t.Fatalf("wiped %v after %s, limit %v", d, tc.name, tc.limit)
			}
		})
	}
}
