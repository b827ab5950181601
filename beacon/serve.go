package beacon

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Rate limits of Serve. A source (an IP address) may send PerSourceBurst
// requests at once and PerSourceRate per second after that; all sources
// together get GlobalRate answers per second (with an equal burst), which
// bounds the signing work a flood of spoofed sources can cause.
const (
	PerSourceRate  = 20
	PerSourceBurst = 40
	GlobalRate     = 2000
	// maxSources bounds the memory of the per-source table.
	maxSources = 8192
)

// Serve answers beacon requests on conn until ctx is done, when it returns
// nil, or until reading from conn fails, when it returns that error. It
// answers only well-formed requests (silently dropping everything else),
// never sends an answer larger than the request, and rate-limits per source
// address. now gives the station time put in answers; nil means time.Now.
//
// Serve does not close conn.
func Serve(ctx context.Context, conn net.PacketConn, stationID string, key ed25519.PrivateKey, now func() time.Time) error {
	if !validID([]byte(stationID)) {
		return fmt.Errorf("%w: station ID %q", ErrInvalidID, stationID)
	}
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("beacon: bad station private key size")
	}
	if now == nil {
		now = time.Now
	}
	stop := context.AfterFunc(ctx, func() {
		// Wake up the blocked ReadFrom.
		_ = conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()

	lim := newLimiter()
	buf := make([]byte, RequestSize+1) // one more byte detects oversize datagrams
	for {
		n, addr, err := conn.ReadFrom(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A deadline set by someone else: keep serving.
				_ = conn.SetReadDeadline(time.Time{})
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("beacon: serve: %w", err)
			}
			// Transient errors (for example ICMP-induced ECONNREFUSED on
			// some platforms) must not stop the beacon.
			if isTransient(err) {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("beacon: serve: %w", err)
		}
		req, err := ParseRequest(buf[:n])
		if err != nil {
			continue
		}
		if !lim.allow(sourceKey(addr), time.Now()) {
			continue
		}
		ans, err := SignAnswer(Answer{Nonce: req.Nonce, Time: now(), StationID: stationID, DeviceID: req.DeviceID}, key)
		if err != nil || len(ans) > n {
			continue
		}
		_, _ = conn.WriteTo(ans, addr)
	}
}

// isTransient reports whether a read error is worth retrying.
func isTransient(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return !errors.Is(err, net.ErrClosed)
	}
	return false
}

// sourceKey identifies a source by IP address (not port: a client that
// changes its port is still the same source).
func sourceKey(addr net.Addr) string {
	if u, ok := addr.(*net.UDPAddr); ok {
		if ip, ok := netipAddr(u); ok {
			return ip
		}
	}
	if addr == nil {
		return ""
	}
	return addr.String()
}

func netipAddr(u *net.UDPAddr) (string, bool) {
	ap := u.AddrPort()
	if !ap.IsValid() {
		return "", false
	}
	return ap.Addr().Unmap().String(), true
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens += d * rate
		if b.tokens > burst {
			b.tokens = burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limiter holds one bucket per source and one for everything.
type limiter struct {
	mu      sync.Mutex
	global  bucket
	sources map[string]*bucket
}

func newLimiter() *limiter {
	return &limiter{sources: make(map[string]*bucket)}
}

func (l *limiter) allow(src string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.sources[src]
	if !ok {
		if len(l.sources) >= maxSources {
			l.sweep(now)
		}
		b = &bucket{}
		l.sources[src] = b
	}
	if !b.take(now, PerSourceRate, PerSourceBurst) {
		return false
	}
	return l.global.take(now, GlobalRate, GlobalRate)
}

// sweep drops buckets that have refilled (their sources are idle); if that
// frees nothing, it drops them all, which at worst gives each source a fresh
// burst while the global bucket still bounds the total.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(float64(PerSourceBurst) / PerSourceRate * float64(time.Second))
	for k, b := range l.sources {
		if now.Sub(b.last) > full {
			delete(l.sources, k)
		}
	}
	if len(l.sources) >= maxSources {
		clear(l.sources)
	}
}
