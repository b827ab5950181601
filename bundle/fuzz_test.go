package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

// Fuzz targets for every parser of untrusted bytes: the manifest, the
// grant and the payload reader. In a normal `go test` they run only their
// seeds, which come from the test vectors.

// vectorSeeds returns the vectors, for seeding; it reads them directly so it
// works with *testing.F.
func vectorSeeds(f *testing.F) []*vector {
	entries, err := os.ReadDir(vectorDir)
	if err != nil {
		f.Fatal(err)
	}
	var vs []*vector
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(vectorDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		v, err := parseVector(e.Name(), data)
		if err != nil {
			f.Fatal(err)
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		f.Fatal("no vectors")
	}
	return vs
}

// classified reports whether err wraps one of the package's sentinels.
func classified(err error) bool {
	for _, s := range []error{ErrTampered, ErrExpired, ErrWrongDevice, ErrWrongOfficer, ErrUnsupportedVersion, ErrTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func FuzzManifest(f *testing.F) {
	vs := vectorSeeds(f)
	for _, v := range vs {
		f.Add(v.manifest)
		if len(v.manifest) > ed25519.SignatureSize {
			f.Add(v.manifest[:len(v.manifest)-ed25519.SignatureSize])
		}
	}
	station := vs[0].stationPub
	f.Fuzz(func(t *testing.T, data []byte) {
		// The body parser: canonical, so parse then encode is the identity.
		m, err := parseManifestBody(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
		} else if enc := m.appendBody(nil); !bytes.Equal(enc, data) {
			t.Fatalf("manifest body does not round-trip:\n in %x\nout %x", data, enc)
		} else if err := m.validate(); err != nil {
			t.Fatalf("parsed manifest does not validate: %v", err)
		}
		// The public parser, with the signature.
		m, err = ParseManifest(data, station)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if enc := m.appendBody(nil); !bytes.Equal(enc, data[:len(data)-ed25519.SignatureSize]) {
			t.Fatalf("signed manifest does not round-trip")
		}
	})
}

func FuzzGrant(f *testing.F) {
	vs := vectorSeeds(f)
	for _, v := range vs {
		f.Add(v.grant)
		if len(v.grant) > ed25519.SignatureSize {
			f.Add(v.grant[:len(v.grant)-ed25519.SignatureSize])
		}
	}
	station := vs[0].stationPub
	encode := func(g *Grant) []byte {
		e := encoder{appendGrantInfo(nil, &g.GrantContext, g.ManifestSHA256)}
		if !bytes.Equal(e.b, g.info) {
			return nil
		}
		e.bytes16(g.sealed)
		return e.b
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parseGrantBody(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
		} else {
			if enc := encode(g); !bytes.Equal(enc, data) {
				t.Fatalf("grant body does not round-trip:\n in %x\nout %x", data, enc)
			}
			if err := g.validate(); err != nil {
				t.Fatalf("parsed grant context does not validate: %v", err)
			}
		}
		g, err = ParseGrant(data, station)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if enc := encode(g); !bytes.Equal(enc, data[:len(data)-ed25519.SignatureSize]) {
			t.Fatalf("signed grant does not round-trip")
		}
	})
}

// payloadBase is a correctly sealed document whose file key the fuzz
// target holds, taken from a success vector.
type payloadBase struct {
	m       *Manifest
	fileKey []byte
	payload []byte
	plain   []byte
}

func loadPayloadBase(f *testing.F, v *vector) *payloadBase {
	k, err := hpke.MLKEM768X25519().NewPrivateKey(v.deviceKey)
	if err != nil {
		f.Fatal(err)
	}
	m, err := ParseManifest(v.manifest, v.stationPub)
	if err != nil {
		f.Fatal(err)
	}
	g, err := ParseGrant(v.grant, v.stationPub)
	if err != nil {
		f.Fatal(err)
	}
	fk, err := g.unwrap(k)
	if err != nil {
		f.Fatal(err)
	}
	doc, err := openPayload(bytes.NewReader(v.payload), fk, m, g.GrantContext)
	if err != nil {
		f.Fatal(err)
	}
	plain, err := doc.ReadAll(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	return &payloadBase{m: m, fileKey: fk, payload: v.payload, plain: plain}
}

// agePlaintextSize mirrors age's size arithmetic, so that fuzzed payloads
// of any length reach the chunk reader instead of stopping at the manifest
// size check.
func agePlaintextSize(payload []byte) int64 {
	hdr, err := age.ExtractHeader(bytes.NewReader(payload))
	if err != nil {
		return 0
	}
	body := int64(len(payload) - len(hdr) - 16)
	if body <= 0 {
		return 0
	}
	chunks := (body + encChunk - 1) / encChunk
	return max(0, body-chunks*16)
}

func FuzzPayload(f *testing.F) {
	vs := vectorSeeds(f)
	var bases []*payloadBase
	for _, v := range vs {
		switch v.name {
		case "success.small", "success.three-chunks":
			bases = append(bases, loadPayloadBase(f, v))
		}
	}
	if len(bases) != 2 {
		f.Fatalf("found %d payload bases, want 2", len(bases))
	}
	for _, v := range vs {
		for i := range bases {
			f.Add(uint8(i), v.payload, int64(0), uint16(100))
			f.Add(uint8(i), v.payload, int64(64<<10-8), uint16(64))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte, off int64, n uint16) {
		b := bases[int(which)%len(bases)]
		m := *b.m
		m.PayloadSize = int64(len(data))
		m.PlaintextSize = agePlaintextSize(data)
		doc, err := openPayload(bytes.NewReader(data), b.fileKey, &m, GrantContext{})
		// Differential: age's own reader must agree, except that bundle
		// also refuses headers that are not in canonical encoding.
		ar, asize, aerr := age.DecryptReaderAt(bytes.NewReader(data), int64(len(data)), age.NewInjectedFileKeyIdentity(b.fileKey))
		if err == nil && (aerr != nil || asize != doc.Size()) {
			t.Fatalf("bundle opened a payload that age refuses (%v) or sizes differently", aerr)
		}
		if err != nil && aerr == nil {
			hdr, herr := age.ExtractHeader(bytes.NewReader(data))
			if herr != nil || bytes.HasPrefix(data, hdr) {
				t.Fatalf("bundle refused a canonical payload that age opens: %v", err)
			}
		}
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// Parse then serialize: the header that opened is byte for byte
		// the one in the input.
		hdr, err := age.ExtractHeader(bytes.NewReader(data))
		if err != nil || !bytes.HasPrefix(b.payload, hdr) {
			t.Fatalf("a payload with another header opened with the file key")
		}
		p := make([]byte, n)
		got, err := doc.ReadAt(p, off)
		if off >= 0 && off <= doc.Size() {
			ap := make([]byte, n)
			agot, aerr := ar.ReadAt(ap, off)
			ok, aok := err == nil || err == io.EOF, aerr == nil || aerr == io.EOF
			if got != agot || ok != aok || !bytes.Equal(p[:got], ap[:agot]) {
				t.Fatalf("ReadAt(%d, %d): bundle %d, %v; age %d, %v", n, off, got, err, agot, aerr)
			}
		}
		if err != nil && err != io.EOF && !classified(err) && off >= 0 {
			t.Fatalf("ReadAt: unclassified error %v", err)
		}
		// (Chunks that authenticate may still differ from the base: whoever
		// holds the file key can make them, as one vector does. The full
		// read below catches that with the manifest's SHA-256.)
		if got > len(p) || (got > 0 && off < 0) {
			t.Fatalf("ReadAt returned %d bytes at offset %d", got, off)
		}
		all, err := doc.ReadAll(context.Background())
		if err != nil {
			if all != nil || !classified(err) {
				t.Fatalf("ReadAll: %d bytes, %v", len(all), err)
			}
			return
		}
		// A payload that authenticates in full under the base's key and
		// matches its manifest is the base's payload.
		if !bytes.Equal(all, b.plain) || !bytes.Equal(data, b.payload) {
			t.Fatalf("a modified payload read back in full")
		}
	})
}
