package session

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"caseviewer/wire"
)

// FuzzOpenCache feeds arbitrary cache files (the disk is not trusted) to
// the cache reader: it must never panic, and only the exact sealed bytes
// open.
func FuzzOpenCache(f *testing.F) {
	key := bytes.Repeat([]byte{9}, cacheKeySize)
	aead, _ := chacha20poly1305.NewX(key)
	name := cacheName("ST-1", "DOC-1", []byte("manifest"))
	nonce := make([]byte, aead.NonceSize())
	good := append([]byte(cacheMagic), nonce...)
	good = aead.Seal(good, nonce, []byte("payload bytes"), []byte(name))
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte(cacheMagic))
	f.Add([]byte{})
	flipped := append([]byte(nil), good...)
	flipped[len(cacheMagic)+3] ^= 1
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, blob []byte) {
		in := append([]byte(nil), blob...)
		p, err := openCache(aead, in, name)
		if err == nil && (!bytes.Equal(blob, good) || string(p) != "payload bytes") {
			t.Fatalf("a forged cache file opened")
		}
	})
}

// FuzzEnrollment feeds arbitrary enrollment files to the loader: no panic,
// and what it accepts is valid and survives a save and reload unchanged.
func FuzzEnrollment(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Unix(0, 0),
		NotAfter: time.Unix(1<<32, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(Enrollment{Version: 1, StationURL: "https://127.0.0.1:8443", StationID: "ST-1",
		StationKey: make([]byte, 32), CACert: ca, BeaconAddr: "127.0.0.1:8444", DeviceID: "DEV-1",
		OfficerID: "D1", EnrolledAt: time.Unix(0, 0).UTC()})
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{}{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, enrollmentFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := loadEnrollment(dir)
		if err != nil {
			return
		}
		if err := e.validate(); err != nil {
			t.Fatalf("accepted an invalid enrollment: %v", err)
		}
		if err := saveEnrollment(dir, e); err != nil {
			t.Fatal(err)
		}
		e2, err := loadEnrollment(dir)
		if err != nil {
			t.Fatalf("a saved enrollment does not load: %v", err)
		}
		a, _ := json.Marshal(e)
		b2, _ := json.Marshal(e2)
		if !bytes.Equal(a, b2) {
			t.Fatal("save and reload changed the enrollment")
		}
	})
}

// FuzzReceiptQueue feeds arbitrary queue files to the reader: no panic, and
// a damaged queue reads as empty rather than failing the wipe.
func FuzzReceiptQueue(f *testing.F) {
	q, _ := json.Marshal(receiptQueue{Receipts: []wire.SignedWipeReceipt{{Receipt: []byte(`{}`), Signature: make([]byte, 64)}}})
	f.Add(q)
	f.Add([]byte(`{"receipts":null}`))
	f.Add([]byte(`garbage`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, receiptFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		c := &Client{opts: Options{StateDir: dir}}
		got, err := c.readQueue()
		if err != nil || got == nil {
			t.Fatalf("readQueue: %v", err)
		}
	})
}
