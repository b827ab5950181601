package audit_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"caseviewer/audit"

	_ "modernc.org/sqlite"
)

// Example shows the station appending records, signing a checkpoint, and
// a client verifying that its record is in the log.
func Example() {
	dir, err := os.MkdirTemp("", "audit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "station.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(nil)
	l, err := audit.Open(ctx, db, audit.Config{
		StationID:      "st-01",
		Signer:         key,
		CheckpointFile: filepath.Join(dir, "checkpoints.log"),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	// The station records a decision before it hands out a grant; an
	// error here means the open must be refused.
	rec, err := l.Append(ctx, audit.Record{
		Action: "document.open", Outcome: "allowed", OfficerID: "4471",
		DeviceID: "laptop-7f3a", SessionCode: "K7Q2", CaseNumber: "2026-001234",
		Object: "doc/lab-report-3.pdf", ClientAddr: "198.18.0.2:50412",
	})
	if err != nil {
		log.Fatal(err)
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		log.Fatal(err)
	}
	proof, err := l.ProveInclusion(ctx, rec.Index, cp.Size)
	if err != nil {
		log.Fatal(err)
	}

	// The client holds the station's verifier key and checks the proof.
	vkey, _ := audit.VerifierKey("st-01", key.Public().(ed25519.PublicKey))
	got, err := audit.VerifyInclusion(cp.Text, vkey, rec.Encode(), rec.Index, proof)
	fmt.Println("included:", err == nil, got.SessionCode)

	rep, err := l.Verify(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("intact:", rep.OK, "records:", rep.Size)
	// Output:
	// included: true K7Q2
	// intact: true records: 1
}
