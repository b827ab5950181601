package beacon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// DefaultQueryTimeout bounds Query when ctx has no deadline.
const DefaultQueryTimeout = 2 * time.Second

// Query sends one request with a fresh nonce for deviceID to the beacon at
// addr ("host:port", UDP) and returns the first well-formed answer that comes
// back from that address, together with the nonce it sent. It does not check
// the answer: pass both to Verify. Datagrams that are not well-formed answers
// are ignored. Query waits until ctx is done, or DefaultQueryTimeout when ctx
// has no deadline; getting nothing in time returns an error wrapping
// ErrNoAnswer.
func Query(ctx context.Context, addr, deviceID string) (answer []byte, nonce Nonce, err error) {
	nonce = NewNonce()
	req, err := MarshalRequest(nonce, deviceID)
	if err != nil {
		return nil, nonce, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, nonce, fmt.Errorf("%w: dial %s: %v", ErrNoAnswer, addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(contextDeadline(ctx, DefaultQueryTimeout)); err != nil {
		return nil, nonce, fmt.Errorf("%w: %v", ErrNoAnswer, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(req); err != nil {
		return nil, nonce, fmt.Errorf("%w: send to %s: %v", ErrNoAnswer, addr, err)
	}
	buf := make([]byte, MaxAnswerSize+1)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, nonce, fmt.Errorf("%w from %s in time", ErrNoAnswer, addr)
			}
			return nil, nonce, fmt.Errorf("%w: read from %s: %v", ErrNoAnswer, addr, err)
		}
		if _, _, _, perr := parseAnswer(buf[:n]); perr != nil {
			continue
		}
		return append([]byte(nil), buf[:n]...), nonce, nil
	}
}
