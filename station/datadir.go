package station

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"caseviewer/audit"
	"caseviewer/beacon"
	"caseviewer/wire"
)

// Files and folders of a station data folder.
const (
	fileDB          = "station.db"
	filePayloads    = "payloads"
	fileCACert      = "tls/ca.crt"
	fileCAKey       = "tls/ca.key"
	fileServerCert  = "tls/server.crt"
	fileServerKey   = "tls/server.key"
	fileStationKey  = "station.key"
	fileMasterKey   = "master.key"
	fileCheckpoints = "audit-checkpoints.log"
	// fileStation is written last by Init: a folder without it holds an
	// unfinished station.
	fileStation = "station.json"
)

// Errors of Init and Open.
var (
	// ErrExists means Init was pointed at a folder that is not empty.
	ErrExists = errors.New("station: the data folder is not empty")
	// ErrNoStation means Open found no finished station in the folder.
	ErrNoStation = errors.New("station: no station in the data folder (run `station init` first)")
)

// stationFile is the content of station.json.
type stationFile struct {
	StationID string    `json:"station_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Hosts     []string  `json:"hosts"`
}

// InitOptions configures Init.
type InitOptions struct {
	// StationID names the station (letters, digits, '.', '_', '-'); empty
	// means a random "ST-..." ID.
	StationID string
	// Name is a human name such as "Northside Precinct".
	Name string
	// Hosts are extra DNS names or IP addresses for the server certificate,
	// beside localhost, 127.0.0.1 and ::1.
	Hosts []string
	// Now replaces time.Now.
	Now func() time.Time
}

// hostPattern matches a DNS name for the server certificate: dot-separated
// labels of letters, digits and inner hyphens.
var hostPattern = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// InitResult is what an administrator reads out to the laptops' users.
type InitResult struct {
	Dir           string
	StationID     string
	CAFingerprint string
	// PublicKey is the station's Ed25519 signing key.
	PublicKey ed25519.PublicKey
	// AuditVerifierKey checks the audit checkpoints.
	AuditVerifierKey string
}

// PublicKeyString formats a station public key as laptops display it (see
// wire.StationKeyString).
func PublicKeyString(pub ed25519.PublicKey) string { return wire.StationKeyString(pub) }

// Init creates a station in dir: the database, the payload folder, a TLS CA
// and server certificate, the station's Ed25519 signing key and a master key
// for data at rest (a 0600 file). dir must be missing or empty. On any
// failure Init removes what it created.
func Init(ctx context.Context, dir string, opt InitOptions) (res *InitResult, err error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	id := opt.StationID
	if id == "" {
		id = randomID("ST")[:11]
	}
	if !audit.ValidStationID(id) {
		return nil, fmt.Errorf("station: station ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	for _, h := range opt.Hosts {
		if net.ParseIP(h) == nil && !hostPattern.MatchString(h) {
			return nil, fmt.Errorf("station: host %q is neither an IP address nor a DNS name", h)
		}
	}
	if len(opt.Name) > wire.MaxNameLen {
		return nil, fmt.Errorf("station: name longer than %d bytes", wire.MaxNameLen)
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	created := false
	switch ents, rerr := os.ReadDir(dir); {
	case errors.Is(rerr, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("station: create data folder: %w", err)
		}
		created = true
	case rerr != nil:
		return nil, fmt.Errorf("station: data folder: %w", rerr)
	case len(ents) > 0:
		return nil, fmt.Errorf("%w: %s", ErrExists, dir)
	}
	defer func() {
		if err == nil {
			return
		}
		if created {
			os.RemoveAll(dir)
			return
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	for _, d := range []string{filePayloads, "tls"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	t := now().UTC()

	// Keys.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pk, err := marshalKey(priv)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, fileStationKey), pk, 0o600); err != nil {
		return nil, err
	}
	master := make([]byte, MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(dir, fileMasterKey), []byte(hex.EncodeToString(master)+"\n"), 0o600); err != nil {
		return nil, err
	}

	// TLS.
	caDER, caKey, err := newCA(id, t)
	if err != nil {
		return nil, fmt.Errorf("station: make CA: %w", err)
	}
	srvDER, srvKey, err := newServerCert(id, opt.Hosts, caDER, caKey, t)
	if err != nil {
		return nil, fmt.Errorf("station: make server certificate: %w", err)
	}
	caKeyPEM, err := marshalKey(caKey)
	if err != nil {
		return nil, err
	}
	srvKeyPEM, err := marshalKey(srvKey)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{fileCACert, pemBlock("CERTIFICATE", caDER), 0o644},
		{fileCAKey, caKeyPEM, 0o600},
		{fileServerCert, append(pemBlock("CERTIFICATE", srvDER), pemBlock("CERTIFICATE", caDER)...), 0o644},
		{fileServerKey, srvKeyPEM, 0o600},
	} {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.perm); err != nil {
			return nil, err
		}
	}

	// Database and audit log.
	db, err := openDB(ctx, filepath.Join(dir, fileDB))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	lg, err := audit.Open(ctx, db, audit.Config{StationID: id, Signer: priv, CheckpointFile: filepath.Join(dir, fileCheckpoints)})
	if err != nil {
		return nil, fmt.Errorf("station: audit log: %w", err)
	}
	defer lg.Close()
	if _, err := lg.Append(ctx, audit.Record{Time: t, Action: "station.init", Outcome: "success", OfficerID: adminActor(),
		Detail: "CA " + wire.Fingerprint(caDER) + " key " + PublicKeyString(pub)}); err != nil {
		return nil, fmt.Errorf("station: audit log: %w", err)
	}
	if _, err := lg.Checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("station: audit checkpoint: %w", err)
	}
	vk := lg.VerifierKey()
	lg.Close()
	if err := db.Close(); err != nil {
		return nil, err
	}
	sf, _ := json.MarshalIndent(stationFile{StationID: id, Name: opt.Name, CreatedAt: t, Hosts: opt.Hosts}, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, fileStation), append(sf, '\n'), 0o600); err != nil {
		return nil, err
	}
	return &InitResult{Dir: dir, StationID: id, CAFingerprint: wire.Fingerprint(caDER), PublicKey: pub, AuditVerifierKey: vk}, nil
}

// Options configures Open.
type Options struct {
	// Now replaces time.Now everywhere in the station (sessions, grants,
	// tokens, audit times): tests inject a clock here.
	Now func() time.Time
	// Argon2 sets the cost of new password hashes. Nil means
	// DefaultArgon2; tests may lower it. The station program never sets it.
	Argon2 *Argon2Params
	// MasterKey, when set, is the 32-byte master key for data at rest,
	// taken from a keyring or KMS instead of the master.key file.
	MasterKey []byte
	// CheckpointEvery and CheckpointInterval tune the audit checkpoints
	// (see audit.Config); zero means the audit package's defaults and a
	// checkpoint a minute.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// OnAuditError receives errors of background audit work (AU-5 alerts).
	OnAuditError func(error)
}

// Station is an opened station data folder: its database, keys, audit log and
// the operations that the server and the admin commands share. Its methods
// are safe for concurrent use.
type Station struct {
	dir     string
	info    stationFile
	db      *sql.DB
	key     ed25519.PrivateKey
	seal    *sealer
	caDER   []byte
	tlsCert tls.Certificate
	audit   auditor
	log     *audit.Log
	now     func() time.Time
	argon   Argon2Params

	dummyOnce sync.Once
	dummy     string

	// expireMu makes ExpireGrants record each expiry once when requests
	// and the sweep run it together.
	expireMu sync.Mutex
}

// auditor is what the station needs of the audit log; tests wrap it to make
// it fail.
type auditor interface {
	Append(ctx context.Context, r audit.Record) (audit.Record, error)
}

// Open opens the station in dir.
func Open(ctx context.Context, dir string, opt Options) (*Station, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	sfb, err := os.ReadFile(filepath.Join(dir, fileStation))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoStation, dir)
	} else if err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	s := &Station{dir: dir, now: time.Now, argon: DefaultArgon2}
	if err := json.Unmarshal(sfb, &s.info); err != nil || !audit.ValidStationID(s.info.StationID) {
		return nil, fmt.Errorf("station: %s is damaged", fileStation)
	}
	if opt.Now != nil {
		s.now = opt.Now
	}
	if opt.Argon2 != nil {
		s.argon = *opt.Argon2
	}
	if s.key, err = readEd25519Key(filepath.Join(dir, fileStationKey)); err != nil {
		return nil, fmt.Errorf("station: signing key: %w", err)
	}
	master := opt.MasterKey
	if master == nil {
		if master, err = ReadMasterKey(filepath.Join(dir, fileMasterKey)); err != nil {
			return nil, err
		}
	}
	if s.seal, err = newSealer(master); err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	if s.tlsCert, s.caDER, err = loadServerTLS(dir); err != nil {
		return nil, fmt.Errorf("station: TLS: %w", err)
	}
	if s.db, err = openDB(ctx, filepath.Join(dir, fileDB)); err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	if err := migrate(ctx, s.db); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("station: %w", err)
	}
	interval := opt.CheckpointInterval
	if interval == 0 {
		interval = time.Minute
	}
	s.log, err = audit.Open(ctx, s.db, audit.Config{
		StationID: s.info.StationID, Signer: s.key, CheckpointEvery: opt.CheckpointEvery,
		CheckpointInterval: interval, CheckpointFile: filepath.Join(dir, fileCheckpoints),
		OnError: opt.OnAuditError, Now: opt.Now,
	})
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("station: audit log: %w", err)
	}
	s.audit = s.log
	return s, nil
}

// ReadMasterKey reads a master key written as 64 hex digits from a file (or
// a pipe), refusing a regular file that others may read.
func ReadMasterKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("station: master key: %w", err)
	}
	if fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("station: master key %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("station: master key: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return nil, fmt.Errorf("station: master key: %w", err)
	}
	defer clear(b)
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != MasterKeySize {
		return nil, fmt.Errorf("station: master key %s is not %d hex-encoded bytes", path, MasterKeySize)
	}
	return k, nil
}

// Close signs a final audit checkpoint and closes the database.
func (s *Station) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, cerr := s.log.Checkpoint(ctx)
	s.log.Close()
	err := s.db.Close()
	if err == nil && cerr != nil && !errors.Is(cerr, audit.ErrNoCheckpoint) {
		err = cerr
	}
	return err
}

// ID returns the station ID.
func (s *Station) ID() string { return s.info.StationID }

// PublicKey returns the station's Ed25519 public key.
func (s *Station) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// CACert returns the station's TLS CA certificate (DER).
func (s *Station) CACert() []byte { return s.caDER }

// CAFingerprint returns wire.Fingerprint of the CA certificate.
func (s *Station) CAFingerprint() string { return wire.Fingerprint(s.caDER) }

// AuditVerifierKey returns the note verifier key of the audit checkpoints.
func (s *Station) AuditVerifierKey() string { return s.log.VerifierKey() }

// ServeBeacon answers beacon requests on conn with the station's key until
// ctx is done (see beacon.Serve).
func (s *Station) ServeBeacon(ctx context.Context, conn net.PacketConn) error {
	return beacon.Serve(ctx, conn, s.info.StationID, s.key, s.now)
}

// Dir returns the data folder.
func (s *Station) Dir() string { return s.dir }

// adminActor names the person behind an admin command in audit records.
func adminActor() string {
	u := os.Getenv("SUDO_USER")
	if u == "" {
		u = os.Getenv("USER")
	}
	if u == "" {
		u = "unknown"
	}
	return "admin:" + u
}
