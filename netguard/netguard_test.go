package netguard

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"caseviewer/beacon"
)

var (
	stationKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	stationPub = stationKey.Public().(ed25519.PublicKey)
	wrongKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
)

const (
	stationID = "ST-TEST"
	deviceID  = "DEV-1"
)

// responder is a UDP beacon whose answers a test controls.
type responder struct {
	pc     net.PacketConn
	mu     sync.Mutex
	answer func(req beacon.Request) []byte // nil answer: stay silent
}

func newResponder(t *testing.T, answer func(req beacon.Request) []byte) *responder {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{pc: pc, answer: answer}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, beacon.RequestSize+1)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req, err := beacon.ParseRequest(buf[:n])
			if err != nil {
				continue
			}
			r.mu.Lock()
			f := r.answer
			r.mu.Unlock()
			if f == nil {
				continue
			}
			if a := f(req); a != nil {
				pc.WriteTo(a, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return r
}

func (r *responder) set(f func(req beacon.Request) []byte) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *responder) addr() string { return r.pc.LocalAddr().String() }

func sign(t testing.TB, a beacon.Answer, key ed25519.PrivateKey) []byte {
	b, err := beacon.SignAnswer(a, key)
	if err != nil {
		t.Error(err)
	}
	return b
}

func good(t testing.TB) func(beacon.Request) []byte {
	return func(req beacon.Request) []byte {
		return sign(t, beacon.Answer{Nonce: req.Nonce, Time: time.Now(), StationID: stationID, DeviceID: req.DeviceID}, stationKey)
	}
}

// result collects what a Guard reports.
type result struct {
	mu     sync.Mutex
	checks []error
	left   chan error
}

func newResult() *result { return &result{left: make(chan error, 1)} }

func (r *result) onCheck(err error) {
	r.mu.Lock()
	r.checks = append(r.checks, err)
	r.mu.Unlock()
}

func (r *result) oks() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.checks {
		if e == nil {
			n++
		}
	}
	return n
}

func startGuard(t *testing.T, addr string, mod func(c *Config)) (*Guard, *result) {
	t.Helper()
	res := newResult()
	cfg := Config{
		BeaconAddr: addr, StationID: stationID, StationKey: stationPub, DeviceID: deviceID,
		Interval: 60 * time.Millisecond, Misses: 2, Timeout: 30 * time.Millisecond,
		OnLeft:  func(err error) { res.left <- err },
		OnCheck: res.onCheck,
		Changes: make(chan struct{}), // no OS watch in unit tests
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g, res
}

func waitLeft(t *testing.T, res *result, within time.Duration) error {
	t.Helper()
	select {
	case err := <-res.left:
		return err
	case <-time.After(within):
		t.Fatalf("the guard did not report leaving within %v", within)
		return nil
	}
}

func TestPresentStaysPresent(t *testing.T) {
	r := newResponder(t, good(t))
	g, res := startGuard(t, r.addr(), nil)
	select {
	case err := <-res.left:
		t.Fatalf("left while the station answers: %v", err)
	case <-time.After(400 * time.Millisecond):
	}
	if n := res.oks(); n < 3 {
		t.Fatalf("%d good checks in 400 ms at 60 ms", n)
	}
	if misses, last, left := g.Status(); misses != 0 || last != nil || left {
		t.Fatalf("status %d %v %v", misses, last, left)
	}
}

func TestBadAnswersCountAsAbsent(t *testing.T) {
	cases := []struct {
		name   string
		answer func(req beacon.Request) []byte
		want   error
	}{
		{"silent", func(beacon.Request) []byte { return nil }, beacon.ErrNoAnswer},
		{"wrong key", func(req beacon.Request) []byte {
			return sign(t, beacon.Answer{Nonce: req.Nonce, Time: time.Now(), StationID: stationID, DeviceID: req.DeviceID}, wrongKey)
		}, beacon.ErrBadSignature},
		{"replay", func() func(beacon.Request) []byte {
			old := sign(t, beacon.Answer{Nonce: beacon.NewNonce(), Time: time.Now(), StationID: stationID, DeviceID: deviceID}, stationKey)
			return func(beacon.Request) []byte { return old }
		}(), beacon.ErrWrongNonce},
		{"stale", func(req beacon.Request) []byte {
			return sign(t, beacon.Answer{Nonce: req.Nonce, Time: time.Now().Add(-time.Hour), StationID: stationID, DeviceID: req.DeviceID}, stationKey)
		}, beacon.ErrStale},
		{"other device", func(req beacon.Request) []byte {
			return sign(t, beacon.Answer{Nonce: req.Nonce, Time: time.Now(), StationID: stationID, DeviceID: "DEV-2"}, stationKey)
		}, beacon.ErrWrongDevice},
		{"other station", func(req beacon.Request) []byte {
			return sign(t, beacon.Answer{Nonce: req.Nonce, Time: time.Now(), StationID: "ST-FAKE", DeviceID: req.DeviceID}, stationKey)
		}, beacon.ErrWrongStation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newResponder(t, c.answer)
			g, res := startGuard(t, r.addr(), nil)
			err := waitLeft(t, res, 2*time.Second)
			if !errors.Is(err, ErrLeftNetwork) || !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want ErrLeftNetwork and %v", err, c.want)
			}
			if res.oks() != 0 {
				t.Fatalf("%d checks passed", res.oks())
			}
			select {
			case <-g.Done():
			case <-time.After(time.Second):
				t.Fatal("the guard did not stop after reporting")
			}
		})
	}
}

func TestSilenceAfterPresence(t *testing.T) {
	r := newResponder(t, good(t))
	_, res := startGuard(t, r.addr(), nil)
	deadline := time.Now().Add(2 * time.Second)
	for res.oks() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if res.oks() == 0 {
		t.Fatal("never present")
	}
	r.set(nil)
	err := waitLeft(t, res, 2*time.Second)
	if !errors.Is(err, beacon.ErrNoAnswer) {
		t.Fatalf("err = %v", err)
	}
}

// TestChecksKeepTheirCadence: a check that waits out its timeout does not
// push the next one back, so silence is judged within Misses x Interval +
// Timeout, not Misses x (Interval + Timeout).
func TestChecksKeepTheirCadence(t *testing.T) {
	r := newResponder(t, nil) // silent: every check waits its full timeout
	const interval, timeout = 200 * time.Millisecond, 100 * time.Millisecond
	var mu sync.Mutex
	var at []time.Time
	startGuard(t, r.addr(), func(c *Config) {
		c.Interval, c.Timeout, c.Misses = interval, timeout, 1000
		c.OnCheck = func(error) {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
		}
	})
	const checks = 8
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(at)
		mu.Unlock()
		if n >= checks {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d checks in 10 s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	mean := at[checks-1].Sub(at[0]) / (checks - 1)
	mu.Unlock()
	// Drifting would give interval+timeout = 300 ms; allow scheduling slack.
	if mean > interval+timeout/2 {
		t.Fatalf("mean time between checks %v, want about %v (not %v)", mean, interval, interval+timeout)
	}
	t.Logf("mean time between silent checks: %v at interval %v, timeout %v", mean, interval, timeout)
}

func TestOneMissIsForgiven(t *testing.T) {
	var mu sync.Mutex
	n := 0
	r := newResponder(t, nil)
	ok := good(t)
	r.set(func(req beacon.Request) []byte {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%2 == 0 { // every other request goes unanswered
			return nil
		}
		return ok(req)
	})
	_, res := startGuard(t, r.addr(), nil)
	select {
	case err := <-res.left:
		t.Fatalf("left after single misses: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
}

func TestChangeTriggersQuickRechecks(t *testing.T) {
	r := newResponder(t, good(t))
	changes := make(chan struct{}, 1)
	_, res := startGuard(t, r.addr(), func(c *Config) {
		c.Interval = time.Hour // only the change can trigger checks
		c.Timeout = time.Second
		c.ChangeTimeout = 50 * time.Millisecond
		c.Changes = changes
	})
	deadline := time.Now().Add(2 * time.Second)
	for res.oks() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if res.oks() == 0 {
		t.Fatal("the first check did not pass")
	}
	r.set(nil)
	start := time.Now()
	changes <- struct{}{}
	waitLeft(t, res, 2*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("left %v after the change", d)
	}
}

func TestCheckNow(t *testing.T) {
	r := newResponder(t, good(t))
	g, res := startGuard(t, r.addr(), func(c *Config) { c.Interval = time.Hour })
	deadline := time.Now().Add(2 * time.Second)
	for res.oks() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	r.set(nil)
	g.CheckNow()
	waitLeft(t, res, 2*time.Second)
}

func TestOutsideSubnetsIsAbsentAtOnce(t *testing.T) {
	r := newResponder(t, good(t))
	_, res := startGuard(t, r.addr(), func(c *Config) {
		c.Subnets = []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")}
		c.Misses = 5
		c.Interval = time.Hour
	})
	err := waitLeft(t, res, 2*time.Second)
	if !errors.Is(err, ErrOutsideSubnets) {
		t.Fatalf("err = %v", err)
	}
	res.mu.Lock()
	n := len(res.checks)
	res.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d checks before leaving, want 1", n)
	}
}

func TestInsideSubnetsIsPresent(t *testing.T) {
	r := newResponder(t, good(t))
	_, res := startGuard(t, r.addr(), func(c *Config) {
		c.Subnets = []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24"), netip.MustParsePrefix("127.0.0.0/8")}
	})
	select {
	case err := <-res.left:
		t.Fatalf("left: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if res.oks() == 0 {
		t.Fatal("no check passed")
	}
}

func TestStopEndsWithoutVerdict(t *testing.T) {
	r := newResponder(t, nil) // silent
	g, res := startGuard(t, r.addr(), func(c *Config) { c.Interval = time.Hour; c.Timeout = 200 * time.Millisecond })
	time.Sleep(20 * time.Millisecond)
	g.Stop()
	g.Stop()
	select {
	case err := <-res.left:
		t.Fatalf("OnLeft after Stop: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestStopFromOnLeft(t *testing.T) {
	r := newResponder(t, nil)
	var g *Guard
	ready := make(chan struct{})
	done := make(chan struct{})
	cfg := Config{
		BeaconAddr: r.addr(), StationID: stationID, StationKey: stationPub, DeviceID: deviceID,
		Interval: 20 * time.Millisecond, Timeout: 10 * time.Millisecond, Changes: make(chan struct{}),
		OnLeft: func(error) { <-ready; g.Stop(); close(done) },
	}
	var err error
	g, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Stop inside OnLeft deadlocked")
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	for name, c := range map[string]Config{
		"empty":     {},
		"no OnLeft": {BeaconAddr: "127.0.0.1:1", StationID: stationID, StationKey: stationPub, DeviceID: deviceID},
		"short key": {BeaconAddr: "127.0.0.1:1", StationID: stationID, StationKey: stationPub[:5], DeviceID: deviceID, OnLeft: func(error) {}},
	} {
		if _, err := Start(context.Background(), c); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{BeaconAddr: "x:1", StationID: "s", StationKey: stationPub, DeviceID: "d", OnLeft: func(error) {}}
	if err := c.fill(); err != nil {
		t.Fatal(err)
	}
	if c.Interval != DefaultInterval || c.Misses != DefaultMisses || c.Timeout != time.Second || c.MaxSkew != DefaultMaxSkew {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestSnapshotChangesWithInterfaces(t *testing.T) {
	// The poll fallback compares snapshots: the same system gives the same
	// snapshot twice.
	if a, b := snapshot(), snapshot(); a != b || a == "" {
		t.Fatalf("snapshots differ or empty: %q %q", a, b)
	}
}
