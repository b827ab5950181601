package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestInclusionProofs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 20, 8)
	c, err := f.log.Checkpoint(ctx)
	if err != nil || c.Size != 20 {
		t.Fatalf("checkpoint %+v, %v", c, err)
	}
	vkey := f.log.VerifierKey()
	for i := int64(0); i < 20; i++ {
		p, err := f.log.ProveInclusion(ctx, i, c.Size)
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.log.Get(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		got, err := VerifyInclusion(c.Text, vkey, r.Encode(), i, p)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got != f.recs[i] {
			t.Fatalf("record %d verified as %+v, appended %+v", i, got, f.recs[i])
		}
	}

	// Against an older checkpoint too.
	old := oldCheckpoint(t, f, 8)
	p, err := f.log.ProveInclusion(ctx, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyInclusion(old, vkey, f.recs[3].Encode(), 3, p); err != nil {
		t.Fatalf("inclusion in older checkpoint: %v", err)
	}

	p5, err := f.log.ProveInclusion(ctx, 5, c.Size)
	if err != nil {
		t.Fatal(err)
	}
	changed := f.recs[5]
	changed.Detail = "record number 6"
	flipped := append(tlog.RecordProof(nil), p5...)
	flipped[1][0] ^= 1
	otherKey, err := VerifierKey(testStation, ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	forgedText := bytes.Replace(c.Text, []byte("\n20\n"), []byte("\n21\n"), 1)
	cases := []struct {
		name       string
		checkpoint []byte
		vkey       string
		record     []byte
		index      int64
		proof      tlog.RecordProof
		want       error
	}{
		{"record changed", c.Text, vkey, changed.Encode(), 5, p5, ErrBadProof},
		{"other record, same proof", c.Text, vkey, f.recs[6].Encode(), 6, p5, ErrBadProof},
		{"index claimed differs from record", c.Text, vkey, f.recs[5].Encode(), 6, p5, ErrBadProof},
		{"proof hash flipped", c.Text, vkey, f.recs[5].Encode(), 5, flipped, ErrBadProof},
		{"proof cut short", c.Text, vkey, f.recs[5].Encode(), 5, p5[1:], ErrBadProof},
		{"index outside checkpoint", old, vkey, f.recs[10].Encode(), 10, p5, ErrBadProof},
		{"checkpoint text altered", forgedText, vkey, f.recs[5].Encode(), 5, p5, ErrBadSignature},
		{"other station key", c.Text, otherKey, f.recs[5].Encode(), 5, p5, ErrBadSignature},
		{"record not canonical", c.Text, vkey, append(f.recs[5].Encode(), 0), 5, p5, ErrInvalidRecord},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyInclusion(tc.checkpoint, tc.vkey, tc.record, tc.index, tc.proof); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyInclusion = %v, want %v", err, tc.want)
			}
		})
	}

	for _, r := range [][2]int64{{-1, 20}, {20, 20}, {3, 21}, {5, 5}} {
		if _, err := f.log.ProveInclusion(ctx, r[0], r[1]); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("ProveInclusion(%d, %d) = %v, want ErrOutOfRange", r[0], r[1], err)
		}
	}
}

// oldCheckpoint returns the stored signed checkpoint of the given size.
func oldCheckpoint(t *testing.T, f *fixture, size int64) []byte {
	t.Helper()
	var text []byte
	if err := f.db.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = ?`, size).Scan(&text); err != nil {
		t.Fatal(err)
	}
	return text
}

func TestConsistencyProofs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 20, 8)
	c20, err := f.log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vkey := f.log.VerifierKey()
	c8, c16 := oldCheckpoint(t, f, 8), oldCheckpoint(t, f, 16)
	for _, pair := range []struct {
		old, new []byte
		o, n     int64
	}{{c8, c16, 8, 16}, {c8, c20.Text, 8, 20}, {c16, c20.Text, 16, 20}, {c20.Text, c20.Text, 20, 20}} {
		p, err := f.log.ProveConsistency(ctx, pair.o, pair.n)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(pair.old, pair.new, vkey, p); err != nil {
			t.Fatalf("%d -> %d: %v", pair.o, pair.n, err)
		}
	}

	p, err := f.log.ProveConsistency(ctx, 8, 20)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append(tlog.TreeProof(nil), p...)
	flipped[0][5] ^= 0x80

	// A fork: another log under the same key whose first 8 records differ.
	fork := newFixture(t, 0, 8)
	fork.log.signer = f.log.signer
	for i := range 20 {
		if i == 2 {
			fork.log.Append(ctx, Record{Action: "document.open", Detail: "forged"})
			fork.recs = append(fork.recs, Record{})
			continue
		}
		fork.append(t, i)
	}
	fc, err := fork.log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forkProof, err := fork.log.ProveConsistency(ctx, 8, 20)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		old, new []byte
		proof    tlog.TreeProof
		want     error
	}{
		{"proof hash flipped", c8, c20.Text, flipped, ErrBadProof},
		{"proof cut short", c8, c20.Text, p[:len(p)-1], ErrBadProof},
		{"old and new swapped", c20.Text, c8, p, ErrBadProof},
		{"wrong pair for the proof", c16, c20.Text, p, ErrBadProof},
		{"forked log, honest proof", c8, fc.Text, p, ErrBadProof},
		{"forked log, its own proof", c8, fc.Text, forkProof, ErrBadProof},
		{"unsigned old checkpoint", bytes.SplitAfter(c8, []byte("\n\n"))[0], c20.Text, p, ErrInvalidCheckpoint},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyConsistency(tc.old, tc.new, vkey, tc.proof); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyConsistency = %v, want %v", err, tc.want)
			}
		})
	}
	for _, r := range [][2]int64{{-1, 20}, {9, 8}, {3, 21}} {
		if _, err := f.log.ProveConsistency(ctx, r[0], r[1]); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("ProveConsistency(%d, %d) = %v, want ErrOutOfRange", r[0], r[1], err)
		}
	}
}
