package session

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"caseviewer/beacon"
	"caseviewer/wire"
)

// enrollmentFile is the name of the enrollment state in the state folder.
const enrollmentFile = "enrollment.json"

// maxEnrollmentFile caps the enrollment file read from disk.
const maxEnrollmentFile = 64 << 10

// Enrollment is what this laptop pins about its station, kept in the state
// folder as JSON. It holds no secrets: the device's private keys live in the
// keyring.
type Enrollment struct {
	// Version is the file format version (1).
	Version int `json:"version"`
	// StationURL is the station API's base URL ("https://host:port").
	StationURL string `json:"station_url"`
	// StationID and StationName identify the station.
	StationID   string `json:"station_id"`
	StationName string `json:"station_name,omitempty"`
	// StationKey is the station's Ed25519 signing key.
	StationKey []byte `json:"station_key"`
	// CACert is the station CA certificate (DER): the only root trusted for
	// the station's TLS.
	CACert []byte `json:"ca_cert"`
	// BeaconAddr is the station beacon (UDP host:port).
	BeaconAddr string `json:"beacon_addr"`
	// DeviceID is the ID the station enrolled this laptop under.
	DeviceID string `json:"device_id"`
	// OfficerID is the officer whose token enrolled the laptop.
	OfficerID string `json:"officer_id"`
	// EnrolledAt is when enrollment finished.
	EnrolledAt time.Time `json:"enrolled_at"`
}

// validate checks an Enrollment read from disk.
func (e *Enrollment) validate() error {
	switch {
	case e.Version != 1:
		return fmt.Errorf("enrollment version %d", e.Version)
	case len(e.StationKey) != ed25519.PublicKeySize:
		return errors.New("enrollment: bad station key")
	case e.StationID == "" || len(e.StationID) > wire.MaxIDLen:
		return errors.New("enrollment: bad station ID")
	case e.DeviceID == "" || len(e.DeviceID) > beacon.MaxIDLen:
		return errors.New("enrollment: bad device ID")
	case e.StationURL == "":
		return errors.New("enrollment: no station URL")
	}
	if _, err := x509.ParseCertificate(e.CACert); err != nil {
		return fmt.Errorf("enrollment: CA certificate: %w", err)
	}
	return nil
}

// loadEnrollment reads the enrollment file; a missing file gives
// ErrNotEnrolled.
func loadEnrollment(dir string) (*Enrollment, error) {
	f, err := os.Open(filepath.Join(dir, enrollmentFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("session: read enrollment: %w", err)
	}
	defer f.Close()
	var e Enrollment
	if err := wire.Decode(f, &e, maxEnrollmentFile); err != nil {
		return nil, fmt.Errorf("session: enrollment file is damaged (enroll again): %w", err)
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("session: enrollment file is damaged (enroll again): %w", err)
	}
	return &e, nil
}

// saveEnrollment writes the enrollment file atomically.
func saveEnrollment(dir string, e *Enrollment) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(dir, enrollmentFile, append(b, '\n'))
}

// writeFileAtomic writes name in dir through a temporary file in the same
// folder, synced before it is renamed over the old file.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("session: create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("session: write %s: %w", name, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the rename durable
		d.Close()
	}
	return nil
}
