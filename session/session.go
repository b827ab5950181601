package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"caseviewer/beacon"
	"caseviewer/keystore"
	"caseviewer/netguard"
	"caseviewer/wire"
)

// Idle-lock limits.
const (
	// MaxIdleTimeout is the longest idle time before the session locks
	// (CJIS AC-11): larger settings are clamped to it.
	MaxIdleTimeout = 30 * time.Minute
	// DefaultIdleTimeout is used when Options.IdleTimeout is zero.
	DefaultIdleTimeout = 15 * time.Minute
	// keepaliveEvery is how often activity is reported to the station, so
	// that its own idle limit follows the officer's activity.
	keepaliveEvery = 5 * time.Minute
	// wipeKeyringTimeout bounds the keyring part of a wipe.
	wipeKeyringTimeout = time.Second
	// backgroundTimeout bounds the station calls that follow a wipe.
	backgroundTimeout = 5 * time.Second
	// requestTimeout bounds API calls whose context has no deadline.
	requestTimeout = 30 * time.Second
)

// Keyring names the client writes (besides the device identity).
const (
	keyToken    = "session/token"
	keyCacheKey = "cache/key"
)

// ErrOffNetwork means the station beacon did not answer correctly at login:
// the laptop is not on the station network.
var ErrOffNetwork = errors.New("session: not on the station network (the station beacon did not answer)")

// GuardOptions tunes the network guard that runs during a session.
type GuardOptions struct {
	// Interval is the time between beacon checks (netguard default: 3 s).
	Interval time.Duration
	// Misses is how many failed checks in a row mean the laptop left the
	// station network (netguard default: 2).
	Misses int
	// Subnets, if set, are the station networks; reaching the beacon from
	// an address outside them is absence at once.
	Subnets []netip.Prefix
	// BeaconAddr overrides the beacon address pinned at enrollment.
	BeaconAddr string
}

// Options configures a Client.
type Options struct {
	// Keyring is the keystore holding the device identity and session
	// secrets. Required.
	Keyring *keystore.Store
	// StateDir holds the enrollment file and the queue of unsent wipe
	// receipts (no secrets, no case data). Default: DefaultStateDir().
	StateDir string
	// CacheDir holds the ciphertext cache (re-encrypted under a key that
	// lives in the keyring). Default: DefaultCacheDir().
	CacheDir string
	// DeviceName is sent at enrollment (default: the host name).
	DeviceName string
	// IdleTimeout locks the session after this long without Touch or API
	// calls; zero means DefaultIdleTimeout, larger than MaxIdleTimeout
	// means MaxIdleTimeout.
	IdleTimeout time.Duration
	// Guard tunes the network guard.
	Guard GuardOptions
	// Now replaces time.Now (grant validity, receipts).
	Now func() time.Time
}

// DefaultStateDir is the app's state folder: caseviewer under the user's
// configuration folder (XDG_CONFIG_HOME on Linux).
func DefaultStateDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "caseviewer"), nil
}

// DefaultCacheDir is the ciphertext cache folder: caseviewer under the
// user's cache folder (XDG_CACHE_HOME on Linux).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "caseviewer"), nil
}

// PageWiper is anything that holds rendered pages the wipe must zero, such
// as the viewer's engine.
type PageWiper interface{ Wipe() }

// Officer is the logged-in officer.
type Officer = wire.Officer

// LoginInfo describes a new session.
type LoginInfo struct {
	// Officer is who logged in.
	Officer Officer
	// SessionCode is the short code the watermark shows; it leads to the
	// session's audit records.
	SessionCode string
	// ExpiresAt is the session's absolute end.
	ExpiresAt time.Time
	// IdleTimeout is the idle lock in force.
	IdleTimeout time.Duration
}

// Client is the laptop's side of Case Viewer without any GUI: enrollment,
// login, case and document access, the idle lock, the network guard and
// the wipe. Its methods are safe for concurrent use.
type Client struct {
	opts Options
	keys *keystore.Store

	mu      sync.Mutex
	enr     *Enrollment
	sc      *stationClient
	pending map[string]*Discovery
	sess    *live
	gen     uint64
	subs    map[int]func(LockEvent)
	nextSub int
	wipers  []PageWiper
	lastCP  []byte // latest verified audit checkpoint note

	wipeMu  sync.Mutex // one wipe at a time
	queueMu sync.Mutex // the receipt queue file
	bg      sync.WaitGroup
}

// live is the state of one logged-in session.
type live struct {
	gen       uint64
	officer   Officer
	token     string
	code      string
	expiresAt time.Time
	idle      time.Duration
	identity  *keystore.DeviceIdentity
	cacheKey  []byte
	ctx       context.Context
	cancel    context.CancelFunc
	guard     *netguard.Guard

	mu          sync.Mutex
	docs        []*Document
	lastTouch   atomic.Int64 // unix ns
	lastContact atomic.Int64 // unix ns
}

// New returns a Client. It reads the enrollment file if there is one.
func New(opts Options) (*Client, error) {
	if opts.Keyring == nil {
		return nil, errors.New("session: Options.Keyring is required")
	}
	var err error
	if opts.StateDir == "" {
		if opts.StateDir, err = DefaultStateDir(); err != nil {
			return nil, fmt.Errorf("session: state folder: %w", err)
		}
	}
	if opts.CacheDir == "" {
		if opts.CacheDir, err = DefaultCacheDir(); err != nil {
			return nil, fmt.Errorf("session: cache folder: %w", err)
		}
	}
	if opts.DeviceName == "" {
		opts.DeviceName, _ = os.Hostname()
		if opts.DeviceName == "" {
			opts.DeviceName = "laptop"
		}
	}
	opts.IdleTimeout = ClampIdle(opts.IdleTimeout)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{opts: opts, keys: opts.Keyring, pending: map[string]*Discovery{}, subs: map[int]func(LockEvent){}}
	enr, err := loadEnrollment(opts.StateDir)
	switch {
	case err == nil:
		sc, err := newPinnedClient(enr.StationURL, enr.CACert)
		if err != nil {
			return nil, err
		}
		c.enr, c.sc = enr, sc
	case errors.Is(err, ErrNotEnrolled):
	default:
		return nil, err
	}
	return c, nil
}

// ClampIdle returns the idle timeout in force for d: DefaultIdleTimeout for
// zero or less, MaxIdleTimeout for anything above it.
func ClampIdle(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return DefaultIdleTimeout
	case d > MaxIdleTimeout:
		return MaxIdleTimeout
	}
	return d
}

// Enrolled reports whether this laptop has an enrollment.
func (c *Client) Enrolled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enr != nil
}

// Enrollment returns a copy of the pinned enrollment, or nil.
func (c *Client) Enrollment() *Enrollment {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enr == nil {
		return nil
	}
	e := *c.enr
	return &e
}

// LoggedIn reports whether a session is active.
func (c *Client) LoggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

// Subscribe registers fn to be called after every wipe with the lock event.
// fn runs on the goroutine that wiped; it must not block for long. The
// returned function removes the subscription.
func (c *Client) Subscribe(fn func(LockEvent)) (unsubscribe func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// RegisterPageWiper registers w to be wiped by every wipe (rendered pages).
func (c *Client) RegisterPageWiper(w PageWiper) {
	if w == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wipers = append(c.wipers, w)
}

// Touch records user activity: it restarts the idle lock, and now and then
// tells the station that the officer is active.
func (c *Client) Touch() {
	c.mu.Lock()
	s, sc := c.sess, c.sc
	c.mu.Unlock()
	if s == nil {
		return
	}
	now := time.Now()
	s.lastTouch.Store(now.UnixNano())
	if now.Sub(time.Unix(0, s.lastContact.Load())) > keepaliveEvery {
		s.lastContact.Store(now.UnixNano())
		c.bg.Add(1)
		go func() {
			defer c.bg.Done()
			ctx, cancel := context.WithTimeout(s.ctx, backgroundTimeout)
			defer cancel()
			var info wire.SessionInfo
			c.sessionCall(ctx, s, sc, "GET", wire.PathSession, nil, &info)
		}()
	}
}

// current returns the live session and the station client, or
// ErrNotLoggedIn.
func (c *Client) current() (*live, *stationClient, *Enrollment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil, nil, nil, ErrNotLoggedIn
	}
	return c.sess, c.sc, c.enr, nil
}

// call makes an authenticated API call in the current session.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	s, sc, _, err := c.current()
	if err != nil {
		return err
	}
	return c.sessionCall(ctx, s, sc, method, path, in, out)
}

// sessionCall makes an API call with s's token and reacts to answers that
// end the session: a revoked device or an ended session wipe at once.
func (c *Client) sessionCall(ctx context.Context, s *live, sc *stationClient, method, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	err := sc.do(ctx, method, path, s.token, in, out)
	c.afterCall(s, err)
	return err
}

// afterCall records station contact and wipes when the station says the
// device is revoked or the session is over. API calls are not user
// activity: the GUI's background refreshes must not hold off the idle lock
// (only Touch does).
func (c *Client) afterCall(s *live, err error) {
	if err == nil {
		s.lastContact.Store(time.Now().UnixNano())
		return
	}
	switch {
	case errors.Is(err, ErrDeviceRevoked):
		c.trigger(s.gen, DeviceRevoked)
	case errors.Is(err, ErrSessionExpired):
		c.trigger(s.gen, SessionExpired)
	}
}

// trigger wipes for reason if session gen is still the active one (a timer
// or guard of an ended session does nothing).
func (c *Client) trigger(gen uint64, reason LockReason) {
	c.mu.Lock()
	active := c.sess != nil && c.sess.gen == gen
	c.mu.Unlock()
	if active {
		c.wipeSession(gen, reason)
	}
}

// Login starts a session: it checks that the laptop is on the station
// network (beacon), signs a fresh station challenge with the device key and
// sends it with the officer ID and password. The password slice is not kept
// (the caller may zero it). On success the session token goes to the
// keyring, the idle lock and session expiry are armed and the network guard
// starts; receipts of earlier wipes are sent.
func (c *Client) Login(ctx context.Context, officerID string, password []byte) (*LoginInfo, error) {
	c.mu.Lock()
	enr, sc := c.enr, c.sc
	busy := c.sess != nil
	c.mu.Unlock()
	if enr == nil {
		return nil, ErrNotEnrolled
	}
	if busy {
		return nil, ErrAlreadyLoggedIn
	}
	if len(password) < wire.MinPasswordLen || len(password) > wire.MaxPasswordLen {
		return nil, fmt.Errorf("%w: passwords have %d to %d characters", ErrWrongPassword, wire.MinPasswordLen, wire.MaxPasswordLen)
	}
	if officerID == "" || len(officerID) > wire.MaxIDLen {
		return nil, ErrWrongPassword
	}
	id, err := c.keys.LoadIdentity(ctx)
	if err != nil {
		if errors.Is(err, keystore.ErrNotFound) {
			return nil, fmt.Errorf("%w: the device key is missing from the keyring", ErrNotEnrolled)
		}
		return nil, keyringErr(err)
	}
	ok := false
	defer func() {
		if !ok {
			id.Zero()
		}
	}()
	// A session that ended without a wipe (a crash) is wiped now.
	if err := c.cleanLeftovers(ctx); err != nil {
		return nil, err
	}
	beaconAddr := enr.BeaconAddr
	if c.opts.Guard.BeaconAddr != "" {
		beaconAddr = c.opts.Guard.BeaconAddr
	}
	if beaconAddr == "" {
		return nil, fmt.Errorf("%w: the station announced no beacon", ErrOffNetwork)
	}
	if err := c.beaconCheck(ctx, beaconAddr, enr); err != nil {
		return nil, err
	}

	var ch wire.ChallengeResponse
	if err := sc.do(ctx, "POST", wire.PathChallenge, "", wire.ChallengeRequest{DeviceID: enr.DeviceID}, &ch); err != nil {
		if errors.Is(err, ErrDeviceRevoked) {
			c.Wipe(DeviceRevoked)
		}
		return nil, err
	}
	sig := id.Sign(wire.LoginMessage(enr.StationID, ch.ChallengeID, ch.Challenge, enr.DeviceID, officerID))
	var resp wire.LoginResponse
	err = sc.do(ctx, "POST", wire.PathLogin, "", wire.LoginRequest{
		OfficerID: officerID, Password: string(password), DeviceID: enr.DeviceID, ChallengeID: ch.ChallengeID, Signature: sig,
	}, &resp)
	if err != nil {
		if errors.Is(err, ErrDeviceRevoked) {
			c.Wipe(DeviceRevoked)
		}
		return nil, err
	}
	if resp.SessionToken == "" || len(resp.SessionToken) > wire.MaxTokenLen || resp.Officer.ID != officerID {
		return nil, fmt.Errorf("%w: malformed login answer", ErrStation)
	}
	// Session secrets go to the keyring only; if it fails, end the
	// station session and fail closed.
	endStation := func() {
		lctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
		defer cancel()
		sc.do(lctx, "POST", wire.PathLogout, resp.SessionToken, nil, nil)
	}
	if err := c.keys.Put(ctx, keyToken, []byte(resp.SessionToken)); err != nil {
		endStation()
		return nil, keyringErr(err)
	}
	cacheKey := make([]byte, cacheKeySize)
	rand.Read(cacheKey)
	keystore.LockMemory(cacheKey) // best effort: RLIMIT_MEMLOCK may refuse
	dropCacheKey := func() {
		keystore.Zero(cacheKey)
		keystore.UnlockMemory(cacheKey)
	}
	if err := c.keys.Put(ctx, keyCacheKey, cacheKey); err != nil {
		dropCacheKey()
		endStation()
		c.keys.DeleteAllExceptIdentity(context.Background())
		return nil, keyringErr(err)
	}

	idle := c.opts.IdleTimeout
	if st := time.Duration(resp.IdleSeconds) * time.Second; st > 0 && st < idle {
		idle = st
	}
	sctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	if c.sess != nil { // a concurrent Login won
		c.mu.Unlock()
		cancel()
		dropCacheKey()
		endStation()
		return nil, ErrAlreadyLoggedIn
	}
	c.gen++
	s := &live{gen: c.gen, officer: resp.Officer, token: resp.SessionToken, code: resp.SessionCode,
		expiresAt: resp.ExpiresAt, idle: idle, identity: id, cacheKey: cacheKey, ctx: sctx, cancel: cancel}
	now := time.Now().UnixNano()
	s.lastTouch.Store(now)
	s.lastContact.Store(now)
	c.sess = s
	c.mu.Unlock()
	ok = true

	c.armTimers(s)
	g, err := netguard.Start(sctx, netguard.Config{
		BeaconAddr: beaconAddr, StationID: enr.StationID, StationKey: ed25519.PublicKey(enr.StationKey), DeviceID: enr.DeviceID,
		Interval: c.opts.Guard.Interval, Misses: c.opts.Guard.Misses, Subnets: c.opts.Guard.Subnets,
		Now:    c.opts.Now,
		OnLeft: func(error) { c.trigger(s.gen, LeftNetwork) },
	})
	if err != nil {
		c.wipeSession(s.gen, LeftNetwork)
		return nil, fmt.Errorf("session: start the network guard: %w", err)
	}
	s.mu.Lock()
	s.guard = g
	s.mu.Unlock()
	c.mu.Lock()
	stillActive := c.sess == s
	c.mu.Unlock()
	if !stillActive { // wiped while the guard started
		g.Stop()
		return nil, ErrSessionExpired
	}

	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		fctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
		defer cancel()
		c.FlushWipeReceipts(fctx)
	}()
	return &LoginInfo{Officer: resp.Officer, SessionCode: resp.SessionCode, ExpiresAt: resp.ExpiresAt, IdleTimeout: idle}, nil
}

// beaconCheck asks the beacon once (fail closed: no valid answer, no login).
func (c *Client) beaconCheck(ctx context.Context, addr string, enr *Enrollment) error {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ans, nonce, err := beacon.Query(qctx, addr, enr.DeviceID)
	if err == nil {
		err = beacon.Verify(ans, nonce, enr.DeviceID, enr.StationID, ed25519.PublicKey(enr.StationKey), c.opts.Now(), netguard.DefaultMaxSkew)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOffNetwork, err)
	}
	return nil
}

// cleanLeftovers wipes what a session that ended without a wipe left in
// the keyring and the cache.
func (c *Client) cleanLeftovers(ctx context.Context) error {
	names, err := c.keys.List(ctx)
	if err != nil {
		return keyringErr(err)
	}
	if len(names) > 0 {
		if err := c.keys.DeleteAllExceptIdentity(ctx); err != nil {
			return keyringErr(err)
		}
	}
	if err := clearCache(c.opts.CacheDir); err != nil {
		return fmt.Errorf("session: clear the cache: %w", err)
	}
	return nil
}

// keyringErr wraps a keystore failure (unavailable, corrupt, full) so that
// it matches ErrKeyringUnavailable and still the keystore's own sentinel.
func keyringErr(err error) error {
	return fmt.Errorf("%w: %w", ErrKeyringUnavailable, err)
}

// armTimers starts the watch over the idle lock and the absolute expiry.
//
// It polls the wall clock instead of arming long timers: Go's timers run on
// the monotonic clock, which stops while a laptop sleeps, so a timer armed
// for 15 minutes would fire 15 awake minutes later, not 15 minutes later.
// Polling the wall clock locks at once after a resume when the limit has
// passed, and a jump between two polls (a resume) makes the network guard
// check the beacon at once.
func (c *Client) armTimers(s *live) {
	tick := min(time.Second, s.idle/4)
	tick = max(tick, 10*time.Millisecond)
	go func() { // ends with the session (s.ctx)
		t := time.NewTicker(tick)
		defer t.Stop()
		last := time.Now().Round(0) // wall clock only
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
			now := time.Now().Round(0)
			if now.Sub(last) > tick+2*time.Second {
				s.mu.Lock()
				g := s.guard
				s.mu.Unlock()
				if g != nil {
					g.CheckNow() // probably a resume from sleep
				}
			}
			last = now
			if !s.expiresAt.IsZero() && !c.opts.Now().Before(s.expiresAt) {
				c.trigger(s.gen, SessionExpired)
				return
			}
			if now.Sub(time.Unix(0, s.lastTouch.Load())) >= s.idle {
				c.trigger(s.gen, Idle)
				return
			}
		}
	}()
}

// Logout ends the session at the station and wipes. It wipes even when the
// station cannot be reached (the station's session then expires on its
// own).
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		c.Wipe(Logout)
		return nil
	}
	c.wipeSession(s.gen, Logout)
	return nil
}

// Close wipes an active session (reason Shutdown) and waits up to timeout
// for the station calls that follow a wipe.
func (c *Client) Close(timeout time.Duration) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		c.wipeSession(s.gen, Shutdown)
	}
	done := make(chan struct{})
	go func() { c.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	c.mu.Lock()
	if c.sc != nil {
		c.sc.close()
	}
	c.mu.Unlock()
}

// WaitBackground waits for the station calls that follow wipes and logins
// (receipts, logout) to finish; for tests and shutdown.
func (c *Client) WaitBackground() { c.bg.Wait() }

// copyBytes returns a copy of b.
func copyBytes(b []byte) []byte { return slices.Clone(b) }
