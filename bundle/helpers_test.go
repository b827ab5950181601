package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"testing"
	"time"
)

// fixture is one sealed bundle with everything needed to open it.
type fixture struct {
	stationPriv ed25519.PrivateKey
	stationPub  ed25519.PublicKey
	dev         Device
	devPub      []byte
	id          *DocumentIdentity
	plaintext   []byte
	manifest    []byte
	payload     []byte
	grant       []byte
	gc          GrantContext
	now         time.Time
}

var testNow = time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)

func testKeys(t testing.TB, seed byte) (ed25519.PrivateKey, Device, []byte) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	ikm := sha256.Sum256([]byte{seed, 'd', 'e', 'v'})
	k, err := hpke.MLKEM768X25519().DeriveKeyPair(ikm[:])
	if err != nil {
		t.Fatal(err)
	}
	return priv, Device{ID: "laptop-0042", HPKE: k}, k.PublicKey().Bytes()
}

// testPlaintext is deterministic, not all zero, and not periodic at the
// chunk size.
func testPlaintext(n int, seed byte) []byte {
	p := make([]byte, 0, n+32)
	h := sha256.Sum256([]byte{seed})
	for len(p) < n {
		p = append(p, h[:]...)
		h = sha256.Sum256(h[:])
	}
	return p[:n]
}

func newFixture(t testing.TB, size int) *fixture {
	t.Helper()
	f := &fixture{now: testNow}
	f.stationPriv, f.dev, f.devPub = testKeys(t, 1)
	f.stationPub = f.stationPriv.Public().(ed25519.PublicKey)
	f.plaintext = testPlaintext(size, 7)
	var payload bytes.Buffer
	var err error
	f.manifest, f.id, err = SealDocument(&payload, bytes.NewReader(f.plaintext), Manifest{
		CaseNumber: "2026-HOM-0117",
		DocumentID: "doc-9",
		Title:      "Witness statement, J. Doe",
		MediaType:  "application/pdf",
		CreatedAt:  testNow.Add(-time.Hour),
	}, f.stationPriv)
	if err != nil {
		t.Fatal(err)
	}
	f.payload = payload.Bytes()
	f.gc = GrantContext{
		GrantID:   "g-1",
		OfficerID: "4471",
		DeviceID:  f.dev.ID,
		IssuedAt:  testNow.Add(-time.Minute),
		ExpiresAt: testNow.Add(time.Hour),
		Scope:     "view",
	}
	f.grant, err = IssueGrant(f.gc, f.manifest, bytes.NewReader(f.payload), f.id, f.devPub, f.stationPriv)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) opts() *OpenOptions {
	return &OpenOptions{Now: func() time.Time { return f.now }, OfficerID: "4471"}
}

func (f *fixture) open(manifest, grant, payload []byte) (*Document, error) {
	return Open(manifest, grant, bytes.NewReader(payload), int64(len(payload)), f.dev, f.stationPub, f.opts())
}
