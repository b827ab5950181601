//go:build !linux

package netguard

import (
	"context"
	"time"
)

// watchChanges polls the interfaces where netlink does not exist.
func watchChanges(ctx context.Context, poll time.Duration) (<-chan struct{}, error) {
	return watchPoll(ctx, poll), nil
}
