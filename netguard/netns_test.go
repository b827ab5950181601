//go:build linux

package netguard

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"caseviewer/beacon"
	"caseviewer/internal/netnstest"
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

// netns is the beacon (A) and the guarded client (B) in their namespaces.
type netns struct {
	*netnstest.Pair
	client <-chan netnstest.Line
}

func newNetns(t *testing.T) *netns {
	return &netns{Pair: netnstest.New(t, "cvg", beaconIP+"/24", clientIP+"/24")}
}

func (n *netns) startBeacon(mode string) *exec.Cmd {
	cmd, lines := n.Start(n.A, helperEnv+"=beacon", modeEnv+"="+mode)
	n.Wait(lines, "READY", 10*time.Second)
	return cmd
}

func (n *netns) startClient(interval time.Duration) {
	_, n.client = n.Start(n.B, helperEnv+"=client", addrEnv+"="+net.JoinHostPort(beaconIP, beaconPort), intervalEnv+"="+interval.String())
}

// waitLine waits for a client line with prefix; while waiting for the
// verdict, a passing check fails the test.
func (n *netns) waitLine(prefix string, within time.Duration) netnstest.Line {
	var forbidden []string
	if prefix == "LEFT" {
		forbidden = []string{"CHECK ok"}
	}
	return n.Wait(n.client, prefix, within, forbidden...)
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
			ns := n.A
			if side == "laptop side" {
				ns = n.B
			}
			down := time.Now()
			n.LinkDown(ns)
			l := n.waitLine("LEFT", 5*time.Second)
			d := l.At.Sub(down)
			t.Logf("link down (%s) -> left after %v: %s", side, d.Round(time.Millisecond), l.Text)
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
			d := l.At.Sub(silenced)
			limit := 2*interval + time.Second
			t.Logf("beacon %s -> left after %v (limit %v): %s", how, d.Round(time.Millisecond), limit, l.Text)
			if d > limit || !strings.Contains(l.Text, "no answer") {
				t.Fatalf("left after %v (limit %v): %s", d, limit, l.Text)
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
			d := l.At.Sub(start)
			t.Logf("%s: left after %v: %s", mode, d.Round(time.Millisecond), l.Text)
			if !strings.Contains(l.Text, want) {
				t.Fatalf("verdict %q does not name %q", l.Text, want)
			}
			if limit := 2*interval + time.Second; d > limit+time.Second { // plus the helper's start-up
				t.Fatalf("left after %v", d)
			}
		})
	}
}
