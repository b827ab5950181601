package station

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"caseviewer/wire"
)

// TestWipeReceiptFieldsChecked: a signed receipt cannot smuggle separators
// or control characters into its audit record.
func TestWipeReceiptFieldsChecked(t *testing.T) {
	e := newEnv(t)
	l := e.newLaptop("D1")
	for _, r := range []wire.WipeReceipt{
		{Items: []string{"grants,trigger=manual"}},
		{Items: []string{"grants\nforged"}},
		{OfficerID: "D1 and D2", Items: []string{"grants"}},
	} {
		r.StationID, r.DeviceID, r.Trigger, r.WipedAt, r.Nonce = "ST-TEST", l.deviceID, wire.WipeLogout, e.clock.Now(), bytes.Repeat([]byte{1}, 16)
		signed, err := wire.SignWipeReceipt(r, l.sign)
		must(t, err)
		wantCode(t, l.do("POST", wire.PathWipe, signed, nil), wire.CodeBadRequest)
	}
	if n := len(e.records("device.wipe")); n != 0 {
		t.Fatalf("%d wipe records from malformed receipts", n)
	}
}

// TestDataFolderOwnerOnly: the database (password hashes, audit log) and
// the keys are readable by their owner alone.
func TestDataFolderOwnerOnly(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{fileDB, fileDB + "-wal", fileStationKey, fileMasterKey, fileCAKey, fileServerKey, fileCheckpoints} {
		fi, err := os.Stat(filepath.Join(e.st.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", name, fi.Mode().Perm())
		}
	}
}
