package session

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"caseviewer/audit"
)

// TestAuditTrailDetectsTampering edits an audit record in the station's
// database behind the station's back (as an insider with file access
// would: dropping the append-only trigger first) and checks that the
// client reports the trail as not verified and points at that record.
func TestAuditTrailDetectsTampering(t *testing.T) {
	ts := newTestStation(t, stationOpts{})
	ctx := context.Background()
	det := newClient(t, clientOpts{})
	enroll(t, det, ts, "D1")
	login(t, det, "D1")
	if _, err := det.OpenDocument(ctx, ts.docH1); err != nil {
		t.Fatal(err)
	}
	sup := newClient(t, clientOpts{})
	enroll(t, sup, ts, "S1")
	login(t, sup, "S1")
	ts.advance(6 * time.Second)
	before, err := sup.AuditTrail(ctx, "H-1", "")
	if err != nil || !before.Verified {
		t.Fatalf("trail before tampering: %v %+v", err, before)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.dir, "station.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var idx int64
	var data []byte
	if err := db.QueryRow(`SELECT idx, data FROM audit_records WHERE action='document.open' AND officer_id='D1'`).Scan(&idx, &data); err != nil {
		t.Fatal(err)
	}
	rec, err := audit.DecodeRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	rec.OfficerID = "S1" // blame someone else for the open
	if _, err := db.Exec(`DROP TRIGGER audit_records_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_records SET data=?, officer_id=? WHERE idx=?`, rec.Encode(), rec.OfficerID, idx); err != nil {
		t.Fatal(err)
	}

	ts.advance(6 * time.Second)
	after, err := sup.AuditTrail(ctx, "H-1", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(after.Detail)
	if after.Verified || after.Failed != 1 {
		t.Fatalf("tampered trail: verified %v, %d failed: %s", after.Verified, after.Failed, after.Detail)
	}
	for _, e := range after.Entries {
		if e.Index == idx && e.Verified {
			t.Fatal("the edited record is marked verified")
		}
		if e.Index != idx && e.Index < after.TreeSize && !e.Verified {
			t.Fatalf("untouched record %d not verified", e.Index)
		}
	}
}
