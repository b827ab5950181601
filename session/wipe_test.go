package session

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"caseviewer/audit"
	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
	"caseviewer/wire"
)

// openSession enrolls and logs in D1 and opens the H-1 document.
func openSession(t *testing.T, ts *testStation, o clientOpts) (*Client, *events, *Document) {
	t.Helper()
	c := newClient(t, o)
	evs := subscribe(c)
	enroll(t, c, ts, "D1")
	login(t, c, "D1")
	doc, err := c.OpenDocument(context.Background(), ts.docH1)
	if err != nil {
		t.Fatal(err)
	}
	return c, evs, doc
}

// checkWiped checks what every wipe must leave behind.
func checkWiped(t *testing.T, c *Client, keys *keystore.Store, doc *Document, pdf []byte) {
	t.Helper()
	if c.LoggedIn() {
		t.Error("still logged in after the wipe")
	}
	if !allZero(pdf) || !doc.Wiped() {
		t.Error("the document was not zeroed")
	}
	names, err := keys.List(context.Background())
	if err != nil || len(names) != 0 {
		t.Errorf("keyring after the wipe: %v %v", names, err)
	}
	if got := dirEntries(t, c.opts.CacheDir); len(got) != 0 {
		t.Errorf("cache after the wipe: %v", got)
	}
}

func TestWipeTriggers(t *testing.T) {
	cases := []struct {
		name    string
		station stationOpts
		client  clientOpts
		act     func(t *testing.T, ts *testStation, c *Client)
		reason  LockReason
		within  time.Duration
		message string
	}{
		{"logout", stationOpts{}, clientOpts{}, func(t *testing.T, ts *testStation, c *Client) {
			if err := c.Logout(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, Logout, 5 * time.Second, "logged out"},
		{"idle", stationOpts{}, clientOpts{idle: 300 * time.Millisecond}, func(*testing.T, *testStation, *Client) {}, Idle, 3 * time.Second, "without activity"},
		{"session absolute limit", stationOpts{absolute: 1500 * time.Millisecond}, clientOpts{}, func(*testing.T, *testStation, *Client) {}, SessionExpired, 4 * time.Second, "session ended"},
		{"session ended by the station", stationOpts{idle: 700 * time.Millisecond}, clientOpts{}, func(t *testing.T, ts *testStation, c *Client) {
			time.Sleep(900 * time.Millisecond)
			if _, err := c.Cases(context.Background()); !errors.Is(err, ErrSessionExpired) {
				t.Errorf("Cases after the station's idle limit: %v", err)
			}
		}, SessionExpired, 5 * time.Second, "session ended"},
		{"device revoked", stationOpts{}, clientOpts{}, func(t *testing.T, ts *testStation, c *Client) {
			if err := ts.st.RevokeDevice(context.Background(), adminActor, c.Enrollment().DeviceID, "lost"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Cases(context.Background()); !errors.Is(err, ErrDeviceRevoked) {
				t.Errorf("Cases after revocation: %v", err)
			}
		}, DeviceRevoked, 5 * time.Second, "revoked"},
		{"left the network", stationOpts{}, clientOpts{interval: 100 * time.Millisecond}, func(t *testing.T, ts *testStation, c *Client) {
			ts.silenceBeacon()
		}, LeftNetwork, 2*100*time.Millisecond + time.Second, "Left the station network"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestStation(t, tc.station)
			keys := memKeyring(t, nil)
			tc.client.keys = keys
			c, evs, doc := openSession(t, ts, tc.client)
			pdf := doc.PDF
			pages := &pageBuffers{pages: [][]byte{bytes.Repeat([]byte{1}, 1024)}}
			c.RegisterPageWiper(pages)
			start := time.Now()
			tc.act(t, ts, c)
			ev := evs.wait(t, tc.within)
			t.Logf("%s: lock event after %v", tc.name, time.Since(start).Round(time.Millisecond))
			if ev.Reason != tc.reason || !strings.Contains(ev.Message, tc.message) || len(ev.Failures) != 0 {
				t.Fatalf("event %+v, want reason %v", ev, tc.reason)
			}
			checkWiped(t, c, keys, doc, pdf)
			if !allZero(pages.pages[0]) {
				t.Error("pages not wiped")
			}
			// Only one event per wipe.
			select {
			case ev := <-evs.ch:
				t.Fatalf("a second event: %+v", ev)
			case <-time.After(200 * time.Millisecond):
			}
			c.WaitBackground()
		})
	}
}

func TestTouchKeepsTheSessionOpen(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c, evs, _ := openSession(t, ts, clientOpts{idle: 400 * time.Millisecond})
	stop := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(stop) {
		c.Touch()
		select {
		case ev := <-evs.ch:
			t.Fatalf("locked while active: %+v", ev)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if !c.LoggedIn() {
		t.Fatal("logged out while active")
	}
	ev := evs.wait(t, 3*time.Second)
	if ev.Reason != Idle {
		t.Fatalf("event %+v", ev)
	}
}

func TestClampIdle(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0: DefaultIdleTimeout, -time.Second: DefaultIdleTimeout, time.Minute: time.Minute,
		MaxIdleTimeout: MaxIdleTimeout, 2 * time.Hour: MaxIdleTimeout,
	} {
		if got := ClampIdle(in); got != want {
			t.Errorf("ClampIdle(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestRevokedDeviceCannotLogIn(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c := newClient(t, clientOpts{})
	evs := subscribe(c)
	enroll(t, c, ts, "D1")
	if err := ts.st.RevokeDevice(context.Background(), adminActor, c.Enrollment().DeviceID, "stolen"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Login(context.Background(), "D1", []byte(testPassword))
	if !errors.Is(err, ErrDeviceRevoked) {
		t.Fatalf("login of a revoked laptop: %v", err)
	}
	if ev := evs.wait(t, 2*time.Second); ev.Reason != DeviceRevoked {
		t.Fatalf("event %+v", ev)
	}
}

func TestWipeTwiceAndConcurrently(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	keys := memKeyring(t, nil)
	c, evs, doc := openSession(t, ts, clientOpts{keys: keys})
	pdf := doc.PDF
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Wipe(Logout) }()
	}
	wg.Wait()
	checkWiped(t, c, keys, doc, pdf)
	ev2 := c.Wipe(Logout)
	if len(ev2.Failures) != 0 {
		t.Fatalf("a second wipe failed: %+v", ev2)
	}
	n := 0
	for len(evs.ch) > 0 {
		ev := <-evs.ch
		if len(ev.Failures) != 0 {
			t.Fatalf("failures: %+v", ev)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("%d events for 5 wipes", n)
	}
	// After wiping twice the officer can still log in.
	login(t, c, "D1")
	c.WaitBackground()
}

// partlyFailing is a keyring whose deletes of some items fail.
type partlyFailing struct {
	*keystoretest.Memory
	mu   sync.Mutex
	fail func(user string) bool
}

func (p *partlyFailing) Delete(service, user string) error {
	p.mu.Lock()
	f := p.fail
	p.mu.Unlock()
	if f != nil && f(user) {
		return errors.New("simulated keyring failure")
	}
	return p.Memory.Delete(service, user)
}

func (p *partlyFailing) heal() {
	p.mu.Lock()
	p.fail = nil
	p.mu.Unlock()
}

func TestWipeWithAFailingKeyringDoesEverythingElse(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	backend := &partlyFailing{Memory: keystoretest.NewMemory()}
	keys := memKeyring(t, backend)
	c, evs, doc := openSession(t, ts, clientOpts{keys: keys})
	pdf := doc.PDF
	pages := &pageBuffers{pages: [][]byte{bytes.Repeat([]byte{7}, 512)}}
	c.RegisterPageWiper(pages)
	c.RegisterPageWiper(panicWiper{})
	backend.mu.Lock()
	backend.fail = func(user string) bool { return strings.Contains(user, "cache") }
	backend.mu.Unlock()

	ev := c.Wipe(Logout)
	if got := <-evs.ch; got.Reason != Logout {
		t.Fatalf("subscriber got %+v", got)
	}
	joined := strings.Join(ev.Failures, "\n")
	if !strings.Contains(joined, "keyring") || !strings.Contains(joined, "rendered pages") {
		t.Fatalf("failures %q do not report the keyring and the broken page wiper", joined)
	}
	if !strings.Contains(ev.Message, "failed") {
		t.Fatalf("message %q does not say the wipe failed in part", ev.Message)
	}
	// Everything else was still done.
	if c.LoggedIn() || !allZero(pdf) || !allZero(pages.pages[0]) {
		t.Fatal("the wipe stopped at the failure")
	}
	if got := dirEntries(t, c.opts.CacheDir); len(got) != 0 {
		t.Fatalf("cache after the wipe: %v", got)
	}
	names, _ := keys.List(context.Background())
	if contains(names, keyToken) || !contains(names, keyCacheKey) {
		t.Fatalf("keyring after a partly failed wipe: %v (the token must be gone, the failed cache key left)", names)
	}
	// Once the keyring works again, wiping again finishes the job.
	backend.heal()
	if ev := c.Wipe(Logout); len(ev.Failures) != 1 { // the panicking wiper still fails
		t.Fatalf("second wipe: %+v", ev)
	}
	if names, _ := keys.List(context.Background()); len(names) != 0 {
		t.Fatalf("keyring after the second wipe: %v", names)
	}
	c.WaitBackground()
}

type panicWiper struct{}

func (panicWiper) Wipe() { panic("renderer crashed") }

func TestWipeReceiptQueuedWhileStationUnreachable(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c, _, _ := openSession(t, ts, clientOpts{})
	ts.serveCancel() // the API goes away; the beacon stays
	c.Wipe(Logout)
	c.WaitBackground()
	if n := c.PendingWipeReceipts(); n != 1 {
		t.Fatalf("%d receipts queued, want 1", n)
	}
	// A second wipe queues a second receipt; the queue is capped.
	for i := 0; i < maxQueued+3; i++ {
		c.Wipe(Logout)
	}
	c.WaitBackground()
	if n := c.PendingWipeReceipts(); n != maxQueued {
		t.Fatalf("%d receipts queued, want the cap %d", n, maxQueued)
	}
}

// wipeRecords returns the station's device.wipe audit records.
func wipeRecords(t *testing.T, ts *testStation) []audit.Record {
	t.Helper()
	var exp bytes.Buffer
	if err := ts.st.ExportAudit(context.Background(), adminActor, &exp, "json", audit.Filter{Action: "device.wipe"}); err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	if err := json.Unmarshal(exp.Bytes(), &recs); err != nil {
		t.Fatalf("audit export: %v", err)
	}
	return recs
}

// TestWipeReceiptSentAtNextLogin: a receipt queued while the station was
// unreachable reaches the station's audit log at the next login, and the
// queue empties.
func TestWipeReceiptSentAtNextLogin(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c := newClient(t, clientOpts{})
	enroll(t, c, ts, "D1")
	first := login(t, c, "D1")
	ts.serveCancel() // the API goes away; the beacon stays
	c.Wipe(Logout)
	c.WaitBackground()
	if n := c.PendingWipeReceipts(); n != 1 {
		t.Fatalf("%d receipts queued while the station was down, want 1", n)
	}
	if recs := wipeRecords(t, ts); len(recs) != 0 {
		t.Fatalf("the station recorded %d wipes while it was down", len(recs))
	}

	ts.restartAPI(t)
	second := login(t, c, "D1")
	c.WaitBackground() // the flush that follows the login
	if n := c.PendingWipeReceipts(); n != 0 {
		t.Fatalf("%d receipts still queued after the next login", n)
	}
	recs := wipeRecords(t, ts)
	if len(recs) != 1 {
		t.Fatalf("the station recorded %d wipes, want the 1 queued: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.Outcome != "reported" || r.OfficerID != "D1" || r.SessionCode != first.SessionCode || r.DeviceID != c.Enrollment().DeviceID ||
		!strings.Contains(r.Detail, "trigger=logout") {
		t.Fatalf("wipe record %+v, want a logout of session %s by D1 on %s", r, first.SessionCode, c.Enrollment().DeviceID)
	}
	if second.SessionCode == first.SessionCode {
		t.Fatal("the second login reused the first session code")
	}
}

// TestWipeReceiptKeyCopyZeroed: the copy of the device's private key that
// signs a wipe receipt is zeroed once signed, with a session (its identity)
// and without one (the identity loaded for the receipt).
func TestWipeReceiptKeyCopyZeroed(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c := newClient(t, clientOpts{})
	enroll(t, c, ts, "D1")
	var keys []ed25519.PrivateKey
	orig := signWipeReceipt
	signWipeReceipt = func(r wire.WipeReceipt, k ed25519.PrivateKey) (*wire.SignedWipeReceipt, error) {
		if len(k) != ed25519.PrivateKeySize || allZero(k) {
			t.Errorf("signing with a key of %d bytes (all zero: %v)", len(k), allZero(k))
		}
		keys = append(keys, k)
		return orig(r, k)
	}
	t.Cleanup(func() { signWipeReceipt = orig })

	login(t, c, "D1")
	c.Wipe(Logout) // signed with the session's identity
	c.Wipe(Logout) // no session: signed with an identity loaded for it
	c.WaitBackground()
	if len(keys) != 2 {
		t.Fatalf("%d receipts signed, want 2", len(keys))
	}
	for i, k := range keys {
		if !allZero(k) {
			t.Errorf("receipt %d: the copy of the private key was not zeroed", i+1)
		}
	}
	if n := len(wipeRecords(t, ts)); n != 2 {
		t.Fatalf("the station recorded %d wipes, want 2 (the receipts must still verify)", n)
	}
}

// switchable is a keyring backend that a test can swap mid-session.
type switchable struct {
	mu sync.Mutex
	b  keystore.Backend
}

func (s *switchable) get() keystore.Backend  { s.mu.Lock(); defer s.mu.Unlock(); return s.b }
func (s *switchable) set(b keystore.Backend) { s.mu.Lock(); s.b = b; s.mu.Unlock() }
func (s *switchable) Set(service, user, value string) error {
	return s.get().Set(service, user, value)
}
func (s *switchable) Get(service, user string) (string, error) { return s.get().Get(service, user) }
func (s *switchable) Delete(service, user string) error        { return s.get().Delete(service, user) }

// TestWipeWithAHungKeyring: a keyring that stops answering (a locked
// keyring waiting on its unlock prompt) delays the lock event by at most
// the wipe's keyring limit, and the deletions still happen once it answers.
func TestWipeWithAHungKeyring(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	mem := keystoretest.NewMemory()
	sw := &switchable{b: mem}
	keys := memKeyring(t, sw)
	c, evs, doc := openSession(t, ts, clientOpts{keys: keys})
	pdf := doc.PDF
	hung := keystoretest.NewHung(mem)
	sw.set(hung)
	start := time.Now()
	c.Wipe(Logout)
	ev := evs.wait(t, 5*time.Second)
	d := time.Since(start)
	t.Logf("lock event %v after the wipe began with a hung keyring: %q", d.Round(time.Millisecond), ev.Failures)
	if d > wipeKeyringTimeout+time.Second {
		t.Fatalf("the lock waited %v for the keyring", d)
	}
	if len(ev.Failures) == 0 || !strings.Contains(strings.Join(ev.Failures, " "), "keyring") {
		t.Fatalf("failures %q do not name the keyring", ev.Failures)
	}
	if !allZero(pdf) || len(dirEntries(t, c.opts.CacheDir)) != 0 {
		t.Fatal("the rest of the wipe waited for the keyring")
	}
	if v, err := mem.Get(keys.Service(), keyToken); err != nil || v == "" {
		t.Fatalf("the session token is not where this test looks for it: %v", err)
	}
	// The keyring answers again: the late deletion runs.
	hung.Release()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := mem.Get(keys.Service(), keyToken)
		if err != nil && v == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session token was never deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sw.set(mem)
	c.WaitBackground()
}

// TestBackgroundCallsDoNotHoldOffTheIdleLock: API calls (such as a GUI's
// periodic refresh) are not user activity.
func TestBackgroundCallsDoNotHoldOffTheIdleLock(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c, evs, _ := openSession(t, ts, clientOpts{idle: 500 * time.Millisecond})
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				c.Cases(context.Background())
			}
		}
	}()
	defer close(stop)
	if ev := evs.wait(t, 3*time.Second); ev.Reason != Idle {
		t.Fatalf("event %+v", ev)
	}
}

// TestLockAfterSleep: while a laptop sleeps the monotonic clock stops, so
// the idle lock and the session expiry follow the wall clock. The test
// moves the wall-clock record of the last activity back, as a long sleep
// would, and the lock follows within a poll.
func TestLockAfterSleep(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	c, evs, _ := openSession(t, ts, clientOpts{idle: 30 * time.Minute})
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	s.lastTouch.Store(time.Now().Add(-2 * time.Hour).UnixNano())
	start := time.Now()
	ev := evs.wait(t, 3*time.Second)
	if ev.Reason != Idle {
		t.Fatalf("event %+v", ev)
	}
	t.Logf("locked %v after the jump", time.Since(start).Round(time.Millisecond))
}

func TestSessionExpiryFollowsTheWallClock(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	var offset atomic.Int64
	keys := memKeyring(t, nil)
	c, err := New(Options{Keyring: keys, StateDir: filepath.Join(t.TempDir(), "s"), CacheDir: filepath.Join(t.TempDir(), "c"),
		Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(5 * time.Second) })
	evs := subscribe(c)
	enroll(t, c, ts, "D1")
	login(t, c, "D1")
	offset.Store(int64(13 * time.Hour)) // slept past the 12-hour limit
	if ev := evs.wait(t, 3*time.Second); ev.Reason != SessionExpired {
		t.Fatalf("event %+v", ev)
	}
}

// TestWipeLeavesForeignFilesInTheCacheFolder: a cache folder set to a
// shared place loses only the client's own files.
func TestWipeLeavesForeignFilesInTheCacheFolder(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	cache := t.TempDir()
	foreign := filepath.Join(cache, "someone-elses.txt")
	if err := os.WriteFile(foreign, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, _ := openSession(t, ts, clientOpts{cache: cache})
	if len(dirEntries(t, cache)) != 2 {
		t.Fatalf("cache folder: %v", dirEntries(t, cache))
	}
	c.Wipe(Logout)
	if got := dirEntries(t, cache); len(got) != 1 || got[0] != "someone-elses.txt" {
		t.Fatalf("cache folder after the wipe: %v", got)
	}
}
