package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProblemKind classifies a Problem found by Verify.
type ProblemKind string

// The kinds of problem Verify reports.
const (
	// ProblemMissing: no record at this index although the log is longer
	// (a deleted record).
	ProblemMissing ProblemKind = "missing"
	// ProblemReordered: the record stored at this position carries
	// another index (records swapped or moved).
	ProblemReordered ProblemKind = "reordered"
	// ProblemChanged: the record's bytes differ from the hash stored when
	// it was appended.
	ProblemChanged ProblemKind = "changed"
	// ProblemCorrupt: the record's bytes are not a valid record encoding.
	ProblemCorrupt ProblemKind = "corrupt"
	// ProblemColumns: the search columns disagree with the hashed record.
	ProblemColumns ProblemKind = "columns"
	// ProblemHashes: the stored Merkle tree hashes are missing, extra or
	// inconsistent with each other.
	ProblemHashes ProblemKind = "hashes"
	// ProblemExtra: a record lies beyond the log's recorded size.
	ProblemExtra ProblemKind = "extra"
	// ProblemCutBack: a valid checkpoint covers more records than the
	// log holds: records were removed from the end.
	ProblemCutBack ProblemKind = "cut-back"
	// ProblemCheckpointMismatch: the tree recomputed from the records
	// differs from a valid signed checkpoint of that size.
	ProblemCheckpointMismatch ProblemKind = "checkpoint-mismatch"
	// ProblemBadCheckpoint: a stored checkpoint does not parse or its
	// signature does not verify with the station's key.
	ProblemBadCheckpoint ProblemKind = "bad-checkpoint"
	// ProblemState: the log's state row (station and size) is missing or
	// names another station.
	ProblemState ProblemKind = "state"
	// ProblemCheckpointMissing: a checkpoint in the checkpoint file is
	// absent from the database (checkpoint rows were deleted), or the
	// checkpoint file itself is missing.
	ProblemCheckpointMissing ProblemKind = "checkpoint-missing"
)

// maxProblems caps Report.Problems; Report.Truncated says when more were found.
const maxProblems = 1000

// maxCheckpointFile caps the checkpoint file Verify reads (about a
// million checkpoints).
const maxCheckpointFile = 512 << 20

// verifyChunk is how many records Verify loads at a time (a variable so
// tests can cross chunk boundaries with small logs).
var verifyChunk int64 = 4096

// Problem is one thing Verify found wrong.
type Problem struct {
	// Index is the record index the problem concerns, or -1 when it
	// concerns no single record (a bad checkpoint signature, say).
	Index int64 `json:"index"`
	// Kind classifies the problem.
	Kind ProblemKind `json:"kind"`
	// What says what is wrong, in a sentence for an administrator.
	What string `json:"what"`
}

// Report is the result of Verify.
type Report struct {
	// OK is true when no problem was found: the log is intact.
	OK bool `json:"ok"`
	// Size is the number of records the log says it holds.
	Size int64 `json:"size"`
	// Records is the number of record rows found.
	Records int64 `json:"records"`
	// Checkpoints is the number of valid signed checkpoints checked
	// (database and file together).
	Checkpoints int `json:"checkpoints"`
	// Latest is the largest valid checkpoint found, if any.
	Latest *Checkpoint `json:"latest,omitempty"`
	// Problems lists what is wrong, in log order where it concerns records.
	Problems []Problem `json:"problems,omitempty"`
	// Truncated is true when more problems were found than listed.
	Truncated bool `json:"truncated,omitempty"`
}

// String formats the report for an administrator, one problem a line.
func (r *Report) String() string {
	var b strings.Builder
	if r.OK {
		fmt.Fprintf(&b, "audit log intact: %d records, %d signed checkpoints verified", r.Size, r.Checkpoints)
		if r.Latest != nil {
			fmt.Fprintf(&b, ", latest at size %d signed %s", r.Latest.Size, r.Latest.Time.Format(TimeFormat))
		}
		b.WriteString("\n")
		return b.String()
	}
	fmt.Fprintf(&b, "AUDIT LOG DAMAGED: %d problems (log size %d, %d record rows, %d valid checkpoints)\n",
		len(r.Problems), r.Size, r.Records, r.Checkpoints)
	for _, p := range r.Problems {
		if p.Index >= 0 {
			fmt.Fprintf(&b, "record %d: %s: %s\n", p.Index, p.Kind, p.What)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", p.Kind, p.What)
		}
	}
	if r.Truncated {
		b.WriteString("(more problems not listed)\n")
	}
	return b.String()
}

func (r *Report) add(index int64, kind ProblemKind, format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Truncated = true
		return
	}
	r.Problems = append(r.Problems, Problem{Index: index, Kind: kind, What: fmt.Sprintf(format, args...)})
}

// Verify recomputes the log from its records and checks it against the
// stored tree hashes, the signed checkpoints in the database and those in
// the checkpoint file. It returns an error only when it cannot read the
// log; everything wrong with the log itself is in the Report.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	return VerifyDatabase(ctx, l.db, l.vkey, l.cfg.CheckpointFile)
}

// VerifyDatabase is Verify for an auditor who holds only the station's
// verifier key (from VerifierKey), not its signing key. checkpointFile
// may be empty.
func VerifyDatabase(ctx context.Context, db *sql.DB, verifierKey, checkpointFile string) (*Report, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("audit: bad verifier key: %w", err)
	}
	stationID, ok := strings.CutPrefix(v.Name(), OriginPrefix)
	if !ok || !ValidStationID(stationID) {
		return nil, fmt.Errorf("audit: verifier key %q is not an audit log key", v.Name())
	}
	vr := &verifier{ctx: ctx, vkey: verifierKey, rep: &Report{}, cps: map[int64][]cpSource{}}
	err = readTx(ctx, db, func(q queryer) error {
		vr.tx = q
		return vr.run(stationID, checkpointFile)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: verify: %v", ErrUnavailable, err)
	}
	vr.rep.OK = len(vr.rep.Problems) == 0 && !vr.rep.Truncated
	return vr.rep, nil
}

type cpSource struct {
	c     *Checkpoint
	where string // "database" or "file line N"
}

type verifier struct {
	ctx  context.Context
	tx   queryer
	vkey string
	rep  *Report
	cps  map[int64][]cpSource
}

func (v *verifier) addCheckpoint(c *Checkpoint, where string) {
	v.cps[c.Size] = append(v.cps[c.Size], cpSource{c, where})
	v.rep.Checkpoints++
	if v.rep.Latest == nil || c.Size > v.rep.Latest.Size {
		v.rep.Latest = c
	}
}

func (v *verifier) run(stationID, file string) error {
	ctx, tx, rep := v.ctx, v.tx, v.rep
	var maxIdx, maxHash sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(idx) FROM audit_records`).Scan(&rep.Records, &maxIdx); err != nil {
		return err
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT station_id, size FROM audit_state WHERE id = 1`).Scan(&id, &rep.Size)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		rep.Size = maxIdx.Int64 + 1
		if !maxIdx.Valid {
			rep.Size = 0
		}
		rep.add(-1, ProblemState, "the log's state row is missing; taking its size from the records (%d)", rep.Size)
	case err != nil:
		return fmt.Errorf("log state: %w", err)
	case id != stationID:
		rep.add(-1, ProblemState, "the log names station %q but the key is station %q's", id, stationID)
	}
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM audit_hashes`).Scan(&maxHash); err != nil {
		return err
	}
	if err := v.loadCheckpoints(file); err != nil {
		return err
	}

	// Rebuild the tree over every position up to the larger of the
	// recorded size and the last record row.
	end := rep.Size
	if maxIdx.Valid && maxIdx.Int64+1 > end {
		end = maxIdx.Int64 + 1
	}
	if maxHash.Valid && maxHash.Int64 >= tlog.StoredHashCount(rep.Size) {
		rep.add(-1, ProblemHashes, "stored tree hashes extend beyond the log's %d records (up to hash %d)", rep.Size, maxHash.Int64)
	}
	sizes := make([]int64, 0, len(v.cps))
	for s := range v.cps {
		sizes = append(sizes, s)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })

	var content, stored frontier // tree from record bytes; tree from stored leaf hashes
	var lastGood int64           // the largest checkpoint size that matched
	ci := 0
	checkAt := func(n int64) {
		for ci < len(sizes) && sizes[ci] == n {
			th := content.root()
			for _, s := range v.cps[n] {
				if s.c.Hash != th {
					rep.add(-1, ProblemCheckpointMismatch,
						"the first %d records do not hash to the checkpoint signed %s (%s): a record in %d..%d was changed, removed or reordered",
						n, s.c.Time.Format(TimeFormat), s.where, lastGood, n-1)
				} else if n > lastGood {
					lastGood = n
				}
			}
			ci++
		}
	}
	checkAt(0)
	var missingFrom int64 = -1
	flushMissing := func(to int64) {
		if missingFrom < 0 {
			return
		}
		if to-1 == missingFrom {
			rep.add(missingFrom, ProblemMissing, "record %d is missing (deleted)", missingFrom)
		} else {
			rep.add(missingFrom, ProblemMissing, "records %d..%d are missing (deleted)", missingFrom, to-1)
		}
		missingFrom = -1
	}
	for a := int64(0); a < end; a += verifyChunk {
		b := min(a+verifyChunk, end)
		rows, err := v.loadRows(a, b)
		if err != nil {
			return err
		}
		hashes, err := v.loadHashes(tlog.StoredHashIndex(0, a), tlog.StoredHashCount(b))
		if err != nil {
			return err
		}
		hbase := tlog.StoredHashIndex(0, a)
		for p := a; p < b; p++ {
			row := rows[p-a]
			hid := tlog.StoredHashIndex(0, p)
			storedLeaf, haveLeaf := hashes[hid-hbase]
			var leaf tlog.Hash
			switch {
			case row == nil:
				if missingFrom < 0 {
					missingFrom = p
				}
				leaf = storedLeaf // keep localizing later changes
			default:
				flushMissing(p)
				leaf = tlog.RecordHash(row.data)
				v.checkRow(p, row, leaf, storedLeaf, haveLeaf)
			}
			if !haveLeaf {
				storedLeaf = leaf
			}
			content.push(leaf, nil)
			stored.push(storedLeaf, func(level int, h tlog.Hash) {
				if level == 0 {
					return // the leaf is checked against the record above
				}
				id := tlog.StoredHashIndex(level, p>>level)
				if sh, ok := hashes[id-hbase]; !ok {
					if p < rep.Size {
						rep.add(p, ProblemHashes, "stored tree hash %d (level %d) written with this record is missing", id, level)
					}
				} else if sh != h {
					rep.add(p, ProblemHashes, "stored tree hash %d (level %d) written with this record is wrong", id, level)
				}
			})
			checkAt(p + 1)
		}
	}
	flushMissing(end)
	for ; ci < len(sizes); ci++ {
		for _, s := range v.cps[sizes[ci]] {
			rep.add(end, ProblemCutBack,
				"the checkpoint signed %s (%s) covers %d records but the log holds only %d: the log was cut back",
				s.c.Time.Format(TimeFormat), s.where, s.c.Size, end)
		}
	}
	return nil
}

// checkRow checks one record row at position p.
func (v *verifier) checkRow(p int64, row *rowCols, leaf, storedLeaf tlog.Hash, haveLeaf bool) {
	rep := v.rep
	if p >= rep.Size {
		rep.add(p, ProblemExtra, "record lies beyond the log's recorded size %d", rep.Size)
	}
	r, err := DecodeRecord(row.data)
	switch {
	case err != nil:
		rep.add(p, ProblemCorrupt, "record bytes do not decode: %v", err)
	case r.Index != p:
		rep.add(p, ProblemReordered, "record stored at position %d carries index %d (records swapped or moved)", p, r.Index)
	default:
		if haveLeaf && leaf != storedLeaf {
			rep.add(p, ProblemChanged, "record bytes differ from the hash stored when it was appended (changed)")
		}
		if m := row.mismatch(r); m != "" {
			rep.add(p, ProblemColumns, "%s", m)
		}
	}
	if !haveLeaf && p < rep.Size {
		rep.add(p, ProblemHashes, "the record's stored leaf hash is missing")
	}
}

// loadRows returns the record rows for positions [a, b), nil where absent.
func (v *verifier) loadRows(a, b int64) ([]*rowCols, error) {
	out := make([]*rowCols, b-a)
	rows, err := v.tx.QueryContext(v.ctx,
		`SELECT idx, time_ns, action, officer_id, case_number, object, session_code, data
		 FROM audit_records WHERE idx >= ? AND idx < ? ORDER BY idx`, a, b)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c := new(rowCols)
		if err := rows.Scan(&c.idx, &c.timeNs, &c.action, &c.officer, &c.caseNo, &c.object, &c.session, &c.data); err != nil {
			return nil, err
		}
		out[c.idx-a] = c
	}
	return out, rows.Err()
}

// loadHashes returns the stored hashes with ids in [a, b) by id-a.
func (v *verifier) loadHashes(a, b int64) (map[int64]tlog.Hash, error) {
	out := make(map[int64]tlog.Hash, b-a)
	rows, err := v.tx.QueryContext(v.ctx, `SELECT id, hash FROM audit_hashes WHERE id >= ? AND id < ?`, a, b)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		if len(h) != tlog.HashSize {
			v.rep.add(-1, ProblemHashes, "stored tree hash %d has %d bytes", id, len(h))
			continue
		}
		out[id-a] = tlog.Hash(h)
	}
	return out, rows.Err()
}

// loadCheckpoints reads and checks the signed checkpoints in the
// database and the checkpoint file.
func (v *verifier) loadCheckpoints(file string) error {
	rows, err := v.tx.QueryContext(v.ctx, `SELECT size, hash, note FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return err
	}
	defer rows.Close()
	inDB := map[tlog.Hash]*Checkpoint{}
	for rows.Next() {
		var size int64
		var h, text []byte
		if err := rows.Scan(&size, &h, &text); err != nil {
			return err
		}
		c, err := OpenCheckpoint(text, v.vkey)
		switch {
		case err != nil:
			v.rep.add(-1, ProblemBadCheckpoint, "database checkpoint at size %d: %v", size, err)
		case c.Size != size || !bytes.Equal(h, c.Hash[:]):
			v.rep.add(-1, ProblemBadCheckpoint, "database checkpoint at size %d: columns differ from the signed text (size %d)", size, c.Size)
		default:
			v.addCheckpoint(c, "database")
			inDB[noteHash(text)] = c
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if file == "" {
		return nil
	}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		if len(inDB) > 0 {
			v.rep.add(-1, ProblemCheckpointMissing, "the checkpoint file is missing")
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCheckpointFile+1))
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	if len(data) > maxCheckpointFile {
		v.rep.add(-1, ProblemBadCheckpoint, "the checkpoint file exceeds %d bytes; only the start was checked", maxCheckpointFile)
		data = data[:maxCheckpointFile]
	}
	notes, lines, bad := splitCheckpointFile(data)
	for _, line := range bad {
		v.rep.add(-1, ProblemBadCheckpoint, "checkpoint file line %d: incomplete entry", line)
	}
	inFile := map[tlog.Hash]bool{}
	var first *Checkpoint // the earliest signed checkpoint in the file
	for i, n := range notes {
		where := fmt.Sprintf("checkpoint file line %d", lines[i])
		c, err := OpenCheckpoint(n, v.vkey)
		if err != nil {
			v.rep.add(-1, ProblemBadCheckpoint, "%s: %v", where, err)
			continue
		}
		v.addCheckpoint(c, where)
		inFile[noteHash(n)] = true
		if first == nil || c.Time.Before(first.Time) {
			first = c
		}
		if inDB[noteHash(n)] == nil {
			v.rep.add(-1, ProblemCheckpointMissing, "%s: checkpoint at size %d signed %s is not among the valid database checkpoints (rows deleted or altered)",
				where, c.Size, c.Time.Format(TimeFormat))
		}
	}
	// Every checkpoint is written to the file before the database, so
	// once the file has begun, each later database checkpoint must be in
	// it. (Checkpoints from before the file was configured are not.)
	var lost []int64
	for h, c := range inDB {
		if !inFile[h] && (first == nil || !c.Time.Before(first.Time)) {
			lost = append(lost, c.Size)
		}
	}
	if len(lost) > 0 {
		sort.Slice(lost, func(i, j int) bool { return lost[i] < lost[j] })
		v.rep.add(-1, ProblemCheckpointMissing,
			"the checkpoint file lacks %d checkpoints that the database holds (sizes %d to %d): it was truncated or rewritten",
			len(lost), lost[0], lost[len(lost)-1])
	}
	return nil
}

// emptyTreeHash is the RFC 6962 hash of the empty tree, SHA-256 of
// nothing, as tlog.TreeHash(0, r) returns it.
var emptyTreeHash = tlog.Hash(sha256.Sum256(nil))

func noteHash(b []byte) tlog.Hash { return tlog.RecordHash(b) }

// frontier is the right edge of a Merkle tree being built leaf by leaf:
// the roots of its complete subtrees, largest first. It computes the
// same hashes as tlog.StoredHashes and tlog.TreeHash in O(log n) memory.
type frontier struct {
	levels []int
	hashes []tlog.Hash
}

// push adds a leaf hash and calls emit (if not nil) for each hash tlog
// stores for that leaf, in stored-hash order, level 0 first.
func (f *frontier) push(h tlog.Hash, emit func(level int, h tlog.Hash)) {
	level := 0
	if emit != nil {
		emit(0, h)
	}
	for n := len(f.levels); n > 0 && f.levels[n-1] == level; n = len(f.levels) {
		h = tlog.NodeHash(f.hashes[n-1], h)
		f.levels, f.hashes = f.levels[:n-1], f.hashes[:n-1]
		level++
		if emit != nil {
			emit(level, h)
		}
	}
	f.levels = append(f.levels, level)
	f.hashes = append(f.hashes, h)
}

// root returns the tree hash of the leaves pushed so far.
func (f *frontier) root() tlog.Hash {
	if len(f.hashes) == 0 {
		return emptyTreeHash
	}
	h := f.hashes[len(f.hashes)-1]
	for i := len(f.hashes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.hashes[i], h)
	}
	return h
}
