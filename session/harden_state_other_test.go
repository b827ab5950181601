//go:build !linux

package session

func hardenState() (core uint64, dumpable int, err error) { return 0, 1, nil }
