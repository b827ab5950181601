package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

const testStation = "st-01"

func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, t.Name())
	return ed25519.NewKeyFromSeed(seed)
}

// stationDSN opens the database as the station does: WAL, immediate
// write transactions, a busy timeout.
func stationDSN(dir string, busy time.Duration) string {
	return "file:" + filepath.Join(dir, "station.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		fmt.Sprintf("&_pragma=busy_timeout(%d)&_txlock=immediate", busy.Milliseconds())
}

func openDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", stationDSN(dir, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type fixture struct {
	dir  string
	db   *sql.DB
	log  *Log
	cfg  Config
	recs []Record
}

// newFixture opens a log in a temp dir and appends n records, with a
// checkpoint every `every` records.
func newFixture(t testing.TB, n, every int) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, db: openDB(t, dir)}
	f.cfg = Config{
		StationID:       testStation,
		Signer:          testKey(t),
		CheckpointEvery: every,
		CheckpointFile:  filepath.Join(dir, "checkpoints.log"),
	}
	l, err := Open(context.Background(), f.db, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f.log = l
	for i := range n {
		f.append(t, i)
	}
	return f
}

func (f *fixture) append(t testing.TB, i int) Record {
	t.Helper()
	r, err := f.log.Append(context.Background(), Record{
		Action:          "document.open",
		Outcome:         "allowed",
		OfficerID:       fmt.Sprintf("officer-%d", i%3),
		DeviceID:        "laptop-7",
		SessionCode:     fmt.Sprintf("S%03d", i%5),
		ClientAddr:      "198.18.0.2:50000",
		StationAddr:     "198.18.0.1:443",
		CaseNumber:      fmt.Sprintf("2026-%04d", i%4),
		Object:          fmt.Sprintf("doc-%d", i),
		Detail:          fmt.Sprintf("record number %d", i),
		Bytes:           int64(1000 + i),
		SessionDuration: time.Duration(i) * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.recs = append(f.recs, r)
	return r
}

// exec runs raw SQL as an attacker with database access would, after
// dropping the append-only triggers.
func (f *fixture) exec(t testing.TB, stmts ...string) {
	t.Helper()
	for _, tr := range []string{"audit_records_no_update", "audit_records_no_delete", "audit_hashes_no_update",
		"audit_hashes_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"} {
		if _, err := f.db.Exec("DROP TRIGGER IF EXISTS " + tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stmts {
		if _, err := f.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func (f *fixture) verify(t testing.TB) *Report {
	t.Helper()
	rep, err := f.log.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestAppendSetsIndexTimeAndStation(t *testing.T) {
	f := newFixture(t, 0, 0)
	before := time.Now()
	for i := range 5 {
		r := f.append(t, i)
		if r.Index != int64(i) {
			t.Fatalf("record %d got index %d", i, r.Index)
		}
		if r.Time.Before(before) || r.Time.Location() != time.UTC {
			t.Fatalf("time %v not set to now in UTC", r.Time)
		}
		if r.StationID != testStation {
			t.Fatalf("station ID %q", r.StationID)
		}
	}
	given := time.Date(2026, 12, 3, 18, 0, 0, 123456789, time.FixedZone("X", 3600))
	r, err := f.log.Append(context.Background(), Record{Action: "login", Outcome: "failed", Time: given, StationID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(given) || r.Time.Location() != time.UTC || r.StationID != "other" {
		t.Fatalf("given fields not kept: %+v", r)
	}
	got, err := f.log.Get(context.Background(), r.Index)
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Fatalf("Get = %+v, want %+v", got, r)
	}
	if s := got.Time.Format(TimeFormat); s != "2026-12-03T17:00:00.123456789Z" {
		t.Fatalf("formatted time %q", s)
	}
}

func TestAppendNormalizes(t *testing.T) {
	f := newFixture(t, 0, 0)
	r, err := f.log.Append(context.Background(), Record{
		Action:    "login",
		OfficerID: "bad\xffutf8",
		Detail:    strings.Repeat("é", MaxDetailLen), // twice the cap in bytes
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.OfficerID != "bad\uFFFDutf8" {
		t.Errorf("officer ID %q", r.OfficerID)
	}
	if len(r.Detail) > MaxDetailLen || !strings.HasSuffix(r.Detail, truncMark) {
		t.Errorf("detail not truncated: %d bytes", len(r.Detail))
	}
	if _, err := DecodeRecord(r.Encode()); err != nil {
		t.Errorf("normalized record does not decode: %v", err)
	}
	for _, bad := range []Record{{Bytes: -1}, {SessionDuration: -1}, {Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		if _, err := f.log.Append(context.Background(), bad); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("Append(%+v) = %v, want ErrInvalidRecord", bad, err)
		}
	}
}

func TestQuery(t *testing.T) {
	f := newFixture(t, 24, 0)
	ctx := context.Background()
	cases := []struct {
		name string
		f    Filter
		keep func(Record) bool
	}{
		{"all", Filter{}, func(Record) bool { return true }},
		{"case", Filter{CaseNumber: "2026-0001"}, func(r Record) bool { return r.CaseNumber == "2026-0001" }},
		{"officer", Filter{OfficerID: "officer-2"}, func(r Record) bool { return r.OfficerID == "officer-2" }},
		{"case and officer", Filter{CaseNumber: "2026-0002", OfficerID: "officer-2"},
			func(r Record) bool { return r.CaseNumber == "2026-0002" && r.OfficerID == "officer-2" }},
		{"object", Filter{Object: "doc-7"}, func(r Record) bool { return r.Object == "doc-7" }},
		{"session", Filter{SessionCode: "S004"}, func(r Record) bool { return r.SessionCode == "S004" }},
		{"since", Filter{Since: f.recs[10].Time}, func(r Record) bool { return !r.Time.Before(f.recs[10].Time) }},
		{"until", Filter{Until: f.recs[10].Time}, func(r Record) bool { return r.Time.Before(f.recs[10].Time) }},
		{"from index", Filter{FromIndex: 20}, func(r Record) bool { return r.Index >= 20 }},
		{"none", Filter{OfficerID: "nobody"}, func(Record) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.log.Query(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var want []Record
			for _, r := range f.recs {
				if c.keep(r) {
					want = append(want, r)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("record %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
	got, err := f.log.Query(ctx, Filter{Limit: 3})
	if err != nil || len(got) != 3 || got[2].Index != 2 {
		t.Fatalf("limit 3: %d records, %v", len(got), err)
	}

	// A record tampered in place fails the query instead of being served.
	f.exec(t, `UPDATE audit_records SET officer_id = 'officer-9' WHERE idx = 4`)
	if _, err := f.log.Query(ctx, Filter{OfficerID: "officer-9"}); !errors.Is(err, ErrTampered) {
		t.Fatalf("query over tampered row: %v, want ErrTampered", err)
	}
}

func TestCleanLogVerifies(t *testing.T) {
	f := newFixture(t, 50, 8)
	if _, err := f.log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep := f.verify(t)
	if !rep.OK || len(rep.Problems) != 0 {
		t.Fatalf("clean log reported damaged:\n%s", rep)
	}
	// 7 checkpoints (8..48 and 50) in the database and the file each.
	if rep.Size != 50 || rep.Records != 50 || rep.Checkpoints != 14 || rep.Latest == nil || rep.Latest.Size != 50 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(rep.String(), "intact") {
		t.Fatalf("report text %q", rep.String())
	}
}

func TestVerifyEmptyLog(t *testing.T) {
	f := newFixture(t, 0, 0)
	if rep := f.verify(t); !rep.OK || rep.Size != 0 {
		t.Fatalf("empty log: %s", rep)
	}
	c, err := f.log.Checkpoint(context.Background())
	if err != nil || c.Size != 0 || c.Hash != emptyTreeHash {
		t.Fatalf("empty checkpoint %+v, %v", c, err)
	}
	if rep := f.verify(t); !rep.OK || rep.Checkpoints != 2 {
		t.Fatalf("empty log with checkpoint: %s", rep)
	}
}

// flipByte returns the record bytes at idx with one byte of the Detail
// text changed, keeping it a valid encoding.
func flipByte(t testing.TB, f *fixture, idx int64) string {
	t.Helper()
	var data []byte
	if err := f.db.QueryRow(`SELECT data FROM audit_records WHERE idx = ?`, idx).Scan(&data); err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0x01 // last byte of Detail: a digit becomes another digit
	return fmt.Sprintf("UPDATE audit_records SET data = X'%x' WHERE idx = %d", data, idx)
}

func TestVerifyDetectsTampering(t *testing.T) {
	swapCols := "time_ns, action, officer_id, case_number, object, session_code, data"
	swap := func(a, b int) []string {
		return []string{
			fmt.Sprintf(`CREATE TEMP TABLE sw AS SELECT idx, %s FROM audit_records WHERE idx IN (%d, %d)`, swapCols, a, b),
			fmt.Sprintf(`UPDATE audit_records SET (%s) = (SELECT %s FROM sw WHERE sw.idx = %d) WHERE idx = %d`, swapCols, swapCols, b, a),
			fmt.Sprintf(`UPDATE audit_records SET (%s) = (SELECT %s FROM sw WHERE sw.idx = %d) WHERE idx = %d`, swapCols, swapCols, a, b),
			`DROP TABLE sw`,
		}
	}
	cut := func(n int64) []string {
		return []string{
			fmt.Sprintf(`DELETE FROM audit_records WHERE idx >= %d`, n),
			fmt.Sprintf(`DELETE FROM audit_hashes WHERE id >= %d`, tlog.StoredHashCount(n)),
			fmt.Sprintf(`UPDATE audit_state SET size = %d`, n),
		}
	}
	type want = wantProblem
	cases := []struct {
		name   string
		tamper func(t *testing.T, f *fixture) []string
		noFile bool
		want   []want
	}{
		{"deleted record", func(*testing.T, *fixture) []string {
			return []string{`DELETE FROM audit_records WHERE idx = 5`}
		}, false, []want{{ProblemMissing, 5}}},
		{"deleted record and renumbered the rest", func(*testing.T, *fixture) []string {
			return []string{`DELETE FROM audit_records WHERE idx = 5`,
				`UPDATE audit_records SET idx = idx - 1 WHERE idx > 5`,
				`UPDATE audit_state SET size = size - 1`}
		}, false, []want{{ProblemReordered, 5}, {ProblemReordered, 20}, {ProblemCheckpointMismatch, -1}}},
		{"two records swapped", func(*testing.T, *fixture) []string {
			return swap(3, 11)
		}, false, []want{{ProblemReordered, 3}, {ProblemReordered, 11}, {ProblemCheckpointMismatch, -1}}},
		{"one byte changed", func(t *testing.T, f *fixture) []string {
			return []string{flipByte(t, f, 9)}
		}, false, []want{{ProblemChanged, 9}, {ProblemCheckpointMismatch, -1}}},
		{"one byte changed and stored hash rewritten", func(t *testing.T, f *fixture) []string {
			var data []byte
			f.db.QueryRow(`SELECT data FROM audit_records WHERE idx = 9`).Scan(&data)
			data[len(data)-1] ^= 0x01
			h := tlog.RecordHash(data)
			return []string{flipByte(t, f, 9),
				fmt.Sprintf(`UPDATE audit_hashes SET hash = X'%x' WHERE id = %d`, h[:], tlog.StoredHashIndex(0, 9))}
		}, false, []want{{ProblemHashes, 9}, {ProblemCheckpointMismatch, -1}}},
		{"header byte changed", func(t *testing.T, f *fixture) []string {
			return []string{`UPDATE audit_records SET data = CAST(X'00' || substr(data, 2) AS BLOB) WHERE idx = 2`}
		}, false, []want{{ProblemCorrupt, 2}}},
		{"search column changed", func(t *testing.T, f *fixture) []string {
			return []string{`UPDATE audit_records SET case_number = '2026-9999' WHERE idx = 7`}
		}, false, []want{{ProblemColumns, 7}}},
		{"cut back behind a checkpoint", func(*testing.T, *fixture) []string {
			return cut(13)
		}, false, []want{{ProblemCutBack, 13}}},
		{"cut back with checkpoint rows deleted", func(*testing.T, *fixture) []string {
			return append(cut(13), `DELETE FROM audit_checkpoints WHERE size > 13`)
		}, false, []want{{ProblemCutBack, 13}, {ProblemCheckpointMissing, -1}}},
		{"cut back, rows deleted, no file, older checkpoint kept", func(*testing.T, *fixture) []string {
			return append(cut(13), `DELETE FROM audit_checkpoints WHERE size > 16`)
		}, true, []want{{ProblemCutBack, 13}}},
		{"record inserted behind the log's back", func(*testing.T, *fixture) []string {
			r := goldenRecord
			r.Index = 24
			return []string{fmt.Sprintf(`INSERT INTO audit_records VALUES (24, 0, '', '', '', '', '', X'%x')`, r.Encode())}
		}, false, []want{{ProblemExtra, 24}}},
		{"state row deleted", func(*testing.T, *fixture) []string {
			return []string{`DELETE FROM audit_state`}
		}, false, []want{{ProblemState, -1}}},
		{"checkpoint file truncated", func(t *testing.T, f *fixture) []string {
			if err := os.WriteFile(f.cfg.CheckpointFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		}, false, []want{{ProblemCheckpointMissing, -1}}},
		{"checkpoint file deleted", func(t *testing.T, f *fixture) []string {
			if err := os.Remove(f.cfg.CheckpointFile); err != nil {
				t.Fatal(err)
			}
			return nil
		}, false, []want{{ProblemCheckpointMissing, -1}}},
		{"checkpoint signature altered", func(t *testing.T, f *fixture) []string {
			var text []byte
			if err := f.db.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = 8`).Scan(&text); err != nil {
				t.Fatal(err)
			}
			i := len(text) - 10 // inside the base64 signature
			text[i] = map[bool]byte{true: 'A', false: 'B'}[text[i] != 'A']
			return []string{fmt.Sprintf(`UPDATE audit_checkpoints SET note = X'%x' WHERE size = 8`, text)}
		}, false, []want{{ProblemBadCheckpoint, -1}}},
		{"checkpoint signed by another key", func(t *testing.T, f *fixture) []string {
			other, _, _ := newSigner(testStation, ed25519.NewKeyFromSeed(make([]byte, 32)))
			l := &Log{cfg: f.cfg, signer: other}
			h := tlog.Hash{1}
			text := signBody(t, l, 23, h, time.Now())
			return []string{fmt.Sprintf(`INSERT INTO audit_checkpoints (size, hash, time_ns, note) VALUES (23, X'%x', 0, X'%x')`, h[:], text)}
		}, false, []want{{ProblemBadCheckpoint, -1}}},
	}
	defer func(n int64) { verifyChunk = n }(verifyChunk)
	for _, chunk := range []int64{verifyChunk, 5} {
		verifyChunk = chunk
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/chunk=%d", c.name, chunk), func(t *testing.T) {
				testTamper(t, c.tamper, c.noFile, c.want)
			})
		}
	}
}

type wantProblem struct {
	kind  ProblemKind
	index int64
}

func testTamper(t *testing.T, tamper func(*testing.T, *fixture) []string, noFile bool, want []wantProblem) {
	t.Helper()
	f := newFixture(t, 24, 8)
	if noFile {
		f.log.cfg.CheckpointFile = ""
	}
	f.exec(t, tamper(t, f)...)
	rep := f.verify(t)
	if rep.OK {
		t.Fatalf("tampered log verified OK:\n%s", rep)
	}
	for _, w := range want {
		found := false
		for _, p := range rep.Problems {
			if p.Kind == w.kind && p.Index == w.index {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s problem at %d in:\n%s", w.kind, w.index, rep)
		}
	}
	t.Logf("report:\n%s", rep)
}

func signBody(t testing.TB, l *Log, size int64, h tlog.Hash, now time.Time) []byte {
	t.Helper()
	text, err := l.sign(formatCheckpointBody(l.cfg.StationID, size, h, now))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestCheckpointEveryAndFile(t *testing.T) {
	f := newFixture(t, 10, 4)
	c, err := f.log.Latest(context.Background())
	if err != nil || c.Size != 8 {
		t.Fatalf("latest after 10 records every 4: %+v, %v", c, err)
	}
	data, err := os.ReadFile(f.cfg.CheckpointFile)
	if err != nil {
		t.Fatal(err)
	}
	notes, _, bad := splitCheckpointFile(data)
	if len(notes) != 2 || len(bad) != 0 {
		t.Fatalf("checkpoint file holds %d notes, %d bad", len(notes), len(bad))
	}
	for i, n := range notes {
		c, err := OpenCheckpoint(n, f.log.VerifierKey())
		if err != nil || c.Size != int64(4*(i+1)) {
			t.Fatalf("file checkpoint %d: %+v, %v", i, c, err)
		}
	}
	// On demand: grows to 10; again without growth returns the same one.
	c1, err := f.log.Checkpoint(context.Background())
	if err != nil || c1.Size != 10 {
		t.Fatalf("checkpoint: %+v, %v", c1, err)
	}
	c2, err := f.log.Checkpoint(context.Background())
	if err != nil || string(c2.Text) != string(c1.Text) {
		t.Fatalf("second checkpoint differs: %v", err)
	}
}

func TestTornCheckpointFile(t *testing.T) {
	f := newFixture(t, 4, 2) // checkpoints at 2 and 4
	tear := func(n int) {
		t.Helper()
		data, err := os.ReadFile(f.cfg.CheckpointFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.cfg.CheckpointFile, data[:len(data)-n], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tear(20) // a crash tore the entry for 4 inside its signature line
	for i := 4; i < 8; i++ {
		f.append(t, i) // checkpoints at 6 and 8
	}
	tear(150) // and the entry for 8 inside its text
	for i := 8; i < 10; i++ {
		f.append(t, i) // checkpoint at 10
	}
	data, _ := os.ReadFile(f.cfg.CheckpointFile)
	notes, _, bad := splitCheckpointFile(data)
	if len(notes) != 4 || len(bad) != 1 || bad[0] != 19 {
		t.Fatalf("split: %d notes, bad lines %v, in:\n%s", len(notes), bad, data)
	}
	rep := f.verify(t)
	var kinds []ProblemKind
	for _, p := range rep.Problems {
		kinds = append(kinds, p.Kind)
	}
	// Both torn entries are reported, and that the file lacks their
	// checkpoints (still in the database); the entries after them are read
	// and checked.
	if rep.OK || rep.Checkpoints != 5+3 || fmt.Sprint(kinds) != "[bad-checkpoint bad-checkpoint checkpoint-missing]" ||
		!strings.Contains(rep.Problems[2].What, "lacks 2 checkpoints") {
		t.Fatalf("report:\n%s", rep)
	}
	t.Logf("report:\n%s", rep)
}

func TestCheckpointRefusesCutBackLog(t *testing.T) {
	f := newFixture(t, 8, 4)
	f.exec(t, `DELETE FROM audit_records WHERE idx >= 6`,
		fmt.Sprintf(`DELETE FROM audit_hashes WHERE id >= %d`, tlog.StoredHashCount(6)),
		`UPDATE audit_state SET size = 6`)
	_, err := f.log.Checkpoint(context.Background())
	if !errors.Is(err, ErrTampered) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Checkpoint over a cut-back log = %v, want ErrTampered and ErrUnavailable", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointRefusesRewrittenHistory: someone with write access to the
// database (but not the signing key) rewrites records and stored hashes
// behind the last signed checkpoint, then waits for the station to sign a
// checkpoint over the rewritten tree. The station must refuse.
func TestCheckpointRefusesRewrittenHistory(t *testing.T) {
	hashRow := func(id int64, h tlog.Hash) string {
		return fmt.Sprintf(`UPDATE audit_hashes SET hash = X'%x' WHERE id = %d`, h[:], id)
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, f *fixture) []string
	}{
		{"untouched", nil},
		{"record rewritten, every stored hash recomputed", func(t *testing.T, f *fixture) []string {
			r := f.recs[2]
			r.Detail = "nothing happened here"
			stmts := []string{fmt.Sprintf(`UPDATE audit_records SET data = X'%x' WHERE idx = 2`, r.Encode())}
			var data [][]byte
			rows, err := f.db.Query(`SELECT data FROM audit_records ORDER BY idx`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var d []byte
				must(t, rows.Scan(&d))
				data = append(data, d)
			}
			must(t, rows.Close())
			data[2] = r.Encode()
			var stored []tlog.Hash
			hr := tlog.HashReaderFunc(func(ids []int64) ([]tlog.Hash, error) {
				out := make([]tlog.Hash, len(ids))
				for i, id := range ids {
					out[i] = stored[id]
				}
				return out, nil
			})
			for i, d := range data {
				hs, err := tlog.StoredHashes(int64(i), d, hr)
				must(t, err)
				stored = append(stored, hs...)
			}
			for id, h := range stored {
				stmts = append(stmts, hashRow(int64(id), h))
			}
			return stmts
		}},
		{"root of the signed tree rewritten", func(t *testing.T, f *fixture) []string {
			return []string{hashRow(tlog.StoredHashIndex(3, 0), tlog.RecordHash([]byte("forged")))}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 8, 4) // signed at 4 and 8
			ctx := context.Background()
			if c.tamper != nil {
				f.exec(t, c.tamper(t, f)...)
			}
			f.append(t, 8)
			f.append(t, 9)
			before, err := os.ReadFile(f.cfg.CheckpointFile)
			must(t, err)
			cp, err := f.log.Checkpoint(ctx)
			if c.tamper == nil {
				if err != nil || cp.Size != 10 {
					t.Fatalf("Checkpoint over an intact log = %+v, %v", cp, err)
				}
				return
			}
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "does not extend the checkpoint signed at size 8") {
				t.Fatalf("Checkpoint over a rewritten log = %v, want ErrTampered naming the checkpoint at 8", err)
			}
			if latest, err := f.log.Latest(ctx); err != nil || latest.Size != 8 {
				t.Fatalf("latest checkpoint after the refusal = %+v, %v; want size 8", latest, err)
			}
			after, err := os.ReadFile(f.cfg.CheckpointFile)
			must(t, err)
			if string(after) != string(before) {
				t.Fatal("a checkpoint of the rewritten tree was written to the checkpoint file")
			}
		})
	}
}

func TestLatestNone(t *testing.T) {
	f := newFixture(t, 3, -1)
	if _, err := f.log.Latest(context.Background()); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest = %v, want ErrNoCheckpoint", err)
	}
}

func TestCheckpointTimer(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	l, err := Open(context.Background(), db, Config{StationID: testStation, Signer: testKey(t), CheckpointEvery: -1,
		CheckpointInterval: 20 * time.Millisecond, OnError: func(err error) { t.Error(err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(context.Background(), Record{Action: "login"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := l.Latest(context.Background())
		if err == nil && c.Size == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no timed checkpoint: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAppendFailsClosed(t *testing.T) {
	ctx := context.Background()
	t.Run("database closed", func(t *testing.T) {
		f := newFixture(t, 2, 0)
		f.db.Close()
		if _, err := f.log.Append(ctx, Record{Action: "document.open"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Append = %v, want ErrUnavailable", err)
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		f := newFixture(t, 2, 0)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.log.Append(cctx, Record{Action: "document.open"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Append = %v, want ErrUnavailable", err)
		}
		// Nothing half-written: the log still verifies and appends go on.
		if rep := f.verify(t); !rep.OK || rep.Size != 2 {
			t.Fatalf("after canceled append:\n%s", rep)
		}
		if r := f.append(t, 2); r.Index != 2 {
			t.Fatalf("next index %d", r.Index)
		}
	})
	t.Run("database locked by another writer", func(t *testing.T) {
		dir := t.TempDir()
		db, err := sql.Open("sqlite", stationDSN(dir, 50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		l, err := Open(ctx, db, Config{StationID: testStation, Signer: testKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		other := openDB(t, dir)
		tx, err := other.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`INSERT INTO audit_state (id, station_id, size) VALUES (2, 'x', 0)`); err == nil {
			t.Fatal("CHECK constraint did not hold")
		}
		if _, err := tx.Exec(`CREATE TABLE lock_holder (x)`); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, Record{Action: "document.open"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Append under a held write lock = %v, want ErrUnavailable", err)
		}
	})
	t.Run("checkpoint file unwritable", func(t *testing.T) {
		f := newFixture(t, 2, 0)
		if err := os.Remove(f.cfg.CheckpointFile); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(f.cfg.CheckpointFile, 0o700); err != nil { // a folder where the file was
			t.Fatal(err)
		}
		if _, err := f.log.Checkpoint(ctx); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Checkpoint = %v, want ErrUnavailable", err)
		}
		if _, err := f.log.Latest(ctx); !errors.Is(err, ErrNoCheckpoint) {
			t.Fatalf("a checkpoint was stored without its file entry: %v", err)
		}
	})
	t.Run("closed log", func(t *testing.T) {
		f := newFixture(t, 1, 0)
		f.log.Close()
		if _, err := f.log.Append(ctx, Record{}); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Close = %v", err)
		}
	})
}

// TestReadsDoNotBlockAppends holds the read snapshot that Verify and the
// proofs use open while appending: with the station's _txlock=immediate
// DSN a BEGIN through database/sql would take the write lock instead.
func TestReadsDoNotBlockAppends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", stationDSN(dir, 300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := Open(ctx, db, Config{StationID: testStation, Signer: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(ctx, Record{Action: "a"}); err != nil {
		t.Fatal(err)
	}
	err = readTx(ctx, db, func(q queryer) error {
		var n int64
		if err := q.QueryRowContext(ctx, `SELECT size FROM audit_state`).Scan(&n); err != nil {
			return err
		}
		if _, err := l.Append(ctx, Record{Action: "b"}); err != nil {
			return fmt.Errorf("append during a read snapshot: %w", err)
		}
		// The snapshot still sees the old size.
		if err := q.QueryRowContext(ctx, `SELECT size FROM audit_state`).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("snapshot size %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAppendOnlyTriggers(t *testing.T) {
	f := newFixture(t, 3, 2)
	for _, s := range []string{
		`DELETE FROM audit_records WHERE idx = 1`,
		`UPDATE audit_records SET data = X'00' WHERE idx = 1`,
		`DELETE FROM audit_hashes`,
		`UPDATE audit_hashes SET hash = X'00'`,
		`DELETE FROM audit_checkpoints`,
	} {
		if _, err := f.db.Exec(s); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refusal", s, err)
		}
	}
}

func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	cfg := Config{StationID: testStation, Signer: testKey(t), CheckpointEvery: 7}
	// Two Log values over two pools model two station processes.
	l1, err := Open(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Open(context.Background(), openDB(t, dir), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := l1
			if g%2 == 1 {
				l = l2
			}
			for i := range 15 {
				r, err := l.Append(context.Background(), Record{Action: "x", Detail: fmt.Sprint(g, i)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[r.Index] {
					t.Errorf("index %d handed out twice", r.Index)
				}
				seen[r.Index] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rep, err := l1.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Size != 60 || len(seen) != 60 {
		t.Fatalf("after concurrent appends (%d indices):\n%s", len(seen), rep)
	}
}

func TestOpenChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, dir)
	if _, err := Open(ctx, db, Config{StationID: "bad id", Signer: testKey(t)}); err == nil {
		t.Error("station ID with a space accepted")
	}
	if _, err := Open(ctx, db, Config{StationID: testStation}); err == nil {
		t.Error("missing signer accepted")
	}
	if _, err := Open(ctx, db, Config{StationID: testStation, Signer: testKey(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, db, Config{StationID: "st-02", Signer: testKey(t)}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("other station's Open on the same log = %v", err)
	}
	var mode string
	db.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal mode %q, want wal", mode)
	}
}

func TestFrontierMatchesTlog(t *testing.T) {
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = stored[x]
		}
		return out, nil
	})
	var fr frontier
	for n := int64(0); n < 70; n++ {
		want, err := tlog.TreeHash(n, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := fr.root(); got != want {
			t.Fatalf("size %d: frontier %v, tlog %v", n, got, want)
		}
		data := []byte(fmt.Sprint("leaf ", n))
		hs, err := tlog.StoredHashes(n, data, r)
		if err != nil {
			t.Fatal(err)
		}
		var emitted []tlog.Hash
		fr.push(tlog.RecordHash(data), func(_ int, h tlog.Hash) { emitted = append(emitted, h) })
		if fmt.Sprint(emitted) != fmt.Sprint(hs) {
			t.Fatalf("leaf %d: emitted %v, tlog stores %v", n, emitted, hs)
		}
		stored = append(stored, hs...)
	}
}
