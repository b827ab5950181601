//go:build !linux

package session

// Harden protects the process before it handles case data. Outside Linux it
// does nothing yet and says so in the report: on macOS and the BSDs core
// dumps are off unless enabled system-wide, on Windows Windows Error
// Reporting may keep crash dumps (disable it by policy for the app), and
// memory locking of secrets is not available through keystore.LockMemory.
func Harden() (HardenReport, error) {
	return HardenReport{Notes: []string{"no process hardening on this operating system: rely on the system's policy for crash dumps and debugging"}}, nil
}
