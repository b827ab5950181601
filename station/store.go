package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// schemaVersion is the version of the station tables below. Open refuses a
// database written by a newer station.
const schemaVersion = 1

// The station's tables. Times are Unix nanoseconds in UTC. The audit log's
// tables belong to package audit, in the same database.
const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS officers (
	id                TEXT PRIMARY KEY,
	name              TEXT NOT NULL,
	role              TEXT NOT NULL,
	unit              TEXT NOT NULL,
	pw_hash           TEXT NOT NULL,
	status            TEXT NOT NULL DEFAULT 'active',
	locked_at         INTEGER,
	failures_reset_at INTEGER NOT NULL DEFAULT 0,
	created_at        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
	officer_id TEXT NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_officer ON login_failures(officer_id, at);
CREATE TABLE IF NOT EXISTS enroll_tokens (
	hash       BLOB PRIMARY KEY,
	officer_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER,
	device_id  TEXT
);
CREATE TABLE IF NOT EXISTS devices (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	officer_id    TEXT NOT NULL,
	signing_key   BLOB NOT NULL,
	hpke_key      BLOB NOT NULL,
	enrolled_at   INTEGER NOT NULL,
	revoked_at    INTEGER,
	revoke_reason TEXT,
	last_seen     INTEGER
);
CREATE TABLE IF NOT EXISTS challenges (
	id         TEXT PRIMARY KEY,
	device_id  TEXT NOT NULL,
	challenge  BLOB NOT NULL,
	expires_at INTEGER NOT NULL,
	used       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS challenges_device ON challenges(device_id);
CREATE TABLE IF NOT EXISTS sessions (
	hash        BLOB PRIMARY KEY,
	officer_id  TEXT NOT NULL,
	device_id   TEXT NOT NULL,
	code        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	ended_at    INTEGER,
	end_reason  TEXT
);
CREATE TABLE IF NOT EXISTS cases (
	number     TEXT PRIMARY KEY,
	title      TEXT NOT NULL,
	unit       TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'open',
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_team (
	case_number TEXT NOT NULL,
	officer_id  TEXT NOT NULL,
	role        TEXT NOT NULL,
	added_at    INTEGER NOT NULL,
	PRIMARY KEY (case_number, officer_id)
);
CREATE TABLE IF NOT EXISTS documents (
	id              TEXT PRIMARY KEY,
	case_number     TEXT NOT NULL,
	title           TEXT NOT NULL,
	type            TEXT NOT NULL,
	pages           INTEGER NOT NULL,
	added_by        TEXT NOT NULL,
	added_at        INTEGER NOT NULL,
	payload_size    INTEGER NOT NULL,
	manifest        BLOB NOT NULL,
	identity_sealed BLOB NOT NULL,
	file            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_case ON documents(case_number);
CREATE TABLE IF NOT EXISTS access_requests (
	id                TEXT PRIMARY KEY,
	case_number       TEXT NOT NULL,
	requester         TEXT NOT NULL,
	reason            TEXT NOT NULL,
	requested_seconds INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	state             TEXT NOT NULL,
	decided_by        TEXT,
	decided_at        INTEGER,
	decision_reason   TEXT,
	scope             TEXT,
	expires_at        INTEGER
);
CREATE INDEX IF NOT EXISTS access_requests_case ON access_requests(case_number, requester);
CREATE TABLE IF NOT EXISTS annotations (
	id          TEXT PRIMARY KEY,
	document_id TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS annotations_document ON annotations(document_id);
CREATE TABLE IF NOT EXISTS annotation_revisions (
	annotation_id TEXT NOT NULL,
	revision      INTEGER NOT NULL,
	page          INTEGER NOT NULL,
	x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
	kind          TEXT NOT NULL,
	color         TEXT NOT NULL,
	text_sealed   BLOB NOT NULL,
	deleted       INTEGER NOT NULL,
	author        TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (annotation_id, revision)
);
CREATE TABLE IF NOT EXISTS wipe_receipts (
	device_id   TEXT NOT NULL,
	nonce       BLOB NOT NULL,
	trigger     TEXT NOT NULL,
	wiped_at    INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (device_id, nonce)
);
`

// openDB opens (creating if needed) the station database at path: WAL
// journal, full fsync on commit (durable audit appends), foreign keys on, a
// busy timeout, and write transactions that take the write lock at BEGIN.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	// The database holds password hashes and the audit log: owner only.
	// SQLite gives its -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// migrate creates the station tables and checks the schema version.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'`).Scan(&v)
	switch {
	case err == sql.ErrNoRows:
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES('schema_version', ?)`, fmt.Sprint(schemaVersion)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("migrate: %w", err)
	case v > schemaVersion:
		return fmt.Errorf("the database was written by a newer station (schema %d, this one knows %d)", v, schemaVersion)
	}
	return tx.Commit()
}

func nanos(t time.Time) int64 { return t.UTC().UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}
