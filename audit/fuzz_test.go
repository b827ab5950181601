package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// FuzzDecodeRecord checks that DecodeRecord never panics and accepts only
// canonical encodings: whatever it accepts re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(goldenRecord.Encode())
	f.Add(Record{Time: time.Unix(0, 0)}.Encode())
	for _, b := range invalidRecords() {
		if len(b) <= MaxRecordSize {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		if enc := r.Encode(); !bytes.Equal(enc, b) {
			t.Fatalf("accepted non-canonical encoding:\n in  %x\n out %x", b, enc)
		}
		n := r
		if err := n.normalize(); err != nil || n != r {
			t.Fatalf("decoded record is not normal: %v", err)
		}
	})
}

// FuzzParseCheckpointBody checks that checkpoint text parsing never
// panics and accepts only the canonical form.
func FuzzParseCheckpointBody(f *testing.F) {
	f.Add(formatCheckpointBody("st-01", 7, tlog.Hash{9}, goldenRecord.Time))
	f.Add(formatCheckpointBody("a", 0, emptyTreeHash, time.Unix(0, 0)))
	f.Add([]byte("go.sum database tree\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("caseviewer-audit/x\n-1\n\ntime \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpointBody(b)
		if err != nil {
			return
		}
		if out := formatCheckpointBody(c.StationID, c.Size, c.Hash, c.Time); !bytes.Equal(out, b) {
			t.Fatalf("accepted non-canonical checkpoint:\n in  %q\n out %q", b, out)
		}
	})
}

// FuzzOpenCheckpoint checks signed checkpoint notes and the checkpoint
// file splitter against arbitrary bytes: no panics, and only notes that
// verify with the station's key are accepted.
func FuzzOpenCheckpoint(f *testing.F) {
	note, err := os.ReadFile(filepath.Join("testdata", "checkpoint-v1.note"))
	if err != nil {
		f.Fatal(err)
	}
	vkeyText, err := os.ReadFile(filepath.Join("testdata", "verifier-key.txt"))
	if err != nil {
		f.Fatal(err)
	}
	vkey := string(bytes.TrimSpace(vkeyText))
	f.Add(note)
	f.Add(append(bytes.Clone(note), note...))
	f.Add(note[:len(note)-3])
	f.Add(bytes.Replace(note, []byte("43"), []byte("44"), 1))
	f.Add([]byte("a\n\n— b c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := OpenCheckpoint(b, vkey); err == nil {
			if c.StationID != "st-01" || !bytes.Equal(c.Text, b) {
				t.Fatalf("opened %+v", c)
			}
		}
		notes, lines, bad := splitCheckpointFile(b)
		if len(lines) != len(notes) {
			t.Fatalf("%d notes, %d line numbers", len(notes), len(lines))
		}
		_ = bad
		for _, n := range notes {
			if !bytes.Contains(b, n) || len(n) == 0 {
				t.Fatalf("split produced %q from %q", n, b)
			}
		}
	})
}
