//go:build linux

package netguard

import (
	"context"
	"time"

	"github.com/vishvananda/netlink"
)

// watchChanges subscribes to netlink link, address and route events of the
// current network namespace and sends one value per event (dropping events
// while the receiver is busy: one pending value is enough to trigger a
// check). If netlink is not available it falls back to polling.
func watchChanges(ctx context.Context, poll time.Duration) (<-chan struct{}, error) {
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	links := make(chan netlink.LinkUpdate, 64)
	addrs := make(chan netlink.AddrUpdate, 64)
	routes := make(chan netlink.RouteUpdate, 64)
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{}); err != nil {
		close(done)
		return watchPoll(ctx, poll), nil
	}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{}); err != nil {
		close(done)
		return watchPoll(ctx, poll), nil
	}
	if err := netlink.RouteSubscribeWithOptions(routes, done, netlink.RouteSubscribeOptions{}); err != nil {
		close(done)
		return watchPoll(ctx, poll), nil
	}
	go func() {
		defer close(done)
		for links != nil || addrs != nil || routes != nil {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-links:
				if !ok {
					links = nil
					continue
				}
			case _, ok := <-addrs:
				if !ok {
					addrs = nil
					continue
				}
			case _, ok := <-routes:
				if !ok {
					routes = nil
					continue
				}
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
		// Every subscription failed: keep watching by polling.
		p := watchPoll(ctx, poll)
		for range p {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, nil
}
