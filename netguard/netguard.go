// Package netguard watches that a Case Viewer laptop is still inside the
// station network, and says so the moment it is not.
//
// A [Guard] sends a beacon request with a fresh nonce to the station's beacon
// every [Config.Interval] (3 s by default, counted from the start of one
// check to the start of the next) and checks the signed answer with
// [beacon.Verify]: the pinned station key, the nonce it sent, its own device
// ID, and a station time close to its own. No answer, or any answer that
// fails a check, counts as a miss. After [Config.Misses] misses in a row (2
// by default) the laptop has left the station network: the Guard calls
// [Config.OnLeft] once and stops. Nothing resets that verdict but a new
// Guard (which the client starts at the next login).
//
// Any change of network interfaces, addresses or routes starts a check at
// once, followed by quick re-checks with a short timeout until the station
// answers or the misses are reached, so that unplugging or switching networks
// is noticed in well under a second. On Linux changes come from netlink
// (github.com/vishvananda/netlink: link, address and route events); on
// other systems the interface list and addresses are polled every
// [Config.PollInterval] (routes are not seen there).
//
// When [Config.Subnets] is set, the local address the laptop uses to reach
// the beacon must lie in one of them: an address outside them is absence at
// once (one check, no further misses needed).
package netguard

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"caseviewer/beacon"
)

// Defaults of Config.
const (
	DefaultInterval       = 3 * time.Second
	DefaultMisses         = 2
	DefaultMaxSkew        = 2 * time.Minute
	DefaultChangeTimeout  = 300 * time.Millisecond
	DefaultPollInterval   = time.Second
	maxDefaultTimeout     = time.Second
	minInterval           = 10 * time.Millisecond
	changeDebounce        = 5 * time.Millisecond
	maxConsecutiveRecheck = 16
)

// Errors a Guard reports as the reason it judged the station absent.
var (
	// ErrOutsideSubnets means the laptop reaches the beacon from an address
	// outside the configured station subnets.
	ErrOutsideSubnets = errors.New("netguard: local address outside the station subnets")
	// ErrLeftNetwork wraps the last check's error when the misses are reached.
	ErrLeftNetwork = errors.New("netguard: left the station network")
	// ErrBadConfig means the Config lacks something the Guard needs.
	ErrBadConfig = errors.New("netguard: bad configuration")
)

// Config configures a Guard.
type Config struct {
	// BeaconAddr is the station beacon's UDP address (host:port).
	BeaconAddr string
	// StationID and StationKey are the station's ID and Ed25519 public key
	// pinned at enrollment.
	StationID  string
	StationKey ed25519.PublicKey
	// DeviceID is this laptop's enrolled device ID.
	DeviceID string
	// Interval is the time between regular checks (DefaultInterval if zero).
	Interval time.Duration
	// Misses is how many failed checks in a row mean "left" (DefaultMisses
	// if zero).
	Misses int
	// Timeout bounds one regular check (if zero: Interval/2, at most 1 s).
	Timeout time.Duration
	// ChangeTimeout bounds the checks that follow a network change
	// (DefaultChangeTimeout if zero).
	ChangeTimeout time.Duration
	// MaxSkew is the largest accepted difference between the station's
	// clock and ours (DefaultMaxSkew if zero).
	MaxSkew time.Duration
	// Subnets, if not empty, are the station networks: reaching the beacon
	// from a local address outside them is absence at once.
	Subnets []netip.Prefix
	// PollInterval is how often interfaces are polled where netlink is not
	// available (DefaultPollInterval if zero).
	PollInterval time.Duration
	// OnLeft is called once, from the Guard's goroutine, when the laptop has
	// left the station network. err wraps ErrLeftNetwork and the last
	// check's error (or is ErrOutsideSubnets).
	OnLeft func(err error)
	// OnCheck, if set, is called after every check with its result (nil
	// means the station answered correctly).
	OnCheck func(err error)
	// Changes, if set, replaces the operating system's change watch (tests).
	Changes <-chan struct{}
	// Now replaces time.Now for the skew check.
	Now func() time.Time
}

// Guard is a running network guard. Stop it with Stop.
type Guard struct {
	cfg     Config
	cancel  context.CancelFunc
	done    chan struct{}
	trigger chan struct{}

	inOnLeft atomic.Bool

	mu     sync.Mutex
	misses int
	last   error
	left   bool
}

func (c *Config) fill() error {
	if c.BeaconAddr == "" || c.DeviceID == "" || c.StationID == "" || len(c.StationKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: beacon address, station ID, station key and device ID are required", ErrBadConfig)
	}
	if c.OnLeft == nil {
		return fmt.Errorf("%w: OnLeft is required", ErrBadConfig)
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Interval < minInterval {
		c.Interval = minInterval
	}
	if c.Misses <= 0 {
		c.Misses = DefaultMisses
	}
	if c.Timeout <= 0 {
		c.Timeout = min(c.Interval/2, maxDefaultTimeout)
	}
	if c.Timeout > c.Interval {
		c.Timeout = c.Interval
	}
	if c.ChangeTimeout <= 0 {
		c.ChangeTimeout = DefaultChangeTimeout
	}
	if c.MaxSkew <= 0 {
		c.MaxSkew = DefaultMaxSkew
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Start checks the config, starts watching network changes and starts the
// regular checks; the first check runs at once. ctx bounds the Guard's life
// as Stop does.
func Start(ctx context.Context, cfg Config) (*Guard, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	g := &Guard{cfg: cfg, cancel: cancel, done: make(chan struct{}), trigger: make(chan struct{}, 1)}
	changes := cfg.Changes
	if changes == nil {
		var err error
		changes, err = watchChanges(ctx, cfg.PollInterval)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("netguard: watch network changes: %w", err)
		}
	}
	go g.run(ctx, changes)
	return g, nil
}

// Stop stops the Guard and waits for its goroutine to end. It does not call
// OnLeft. Stop may be called more than once, also from OnLeft.
func (g *Guard) Stop() {
	g.cancel()
	select {
	case <-g.done:
	default:
		// From inside OnLeft the Guard's goroutine is about to end: do not
		// wait for it (that would deadlock).
		if !g.inOnLeft.Load() {
			<-g.done
		}
	}
}

// CheckNow asks for an immediate check, as a network change does.
func (g *Guard) CheckNow() {
	select {
	case g.trigger <- struct{}{}:
	default:
	}
}

// Status returns the current count of misses in a row, the last check's
// error and whether the Guard has judged the laptop gone.
func (g *Guard) Status() (misses int, last error, left bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.misses, g.last, g.left
}

// Done is closed when the Guard has stopped (after Stop or after OnLeft).
func (g *Guard) Done() <-chan struct{} { return g.done }

func (g *Guard) run(ctx context.Context, changes <-chan struct{}) {
	defer close(g.done)
	timer := time.NewTimer(0) // first check at once
	defer timer.Stop()
	for {
		fast := false
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case _, ok := <-changes:
			if !ok {
				changes = nil // the watch ended; regular checks go on
				continue
			}
			fast = true
			// Coalesce a burst of events (a link change brings address and
			// route events with it).
			drain(changes, changeDebounce)
		case <-g.trigger:
			fast = true
		}
		// Regular checks start every Interval from the start of the last
		// one, whatever the check took, so silence is noticed within
		// Misses x Interval + Timeout (and Timeout is at most Interval/2,
		// 1 s by default).
		started := time.Now()
		if fast {
			// Re-check quickly until the station answers or we give up.
			for i := 0; i < maxConsecutiveRecheck; i++ {
				ok, gone := g.check(ctx, g.cfg.ChangeTimeout)
				if ok || gone || ctx.Err() != nil {
					break
				}
			}
		} else {
			g.check(ctx, g.cfg.Timeout)
		}
		g.mu.Lock()
		gone := g.left
		g.mu.Unlock()
		if gone {
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		next := g.cfg.Interval
		if !fast {
			next = max(0, time.Until(started.Add(g.cfg.Interval)))
		}
		timer.Reset(next)
	}
}

// drain reads events from ch for up to d.
func drain(ch <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}

// check runs one check and returns whether the station answered and whether
// the Guard has now judged it gone (and called OnLeft).
func (g *Guard) check(ctx context.Context, timeout time.Duration) (ok, gone bool) {
	err, immediate := g.probe(ctx, timeout)
	if ctx.Err() != nil {
		return false, false // stopped: no verdict
	}
	if g.cfg.OnCheck != nil {
		g.cfg.OnCheck(err)
	}
	g.mu.Lock()
	g.last = err
	if err == nil {
		g.misses = 0
		g.mu.Unlock()
		return true, false
	}
	g.misses++
	if immediate {
		g.misses = max(g.misses, g.cfg.Misses)
	}
	if g.misses < g.cfg.Misses || g.left {
		g.mu.Unlock()
		return false, false
	}
	g.left = true
	g.mu.Unlock()
	verdict := err
	if !errors.Is(err, ErrOutsideSubnets) {
		verdict = fmt.Errorf("%w after %d failed checks: %w", ErrLeftNetwork, g.cfg.Misses, err)
	}
	g.inOnLeft.Store(true)
	g.cfg.OnLeft(verdict)
	g.inOnLeft.Store(false)
	return false, true
}

// probe sends one beacon request and verifies the answer. immediate reports
// an error that means absence at once (outside the subnets).
func (g *Guard) probe(ctx context.Context, timeout time.Duration) (err error, immediate bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if len(g.cfg.Subnets) > 0 {
		local, err := localAddrFor(ctx, g.cfg.BeaconAddr)
		if err != nil {
			return fmt.Errorf("netguard: no route to the beacon: %w", err), false
		}
		if !inSubnets(local, g.cfg.Subnets) {
			return fmt.Errorf("%w: %s", ErrOutsideSubnets, local), true
		}
	}
	answer, nonce, err := beacon.Query(ctx, g.cfg.BeaconAddr, g.cfg.DeviceID)
	if err != nil {
		return err, false
	}
	return beacon.Verify(answer, nonce, g.cfg.DeviceID, g.cfg.StationID, g.cfg.StationKey, g.cfg.Now(), g.cfg.MaxSkew), false
}

// localAddrFor returns the local address the system would use to reach addr
// (a UDP "connect" sends nothing).
func localAddrFor(ctx context.Context, addr string) (netip.Addr, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("unexpected local address %v", c.LocalAddr())
	}
	return ua.AddrPort().Addr().Unmap(), nil
}

func inSubnets(a netip.Addr, subnets []netip.Prefix) bool {
	for _, p := range subnets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
