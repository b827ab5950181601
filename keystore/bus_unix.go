//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keystore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// sessionBusCheck refuses to reach the Secret Service when no D-Bus session
// bus is configured. godbus would otherwise run dbus-launch, starting a bus
// (and, through it, a keyring daemon) that outlives the app and holds no
// unlocked keyring. It looks where godbus looks: DBUS_SESSION_BUS_ADDRESS,
// then /run/user/UID/bus and /run/user/UID/dbus-session.
func sessionBusCheck() error {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	dir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset); not auto-launching one", ErrKeyringUnavailable)
}
