package bundle

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

const benchSize = 64 << 20

var benchFixture *fixture

func getBenchFixture(b *testing.B) *fixture {
	if benchFixture == nil {
		benchFixture = newFixture(b, benchSize)
	}
	return benchFixture
}

// BenchmarkOpenDocument opens a 64 MiB bundle and reads the whole plaintext
// through the Document's ReadAt in 1 MiB reads (authenticating every chunk).
func BenchmarkOpenDocument(b *testing.B) {
	f := getBenchFixture(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		doc, err := f.open(f.manifest, f.grant, f.payload)
		if err != nil {
			b.Fatal(err)
		}
		for off := int64(0); off < doc.Size(); off += int64(len(buf)) {
			if _, err := doc.ReadAt(buf, off); err != nil && err != io.EOF {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOpenDocumentReadAll is BenchmarkOpenDocument plus the whole
// document's SHA-256 check, into a fresh slice.
func BenchmarkOpenDocumentReadAll(b *testing.B) {
	f := getBenchFixture(b)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		doc, err := f.open(f.manifest, f.grant, f.payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := doc.VerifiedBytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawChaCha20Poly1305 is the ceiling: ChaCha20-Poly1305 Open of
// the very same payload chunks (same key, same nonces) into one 64 KiB
// buffer, with nothing else: no header, no I/O, no copies.
func BenchmarkRawChaCha20Poly1305(b *testing.B) {
	f := getBenchFixture(b)
	hdr, err := age.ExtractHeader(bytes.NewReader(f.payload))
	if err != nil {
		b.Fatal(err)
	}
	fileKey, err := age.DecryptHeader(hdr, f.id.id)
	if err != nil {
		b.Fatal(err)
	}
	sc := streamAEAD(b, f.payload, fileKey)
	bounds := chunkBounds(b, f.payload)
	nonces := make([][]byte, len(bounds))
	for i := range bounds {
		nonces[i] = chunkNonce(i, i == len(bounds)-1)
	}
	out := make([]byte, 64<<10)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		for i, cb := range bounds {
			if _, err := sc.a.Open(out[:0], nonces[i], f.payload[cb[0]:cb[1]], nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAgeDecryptCommand is the reference: the real age command (built
// from the same module version) decrypting the same 64 MiB payload with
// the document identity, output to /dev/null. It includes process start,
// as a person running `age -d` would see it.
func BenchmarkAgeDecryptCommand(b *testing.B) {
	f := getBenchFixture(b)
	dir := b.TempDir()
	ageBin := buildAge(b, dir)
	path := filepath.Join(dir, "payload.age") // ciphertext only
	if err := os.WriteFile(path, f.payload, 0o600); err != nil {
		b.Fatal(err)
	}
	identity := f.id.String() + "\n"
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(ageBin, "-d", "-i", "-", path)
		cmd.Stdin = strings.NewReader(identity)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr // Stdout nil: the plaintext goes to /dev/null
		if err := cmd.Run(); err != nil {
			b.Fatalf("age -d: %v %s", err, stderr.Bytes())
		}
	}
}
