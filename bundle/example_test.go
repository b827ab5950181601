package bundle_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"fmt"
	"log"
	"strings"
	"time"

	"caseviewer/bundle"
)

// The station seals a document and issues a grant to one enrolled device.
func ExampleSealDocument() {
	_, station, _ := ed25519.GenerateKey(nil)
	// The device's HPKE key pair; the station knows only the public half.
	devKey, _ := hpke.MLKEM768X25519().GenerateKey()

	var payload bytes.Buffer
	manifest, id, err := bundle.SealDocument(&payload, strings.NewReader("%PDF-1.7 ..."), bundle.Manifest{
		CaseNumber: "2026-HOM-0117",
		DocumentID: "doc-9",
		Title:      "Witness statement",
		MediaType:  "application/pdf",
	}, station)
	if err != nil {
		log.Fatal(err)
	}
	// The station keeps id.String() encrypted at rest, never in clear.

	now := time.Now()
	grant, err := bundle.IssueGrant(bundle.GrantContext{
		GrantID:   "g-1",
		OfficerID: "4471",
		DeviceID:  "laptop-0042",
		IssuedAt:  now,
		ExpiresAt: now.Add(15 * time.Minute),
		Scope:     "view",
	}, manifest, bytes.NewReader(payload.Bytes()), id, devKey.PublicKey().Bytes(), station)
	if err != nil {
		log.Fatal(err)
	}
	m, _ := bundle.ParseManifest(manifest, station.Public().(ed25519.PublicKey))
	fmt.Println(m.CaseNumber, m.DocumentID, m.PlaintextSize, len(grant) > 0)
	// Output: 2026-HOM-0117 doc-9 12 true
}

// The laptop opens a bundle with the grant the station issued to it.
func ExampleOpen() {
	stationPub, station, _ := ed25519.GenerateKey(nil)
	devKey, _ := hpke.MLKEM768X25519().GenerateKey()
	var payload bytes.Buffer
	manifest, id, _ := bundle.SealDocument(&payload, strings.NewReader("statement text"), bundle.Manifest{
		CaseNumber: "2026-HOM-0117", DocumentID: "doc-9", MediaType: "text/plain",
	}, station)
	now := time.Now()
	grant, _ := bundle.IssueGrant(bundle.GrantContext{
		GrantID: "g-1", OfficerID: "4471", DeviceID: "laptop-0042",
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute), Scope: "view",
	}, manifest, bytes.NewReader(payload.Bytes()), id, devKey.PublicKey().Bytes(), station)

	// On the laptop: the bundle's three parts, the device key from the
	// keyring and the station key pinned at enrollment.
	doc, err := bundle.Open(manifest, grant, bytes.NewReader(payload.Bytes()), int64(payload.Len()),
		bundle.Device{ID: "laptop-0042", HPKE: devKey}, stationPub,
		&bundle.OpenOptions{OfficerID: "4471"})
	if err != nil {
		log.Fatal(err) // errors.Is(err, bundle.ErrExpired) etc. tell why
	}
	defer doc.Close()
	text, err := doc.ReadAll(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer clear(text)
	fmt.Printf("%s (%d bytes, grant %s)\n", text, doc.Size(), doc.Grant().GrantID)
	// Output: statement text (14 bytes, grant g-1)
}
