package netguard

import (
	"context"
	"net"
	"slices"
	"strings"
	"time"
)

// watchPoll polls the interfaces and their addresses every poll and sends a
// value when anything changed. Routes are not visible this way.
func watchPoll(ctx context.Context, poll time.Duration) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		defer close(out)
		t := time.NewTicker(poll)
		defer t.Stop()
		last := snapshot()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := snapshot()
			if now != last {
				last = now
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// snapshot describes the interfaces, their flags and addresses as one string.
func snapshot() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, i := range ifs {
		b.WriteString(i.Name)
		b.WriteByte(' ')
		b.WriteString(i.Flags.String())
		addrs, _ := i.Addrs()
		s := make([]string, 0, len(addrs))
		for _, a := range addrs {
			s = append(s, a.String())
		}
		slices.Sort(s)
		b.WriteByte(' ')
		b.WriteString(strings.Join(s, ","))
		b.WriteByte(';')
	}
	return b.String()
}
