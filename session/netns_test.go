//go:build linux

package session

import (
	"context"
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

	"caseviewer/internal/netnstest"
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

func TestNetnsWipe(t *testing.T) {
	cases := []struct {
		name     string
		interval time.Duration
		act      func(n *netnstest.Pair, stationProc *exec.Cmd)
		limit    time.Duration
	}{
		{"link down", 3 * time.Second, func(n *netnstest.Pair, _ *exec.Cmd) { n.LinkDown(n.A) }, time.Second},
		{"beacon silenced", 500 * time.Millisecond, func(_ *netnstest.Pair, p *exec.Cmd) {
			p.Process.Signal(syscall.SIGUSR1)
		}, 2*500*time.Millisecond + time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := netnstest.New(t, "cvs", nsStationIP+"/24", nsClientIP+"/24")
			dir := t.TempDir()
			stationDir := filepath.Join(dir, "station")
			clientDir := filepath.Join(dir, "client")
			sp, slines := n.Start(n.A, nsHelperEnv+"=station", nsDirEnv+"="+stationDir)
			ready := n.Wait(slines, "READY", 30*time.Second)
			f := strings.Fields(ready.Text)
			if len(f) != 3 {
				t.Fatalf("station helper said %q", ready.Text)
			}
			_, clines := n.Start(n.B, nsHelperEnv+"=client", nsDirEnv+"="+clientDir, nsTokenEnv+"="+f[1], nsDocEnv+"="+f[2],
				nsIntervalEnv+"="+tc.interval.String())
			n.Wait(clines, "OPEN", 30*time.Second)
			start := time.Now()
			tc.act(n, sp)
			l := n.Wait(clines, "WIPED", 10*time.Second)
			d := l.At.Sub(start)
			t.Logf("%s -> %s after %v (limit %v)", tc.name, l.Text, d.Round(time.Millisecond), tc.limit)
			if !strings.HasPrefix(l.Text, "WIPED left_network zeroed=true cache=0 keyring=0 failures=0") {
				t.Fatalf("the wipe: %s", l.Text)
			}
			if d > tc.limit {
				t.Fatalf("wiped %v after %s, limit %v", d, tc.name, tc.limit)
			}
		})
	}
}
