//go:build linux

package netguard

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"caseviewer/beacon"
)

// The namespace tests put the station's beacon in one network namespace and
// the guarded laptop in another, joined by a veth pair with addresses in
// 198.18.0.0/15 (reserved for network tests), and re-run this test binary
// inside each namespace (`ip netns exec`) in a helper role chosen by
// environment variables (see TestMain).

const (
	helperEnv   = "CV_NETGUARD_HELPER" // "beacon" or "client"
	modeEnv     = "CV_NETGUARD_MODE"   // beacon: good, wrongkey, replay, stale, otherdevice
	addrEnv     = "CV_NETGUARD_ADDR"
	intervalEnv = "CV_NETGUARD_INTERVAL"
	beaconIP    = "198.18.0.1"
	clientIP    = "198.18.0.2"
	beaconPort  = "7946"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "beacon":
		os.Exit(runBeaconHelper())
	case "client":
		os.Exit(runClientHelper())
	}
	os.Exit(m.Run())
}

// runBeaconHelper answers beacon requests in the way modeEnv says.
func runBeaconHelper() int {
	pc, err := net.ListenPacket("udp", net.JoinHostPort(beaconIP, beaconPort))
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("READY")
	mode := os.Getenv(modeEnv)
	if mode == "good" {
		if err := beacon.Serve(context.Background(), pc, stationID, stationKey, time.Now); err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		return 0
	}
	// A recorded answer for some earlier request, replayed to every request.
	recorded, _ := beacon.SignAnswer(beacon.Answer{Nonce: beacon.NewNonce(), Time: time.Now(), StationID: stationID, DeviceID: deviceID}, stationKey)
	buf := make([]byte, beacon.RequestSize+1)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return 1
		}
		req, err := beacon.ParseRequest(buf[:n])
		if err != nil {
			continue
		}
		a := beacon.Answer{Nonce: req.Nonce, Time: time.Now(), StationID: stationID, DeviceID: req.DeviceID}
		key := stationKey
		switch mode {
		case "wrongkey":
			key = wrongKey
		case "stale":
			a.Time = a.Time.Add(-10 * time.Minute)
		case "otherdevice":
			a.DeviceID = "DEV-OTHER"
		}
		ans, _ := beacon.SignAnswer(a, key)
		if mode == "replay" {
			ans = recorded
		}
		pc.WriteTo(ans, from)
	}
}

// runClientHelper runs a Guard with the real netlink watch and reports
// every check and the verdict on stdout.
func runClientHelper() int {
	interval, _ := time.ParseDuration(os.Getenv(intervalEnv))
	left := make(chan error, 1)
	g, err := Start(context.Background(), Config{
		BeaconAddr: os.Getenv(addrEnv), StationID: stationID, StationKey: stationPub, DeviceID: deviceID,
		Interval: interval, Misses: 2,
		OnCheck: func(err error) {
			if err == nil {
				fmt.Println("CHECK ok")
			} else {
				fmt.Println("CHECK", strings.ReplaceAll(err.Error(), "\n", " "))
			}
		},
		OnLeft: func(err error) { left <- err },
	})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	err = <-left
	fmt.Println("LEFT", strings.ReplaceAll(err.Error(), "\n", " "))
	g.Stop()
	return 0
}

// netns is a pair of namespaces joined by a veth pair.
type netns struct {
	t     *testing.T
	a, b  string // namespace names: beacon side, client side
	vethA string
	vethB string
	procs []*exec.Cmd
	lines chan line
}

type line struct {
	at   time.Time
	text string
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newNetns makes the namespaces or skips (fails under CI=true) where that
// is not possible.
func newNetns(t *testing.T) *netns {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	skip := func(why string) {
		if ci {
			t.Fatalf("CI must run the network namespace tests, but %s", why)
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
	n := &netns{t: t, a: "cvgA-" + sfx, b: "cvgB-" + sfx, vethA: "cvga" + sfx, vethB: "cvgb" + sfx}
	if out, err := exec.Command("ip", "netns", "add", n.a).CombinedOutput(); err != nil {
		skip(fmt.Sprintf("cannot create a network namespace: %v: %s", err, out))
	}
	t.Cleanup(n.cleanup)
	run(t, "ip", "netns", "add", n.b)
	run(t, "ip", "link", "add", n.vethA, "type", "veth", "peer", "name", n.vethB)
	run(t, "ip", "link", "set", n.vethA, "netns", n.a)
	run(t, "ip", "link", "set", n.vethB, "netns", n.b)
	run(t, "ip", "-n", n.a, "addr", "add", beaconIP+"/24", "dev", n.vethA)
	run(t, "ip", "-n", n.b, "addr", "add", clientIP+"/24", "dev", n.vethB)
	for _, x := range [][2]string{{n.a, n.vethA}, {n.b, n.vethB}, {n.a, "lo"}, {n.b, "lo"}} {
		run(t, "ip", "-n", x[0], "link", "set", x[1], "up")
	}
	n.lines = make(chan line, 1024)
	return n
}

func (n *netns) cleanup() {
	for _, p := range n.procs {
		if p.Process != nil {
			p.Process.Signal(syscall.SIGKILL)
			p.Wait()
		}
	}
	// Deleting a namespace deletes the veth end inside it.
	exec.Command("ip", "netns", "del", n.a).Run()
	exec.Command("ip", "netns", "del", n.b).Run()
}

// start runs this test binary in namespace ns in a helper role.
func (n *netns) start(ns string, env ...string) *exec.Cmd {
	n.t.Helper()
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
	role := strings.TrimPrefix(env[0], helperEnv+"=")
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			if first && role == "beacon" {
				close(ready)
				first = false
			}
			if role == "client" {
				n.lines <- line{time.Now(), sc.Text()}
			}
		}
		if first && role == "beacon" {
			close(ready)
		}
	}()
	if role == "beacon" {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			n.t.Fatal("the beacon helper did not start")
		}
	}
	return cmd
}

func (n *netns) startBeacon(mode string) *exec.Cmd {
	return n.start(n.a, helperEnv+"=beacon", modeEnv+"="+mode)
}

func (n *netns) startClient(interval time.Duration) {
	n.start(n.b, helperEnv+"=client", addrEnv+"="+net.JoinHostPort(beaconIP, beaconPort), intervalEnv+"="+interval.String())
}

// waitLine waits for a client line with prefix and returns it.
func (n *netns) waitLine(prefix string, within time.Duration) line {
	n.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l := <-n.lines:
			if strings.HasPrefix(l.text, "ERROR") {
				n.t.Fatalf("client helper: %s", l.text)
			}
			if strings.HasPrefix(l.text, prefix) {
				return l
			}
			if prefix == "LEFT" && l.text == "CHECK ok" {
				n.t.Fatalf("a check passed where none may: %s", l.text)
			}
		case <-deadline:
			n.t.Fatalf("no %q from the client within %v", prefix, within)
			return line{}
		}
	}
}

func TestNetnsLinkDown(t *testing.T) {
	for _, side := range []string{"station side", "laptop side"} {
		t.Run(side, func(t *testing.T) {
			n := newNetns(t)
			n.startBeacon("good")
			// The regular interval (3 s) is far above the 1 s goal: only the
			// netlink watch can make it.
			n.startClient(DefaultInterval)
			n.waitLine("CHECK ok", 5*time.Second)
			ns, dev := n.a, n.vethA
			if side == "laptop side" {
				ns, dev = n.b, n.vethB
			}
			down := time.Now()
			run(t, "ip", "-n", ns, "link", "set", dev, "down")
			l := n.waitLine("LEFT", 5*time.Second)
			d := l.at.Sub(down)
			t.Logf("link down (%s) -> left after %v: %s", side, d.Round(time.Millisecond), l.text)
			if d > time.Second {
				t.Fatalf("left %v after the link went down, goal 1 s", d)
			}
		})
	}
}

func TestNetnsBeaconSilenced(t *testing.T) {
	// Killed: the port closes and the kernel answers with ICMP errors.
	// Stopped (SIGSTOP): the socket stays open and nothing answers at all.
	for _, how := range []string{"killed", "stopped"} {
		t.Run(how, func(t *testing.T) {
			n := newNetns(t)
			b := n.startBeacon("good")
			const interval = 500 * time.Millisecond
			n.startClient(interval)
			n.waitLine("CHECK ok", 5*time.Second)
			silenced := time.Now()
			sig := syscall.SIGKILL
			if how == "stopped" {
				sig = syscall.SIGSTOP
			}
			// `ip netns exec` execs the helper in its own process, so the
			// pid is the helper's.
			if err := b.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			l := n.waitLine("LEFT", 10*time.Second)
			d := l.at.Sub(silenced)
			limit := 2*interval + time.Second
			t.Logf("beacon %s -> left after %v (limit %v): %s", how, d.Round(time.Millisecond), limit, l.text)
			if d > limit || !strings.Contains(l.text, "no answer") {
				t.Fatalf("left after %v (limit %v): %s", d, limit, l.text)
			}
			if how == "stopped" {
				b.Process.Signal(syscall.SIGCONT)
			}
		})
	}
}

func TestNetnsBadBeacons(t *testing.T) {
	const interval = 300 * time.Millisecond
	for mode, want := range map[string]string{
		"wrongkey":    beacon.ErrBadSignature.Error(),
		"replay":      beacon.ErrWrongNonce.Error(),
		"stale":       beacon.ErrStale.Error(),
		"otherdevice": beacon.ErrWrongDevice.Error(),
	} {
		t.Run(mode, func(t *testing.T) {
			n := newNetns(t)
			n.startBeacon(mode)
			start := time.Now()
			n.startClient(interval)
			l := n.waitLine("LEFT", 10*time.Second)
			d := l.at.Sub(start)
			t.Logf("%s: left after %v: %s", mode, d.Round(time.Millisecond), l.text)
			if !strings.Contains(l.text, want) {
				t.Fatalf("verdict %q does not name %q", l.text, want)
			}
			if limit := 2*interval + time.Second; d > limit+time.Second { // plus the helper's start-up
				t.Fatalf("left after %v", d)
			}
		})
	}
}
