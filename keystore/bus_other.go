//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package keystore

// sessionBusCheck is needed only where go-keyring uses D-Bus.
func sessionBusCheck() error { return nil }
