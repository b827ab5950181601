package bundle

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
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

// BenchmarkRawChaCha20Poly1305 is the ceiling: ChaCha20-Poly1305 Open over
// 64 MiB in 64 KiB chunks, in place, with nothing else.
func BenchmarkRawChaCha20Poly1305(b *testing.B) {
	key := make([]byte, chacha20poly1305.KeySize)
	rand.Read(key)
	a, _ := chacha20poly1305.New(key)
	nonce := make([]byte, chacha20poly1305.NonceSize)
	const chunk = 64 << 10
	pt := testPlaintext(benchSize, 7)
	ct := make([]byte, 0, benchSize+benchSize/chunk*16)
	for off := 0; off < benchSize; off += chunk {
		ct = a.Seal(ct, nonce, pt[off:off+chunk], nil)
	}
	work := bytes.Clone(ct)
	out := make([]byte, chunk)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		for off := 0; off < len(work); off += chunk + 16 {
			if _, err := a.Open(out[:0], nonce, work[off:off+chunk+16], nil); err != nil {
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
