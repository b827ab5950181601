package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	// ErrUnavailable reports that the log could not durably store or read
	// what was asked. Callers must fail closed: refuse the operation that
	// was to be audited.
	ErrUnavailable = errors.New("audit: log unavailable")
	// ErrTampered reports stored audit data that fails its own integrity
	// checks (for example a record that no longer matches its index).
	ErrTampered = errors.New("audit: log tampered")
	// ErrNoCheckpoint reports that no checkpoint has been signed yet.
	ErrNoCheckpoint = errors.New("audit: no checkpoint yet")
	// ErrOutOfRange reports a record index or tree size the log does not hold.
	ErrOutOfRange = errors.New("audit: index or size out of range")
	// ErrClosed reports use of a Log after Close.
	ErrClosed = errors.New("audit: log closed")
)

// Defaults for Config.
const (
	// DefaultCheckpointEvery is used when Config.CheckpointEvery is zero.
	DefaultCheckpointEvery = 256
	// DefaultQueryLimit is used when Filter.Limit is zero.
	DefaultQueryLimit = 1000
	// MaxQueryLimit caps Filter.Limit.
	MaxQueryLimit = 100000
)

// Config configures a Log.
type Config struct {
	// StationID names the station; it must satisfy ValidStationID. It is
	// written into the log at first Open and must match afterwards.
	StationID string
	// Signer is the station's Ed25519 key that signs checkpoints.
	Signer ed25519.PrivateKey
	// CheckpointEvery signs a checkpoint after every this many records.
	// Zero means DefaultCheckpointEvery; negative disables it.
	CheckpointEvery int
	// CheckpointInterval, when positive, also signs a checkpoint on this
	// timer whenever the log has grown since the last one.
	CheckpointInterval time.Duration
	// CheckpointFile, when set, is a file to which every checkpoint is
	// appended (and synced) as well, so that cutting the database back
	// behind a checkpoint is caught even if the checkpoint rows are gone.
	// Keep it beside the database, ideally on append-only storage.
	CheckpointFile string
	// OnError, when set, receives errors from background work that has no
	// caller to return them to: periodic checkpoints. Records are never
	// affected by these errors. AU-5 alerting hooks in here.
	OnError func(error)
	// WriteTimeout bounds one commit of queued appends; zero means
	// DefaultWriteTimeout. Append waits at most about this long once its
	// record is taken.
	WriteTimeout time.Duration
	// Now, when set, replaces time.Now (for tests).
	Now func() time.Time
}

// Log is the station's tamper-evident audit log over an SQLite database.
// Its methods are safe for concurrent use; appends are serialized.
type Log struct {
	db     *sql.DB
	cfg    Config
	signer *ed25519Signer
	vkey   string
	every  int64

	mu       sync.Mutex // serializes writers in this process
	closed   bool
	lastSize int64 // size of the latest checkpoint known to this process

	writeTimeout time.Duration
	queue        chan *appendReq
	stop         chan struct{}
	wg           sync.WaitGroup
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS audit_state (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		station_id TEXT NOT NULL,
		size INTEGER NOT NULL
	) STRICT`,
	`CREATE TABLE IF NOT EXISTS audit_records (
		idx INTEGER PRIMARY KEY,
		time_ns INTEGER NOT NULL,
		action TEXT NOT NULL,
		officer_id TEXT NOT NULL,
		case_number TEXT NOT NULL,
		object TEXT NOT NULL,
		session_code TEXT NOT NULL,
		data BLOB NOT NULL
	) STRICT`,
	`CREATE INDEX IF NOT EXISTS audit_records_case ON audit_records (case_number, idx)`,
	`CREATE INDEX IF NOT EXISTS audit_records_officer ON audit_records (officer_id, idx)`,
	`CREATE INDEX IF NOT EXISTS audit_records_object ON audit_records (object, idx)`,
	`CREATE INDEX IF NOT EXISTS audit_records_session ON audit_records (session_code, idx)`,
	`CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time_ns)`,
	`CREATE TABLE IF NOT EXISTS audit_hashes (
		id INTEGER PRIMARY KEY,
		hash BLOB NOT NULL
	) STRICT`,
	`CREATE TABLE IF NOT EXISTS audit_checkpoints (
		size INTEGER PRIMARY KEY,
		hash BLOB NOT NULL,
		time_ns INTEGER NOT NULL,
		note BLOB NOT NULL
	) STRICT`,
	// Append-only, and no deletion at all (AU-9, AU-11). These stop
	// mistakes in station code; Verify catches anyone who drops them.
	`CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
		BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END`,
	`CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records
		BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END`,
	`CREATE TRIGGER IF NOT EXISTS audit_hashes_no_update BEFORE UPDATE ON audit_hashes
		BEGIN SELECT RAISE(ABORT, 'audit hashes are append-only'); END`,
	`CREATE TRIGGER IF NOT EXISTS audit_hashes_no_delete BEFORE DELETE ON audit_hashes
		BEGIN SELECT RAISE(ABORT, 'audit hashes are append-only'); END`,
	`CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
		BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END`,
	`CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
		BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END`,
}

// Open prepares the audit tables in db (an SQLite database opened with
// the "sqlite" driver of modernc.org/sqlite) and returns the log. It
// switches the database to WAL mode if it is not already, and every
// append runs with synchronous=FULL so it survives power loss once
// committed. Open does not take ownership of db; Close does not close it.
func Open(ctx context.Context, db *sql.DB, cfg Config) (*Log, error) {
	if !ValidStationID(cfg.StationID) {
		return nil, fmt.Errorf("audit: invalid station ID %q", cfg.StationID)
	}
	signer, vkey, err := newSigner(cfg.StationID, cfg.Signer)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Log{db: db, cfg: cfg, signer: signer, vkey: vkey, every: int64(cfg.CheckpointEvery), stop: make(chan struct{})}
	if l.every == 0 {
		l.every = DefaultCheckpointEvery
	}
	l.writeTimeout = cfg.WriteTimeout
	if l.writeTimeout <= 0 {
		l.writeTimeout = DefaultWriteTimeout
	}
	l.queue = make(chan *appendReq)
	if cfg.CheckpointFile != "" {
		f, err := os.OpenFile(cfg.CheckpointFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint file: %v", ErrUnavailable, err)
		}
		f.Close()
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !strings.EqualFold(mode, "wal") && !strings.EqualFold(mode, "memory") {
		if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
			return nil, fmt.Errorf("%w: set WAL: %v", ErrUnavailable, err)
		}
	}
	err = l.writeTx(ctx, func(conn *sql.Conn) error {
		for _, s := range schema {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		var id string
		err := conn.QueryRowContext(ctx, `SELECT station_id FROM audit_state WHERE id = 1`).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = conn.ExecContext(ctx, `INSERT INTO audit_state (id, station_id, size) VALUES (1, ?, 0)`, cfg.StationID)
			return err
		case err != nil:
			return err
		case id != cfg.StationID:
			return fmt.Errorf("log belongs to station %q, not %q", id, cfg.StationID)
		}
		return conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints`).Scan(&l.lastSize)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: open: %v", ErrUnavailable, err)
	}
	l.wg.Add(1)
	go l.writer()
	if cfg.CheckpointInterval > 0 {
		l.wg.Add(1)
		go l.timer(cfg.CheckpointInterval)
	}
	return l, nil
}

// Close stops the writer and the checkpoint timer; appends in progress
// finish first, later ones fail with ErrClosed. It does not sign a final
// checkpoint (call Checkpoint first for that) and does not close the
// database.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.stop)
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

// VerifierKey returns the note verifier key for this log's checkpoints,
// to hand to clients and auditors.
func (l *Log) VerifierKey() string { return l.vkey }

func (l *Log) timer(d time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.writeTimeout)
			_, err := l.Checkpoint(ctx)
			cancel()
			if err != nil && !errors.Is(err, ErrClosed) {
				l.report(fmt.Errorf("audit: periodic checkpoint: %w", err))
			}
		}
	}
}

func (l *Log) report(err error) {
	if l.cfg.OnError != nil {
		l.cfg.OnError(err)
	}
}

// writeTx runs fn in an immediate (write-locking) transaction on one
// connection with synchronous=FULL, so a nil return means the changes are
// committed durably. On any failure it rolls back, and if even that fails
// it discards the connection rather than return it to the pool mid-transaction.
func (l *Log) writeTx(ctx context.Context, fn func(*sql.Conn) error) (err error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	done := false
	defer func() {
		if done {
			return
		}
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, `ROLLBACK`); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if err := fn(conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	done = true
	return nil
}

// queryer is what *sql.Conn, *sql.Tx and *sql.DB offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hashReader reads stored tree hashes from the database.
func hashReader(ctx context.Context, q queryer) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, id := range indexes {
			var b []byte
			if err := q.QueryRowContext(ctx, `SELECT hash FROM audit_hashes WHERE id = ?`, id).Scan(&b); err != nil {
				return nil, fmt.Errorf("stored hash %d: %w", id, err)
			}
			if len(b) != tlog.HashSize {
				return nil, fmt.Errorf("%w: stored hash %d has %d bytes", ErrTampered, id, len(b))
			}
			copy(out[i][:], b)
		}
		return out, nil
	})
}

// maxBatch caps how many queued appends share one transaction.
const maxBatch = 256

// DefaultWriteTimeout is used when Config.WriteTimeout is zero.
const DefaultWriteTimeout = 10 * time.Second

// appendReq is one Append waiting for the writer.
type appendReq struct {
	ctx  context.Context
	r    Record
	done chan appendRes // buffered; the writer answers every request it takes
}

type appendRes struct {
	r   Record
	err error
}

// Append adds r to the log and returns it with Index set, Time set to now
// if it was zero, StationID filled from the configuration if empty, and
// text fields normalized (see Record). When Append returns nil error the
// record is committed durably. Any failure to store it returns an error
// wrapping ErrUnavailable (or ErrInvalidRecord for a record that cannot be
// stored as given); the caller must then refuse the audited operation.
//
// Appends from concurrent callers are serialized by one writer, which
// commits the records waiting at that moment in one transaction (group
// commit: one sync for many records). If ctx ends before the writer takes
// the record, Append fails without writing it; once taken, Append waits
// for the commit (at most Config.WriteTimeout), so a nil error always
// means stored and an error almost always means not stored.
func (l *Log) Append(ctx context.Context, r Record) (Record, error) {
	if r.Time.IsZero() {
		r.Time = l.cfg.Now()
	}
	if r.StationID == "" {
		r.StationID = l.cfg.StationID
	}
	if err := r.normalize(); err != nil {
		return Record{}, err
	}
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("%w: append: %w", ErrUnavailable, err)
	}
	req := &appendReq{ctx: ctx, r: r, done: make(chan appendRes, 1)}
	select {
	case l.queue <- req:
	case <-l.stop:
		return Record{}, fmt.Errorf("%w: %w", ErrUnavailable, ErrClosed)
	case <-ctx.Done():
		return Record{}, fmt.Errorf("%w: append: %w", ErrUnavailable, ctx.Err())
	}
	res := <-req.done
	return res.r, res.err
}

// writer commits queued appends until Close.
func (l *Log) writer() {
	defer l.wg.Done()
	for {
		var batch []*appendReq
		select {
		case <-l.stop:
			return
		case req := <-l.queue:
			batch = append(batch, req)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-l.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		l.commitBatch(batch)
	}
}

// commitBatch stores the batch's records in one transaction and answers
// every request in it.
func (l *Log) commitBatch(batch []*appendReq) {
	live := batch[:0]
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.done <- appendRes{err: fmt.Errorf("%w: append: %w", ErrUnavailable, err)}
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.writeTimeout)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	recs := make([]Record, len(live))
	err := l.writeTx(ctx, func(conn *sql.Conn) error {
		var size int64
		if err := conn.QueryRowContext(ctx, `SELECT size FROM audit_state WHERE id = 1`).Scan(&size); err != nil {
			return err
		}
		first := size
		for i, req := range live {
			r := req.r
			r.Index = size
			data := r.Encode()
			hashes, err := tlog.StoredHashes(size, data, hashReader(ctx, conn))
			if err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx,
				`INSERT INTO audit_records (idx, time_ns, action, officer_id, case_number, object, session_code, data)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				size, r.Time.UnixNano(), r.Action, r.OfficerID, r.CaseNumber, r.Object, r.SessionCode, data); err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, size)
			for j, h := range hashes {
				if _, err := conn.ExecContext(ctx, `INSERT INTO audit_hashes (id, hash) VALUES (?, ?)`, base+int64(j), h[:]); err != nil {
					return err
				}
			}
			recs[i] = r
			size++
		}
		res, err := conn.ExecContext(ctx, `UPDATE audit_state SET size = ? WHERE id = 1 AND size = ?`, size, first)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("log size changed under the write lock (%d rows, %v)", n, err)
		}
		return nil
	})
	if err == nil {
		// Sign before answering, so a caller that has appended the N-th
		// record finds its checkpoint. A failure here does not touch the
		// stored records; it goes to OnError and is retried next time.
		if last := recs[len(recs)-1].Index; l.every > 0 && last+1-l.lastSize >= l.every {
			if _, cerr := l.checkpointLocked(ctx); cerr != nil {
				l.report(fmt.Errorf("audit: checkpoint after record %d: %w", last, cerr))
			}
		}
	}
	for i, req := range live {
		if err != nil {
			req.done <- appendRes{err: fmt.Errorf("%w: append: %v", ErrUnavailable, err)}
		} else {
			req.done <- appendRes{r: recs[i]}
		}
	}
}

// Checkpoint signs and stores a checkpoint of the current tree if the log
// has grown since the latest one (or none exists yet, even for an empty
// log), and returns the latest checkpoint. The checkpoint is appended to
// Config.CheckpointFile (synced) before it is committed to the database.
// It refuses to sign, with an error wrapping ErrTampered, when the log is
// smaller than the latest checkpoint or its stored hashes no longer extend
// the tree that checkpoint signed.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, ErrClosed)
	}
	return l.checkpointLocked(ctx)
}

func (l *Log) checkpointLocked(ctx context.Context) (*Checkpoint, error) {
	var c *Checkpoint
	err := l.writeTx(ctx, func(conn *sql.Conn) error {
		var size, last int64
		var lastNote []byte
		if err := conn.QueryRowContext(ctx, `SELECT size FROM audit_state WHERE id = 1`).Scan(&size); err != nil {
			return err
		}
		err := conn.QueryRowContext(ctx, `SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&last, &lastNote)
		switch {
		case err == nil && last == size:
			c, err = OpenCheckpoint(lastNote, l.vkey)
			return err
		case err == nil && last > size:
			return fmt.Errorf("%w: checkpoint at size %d but log holds %d records", ErrTampered, last, size)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		haveLast := err == nil
		th, err := tlog.TreeHash(size, hashReader(ctx, conn))
		if err != nil {
			return err
		}
		if haveLast {
			if err := l.extendsCheckpoint(ctx, conn, last, lastNote, size, th); err != nil {
				return err
			}
		}
		now := l.cfg.Now().UTC()
		text, err := l.sign(formatCheckpointBody(l.cfg.StationID, size, th, now))
		if err != nil {
			return err
		}
		if l.cfg.CheckpointFile != "" {
			if err := appendSync(l.cfg.CheckpointFile, text); err != nil {
				return fmt.Errorf("checkpoint file: %w", err)
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, hash, time_ns, note) VALUES (?, ?, ?, ?)`,
			size, th[:], now.UnixNano(), text); err != nil {
			return err
		}
		c, err = ParseCheckpointBody(formatCheckpointBody(l.cfg.StationID, size, th, now))
		if err != nil {
			return err
		}
		c.Text = text
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint: %w", ErrUnavailable, err)
	}
	l.lastSize = c.Size
	return c, nil
}

// extendsCheckpoint checks, before a new checkpoint of the tree of size
// records with hash th is signed, that this tree extends the one named by
// the last stored checkpoint (lastNote, filed at size last): the note
// verifies with the station's key and names that size, and a consistency
// proof built from the stored hashes leads from its tree hash to th.
// Otherwise the stored hashes behind the last checkpoint were rewritten,
// and signing would vouch for the rewrite. It costs O(log size) hash reads.
func (l *Log) extendsCheckpoint(ctx context.Context, q queryer, last int64, lastNote []byte, size int64, th tlog.Hash) error {
	old, err := OpenCheckpoint(lastNote, l.vkey)
	if err != nil {
		return fmt.Errorf("%w: the last stored checkpoint does not verify (%v); refusing to sign a new one, run audit verification", ErrTampered, err)
	}
	if old.Size != last || old.Size > size {
		return fmt.Errorf("%w: the last stored checkpoint is filed at size %d but signed for %d (log holds %d); refusing to sign a new one, run audit verification",
			ErrTampered, last, old.Size, size)
	}
	if old.Size == 0 {
		return nil // every tree extends the empty one
	}
	p, err := tlog.ProveTree(size, old.Size, hashReader(ctx, q))
	if err != nil {
		return fmt.Errorf("consistency proof from checkpoint at size %d: %w", old.Size, err)
	}
	if err := tlog.CheckTree(p, size, th, old.Size, old.Hash); err != nil {
		return fmt.Errorf("%w: the stored tree of %d records does not extend the checkpoint signed at size %d (%v); refusing to sign a new one, run audit verification",
			ErrTampered, size, old.Size, err)
	}
	return nil
}

// sign signs checkpoint body text as a note with the station's key.
func (l *Log) sign(body []byte) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(body)}, l.signer)
}

// appendSync appends b to the file at path and syncs it. If an earlier
// write was torn (the file does not end in a newline), it first ends that
// line, so the torn entry stays on its own and later entries still parse.
func appendSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if n := fi.Size(); n > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, n-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			b = append([]byte("\n"), b...)
		}
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// Latest returns the most recent signed checkpoint, verified against the
// station's key. It returns ErrNoCheckpoint if none has been signed.
func (l *Log) Latest(ctx context.Context) (*Checkpoint, error) {
	var text []byte
	err := l.db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoCheckpoint
	}
	if err != nil {
		return nil, fmt.Errorf("%w: latest checkpoint: %v", ErrUnavailable, err)
	}
	c, err := OpenCheckpoint(text, l.vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: stored checkpoint: %w", ErrTampered, err)
	}
	return c, nil
}

// Size returns the number of records in the log.
func (l *Log) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := l.db.QueryRowContext(ctx, `SELECT size FROM audit_state WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("%w: size: %v", ErrUnavailable, err)
	}
	return n, nil
}

// readTx runs fn in a deferred read transaction on one connection, so
// that it sees one snapshot without taking the write lock, whatever the
// DSN's _txlock says (the station uses _txlock=immediate; a long Verify
// holding the write lock would make appends fail after busy_timeout).
func readTx(ctx context.Context, db *sql.DB, fn func(queryer) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(rctx, `ROLLBACK`); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn(conn)
}

// ProveInclusion returns the proof that record index is in the tree of
// the first treeSize records (the size of a checkpoint the client holds).
// Check it with VerifyInclusion.
func (l *Log) ProveInclusion(ctx context.Context, index, treeSize int64) (tlog.RecordProof, error) {
	var p tlog.RecordProof
	err := readTx(ctx, l.db, func(tx queryer) error {
		var size int64
		if err := tx.QueryRowContext(ctx, `SELECT size FROM audit_state WHERE id = 1`).Scan(&size); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if index < 0 || index >= treeSize || treeSize > size {
			return fmt.Errorf("%w: record %d in tree of %d (log holds %d)", ErrOutOfRange, index, treeSize, size)
		}
		var err error
		p, err = tlog.ProveRecord(treeSize, index, hashReader(ctx, tx))
		if err != nil {
			return fmt.Errorf("%w: prove record: %w", ErrUnavailable, err)
		}
		return nil
	})
	return p, err
}

// ProveConsistency returns the proof that the tree of newSize records
// extends the tree of oldSize records. Check it with VerifyConsistency.
func (l *Log) ProveConsistency(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	err := readTx(ctx, l.db, func(tx queryer) error {
		var size int64
		if err := tx.QueryRowContext(ctx, `SELECT size FROM audit_state WHERE id = 1`).Scan(&size); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if oldSize < 0 || oldSize > newSize || newSize > size {
			return fmt.Errorf("%w: trees %d and %d (log holds %d)", ErrOutOfRange, oldSize, newSize, size)
		}
		var err error
		p, err = tlog.ProveTree(newSize, oldSize, hashReader(ctx, tx))
		if err != nil {
			return fmt.Errorf("%w: prove tree: %w", ErrUnavailable, err)
		}
		return nil
	})
	return p, err
}

// Filter selects records for Query. Empty fields match everything; set
// fields must all match.
type Filter struct {
	// CaseNumber matches Record.CaseNumber exactly.
	CaseNumber string
	// OfficerID matches Record.OfficerID exactly.
	OfficerID string
	// Object matches Record.Object exactly.
	Object string
	// SessionCode matches Record.SessionCode exactly (the watermark code).
	SessionCode string
	// Action matches Record.Action exactly.
	Action string
	// Since keeps records with Time at or after it.
	Since time.Time
	// Until keeps records with Time before it.
	Until time.Time
	// FromIndex keeps records with Index >= FromIndex (for paging: pass
	// the last Index seen plus one).
	FromIndex int64
	// Limit caps the number of records; zero means DefaultQueryLimit and
	// values above MaxQueryLimit are lowered to it.
	Limit int
}

// Query returns the records matching f in log order. Each record is
// decoded from its hashed bytes (the indexed columns only select), and a
// record that no longer matches its index or columns fails the query
// with ErrTampered.
func (l *Log) Query(ctx context.Context, f Filter) ([]Record, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("case_number", f.CaseNumber)
	eq("officer_id", f.OfficerID)
	eq("object", f.Object)
	eq("session_code", f.SessionCode)
	eq("action", f.Action)
	if !f.Since.IsZero() {
		where = append(where, "time_ns >= ?")
		args = append(args, clampNanos(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "time_ns < ?")
		args = append(args, clampNanos(f.Until))
	}
	if f.FromIndex > 0 {
		where = append(where, "idx >= ?")
		args = append(args, f.FromIndex)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	limit = min(limit, MaxQueryLimit)
	q := `SELECT idx, time_ns, action, officer_id, case_number, object, session_code, data FROM audit_records`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY idx LIMIT ?"
	args = append(args, limit)
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", ErrUnavailable, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var c rowCols
		if err := rows.Scan(&c.idx, &c.timeNs, &c.action, &c.officer, &c.caseNo, &c.object, &c.session, &c.data); err != nil {
			return nil, fmt.Errorf("%w: query: %v", ErrUnavailable, err)
		}
		r, err := c.record()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%w: query: %v", ErrUnavailable, err)
	}
	return out, nil
}

// Get returns record index. Its Encode gives the exact bytes that were
// hashed, to check with VerifyInclusion.
func (l *Log) Get(ctx context.Context, index int64) (Record, error) {
	var c rowCols
	err := l.db.QueryRowContext(ctx,
		`SELECT idx, time_ns, action, officer_id, case_number, object, session_code, data FROM audit_records WHERE idx = ?`, index).
		Scan(&c.idx, &c.timeNs, &c.action, &c.officer, &c.caseNo, &c.object, &c.session, &c.data)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("%w: record %d", ErrOutOfRange, index)
	}
	if err != nil {
		return Record{}, fmt.Errorf("%w: get: %v", ErrUnavailable, err)
	}
	return c.record()
}

func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, minNanos)):
		return minNanos
	case t.After(time.Unix(0, maxNanos)):
		return maxNanos
	}
	return t.UnixNano()
}

const (
	minNanos = -1 << 63
	maxNanos = 1<<63 - 1
)

// rowCols is one row of audit_records.
type rowCols struct {
	idx, timeNs                              int64
	action, officer, caseNo, object, session string
	data                                     []byte
}

// record decodes the row's data and checks it against the row's columns.
func (c *rowCols) record() (Record, error) {
	r, err := DecodeRecord(c.data)
	if err != nil {
		return Record{}, fmt.Errorf("%w: record at %d: %w", ErrTampered, c.idx, err)
	}
	if what := c.mismatch(r); what != "" {
		return Record{}, fmt.Errorf("%w: record at %d: %s", ErrTampered, c.idx, what)
	}
	return r, nil
}

// mismatch says how the row's columns disagree with its decoded record.
func (c *rowCols) mismatch(r Record) string {
	switch {
	case r.Index != c.idx:
		return fmt.Sprintf("stored at position %d but carries index %d", c.idx, r.Index)
	case r.Time.UnixNano() != c.timeNs || r.Action != c.action || r.OfficerID != c.officer ||
		r.CaseNumber != c.caseNo || r.Object != c.object || r.SessionCode != c.session:
		return "search columns differ from the hashed record"
	}
	return ""
}
