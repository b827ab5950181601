package keystore

import (
	"context"
	"testing"
	"time"
)

func TestGiveUpAt(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		limit    time.Duration
		deadline time.Duration // caller's, after start; 0: none
		want     time.Duration // after start
	}{
		{"default limit", DefaultTimeout, 0, DefaultTimeout - maxEarly},
		{"short limit", 150 * time.Millisecond, 0, 150*time.Millisecond - 7500*time.Microsecond},
		{"caller's deadline first", time.Second, 10 * time.Millisecond, 9500 * time.Microsecond},
		{"caller's deadline later", time.Second, time.Hour, time.Second - maxEarly},
		{"caller's deadline passed", time.Second, -time.Millisecond, -time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.deadline != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tc.deadline))
				defer cancel()
			}
			if got := giveUpAt(ctx, start, tc.limit).Sub(start); got != tc.want {
				t.Fatalf("gives up %v after the start, want %v", got, tc.want)
			}
		})
	}
}
