package bundle

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Interop with the real age command, built from the same module version
// that this package links: a payload sealed here decrypts with `age -d`
// given the document identity, and a payload made by `age -e` for a
// document identity opens through Open with a grant the station issued.
// Neither direction writes plaintext to disk: plaintext goes through pipes.

// skipOrFail skips on a developer machine but fails in CI.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// linkedAgeVersion is the version of filippo.io/age that this module
// requires, which is what this package links.
func linkedAgeVersion(t testing.TB, goBin string) string {
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Version}}", "filippo.io/age").Output()
	if err != nil {
		t.Fatalf("go list -m filippo.io/age: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// buildAge builds filippo.io/age/cmd/age into dir and checks its version.
func buildAge(t testing.TB, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		skipOrFail(t, "the go command is not in PATH, cannot build the age command: %v", err)
	}
	bin := filepath.Join(dir, "age")
	cmd := exec.Command(goBin, "build", "-o", bin, "filippo.io/age/cmd/age")
	if out, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, "building the age command failed (no module cache?): %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), linkedAgeVersion(t, goBin); got != want {
		t.Fatalf("built age %s, but the package links %s", got, want)
	}
	return bin
}

func TestInteropAgeCommand(t *testing.T) {
	dir := t.TempDir()
	ageBin := buildAge(t, dir)

	t.Run("bundle seals, age -d decrypts", func(t *testing.T) {
		for _, size := range []int{0, 1000, 3*64<<10 + 17} {
			f := newFixture(t, size)
			// Only ciphertext touches the disk; the identity goes through stdin.
			path := filepath.Join(t.TempDir(), "payload.age")
			if err := os.WriteFile(path, f.payload, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(ageBin, "-d", "-i", "-", path)
			cmd.Stdin = strings.NewReader(f.id.String() + "\n")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("size %d: age -d: %v\n%s", size, err, stderr.Bytes())
			}
			if !bytes.Equal(stdout.Bytes(), f.plaintext) {
				t.Fatalf("size %d: age -d gave %d bytes that differ from the plaintext", size, stdout.Len())
			}
			// And with another document's identity, age refuses.
			other := newFixture(t, 10)
			cmd = exec.Command(ageBin, "-d", "-i", "-", path)
			cmd.Stdin = strings.NewReader(other.id.String() + "\n")
			if out, err := cmd.Output(); err == nil || len(out) != 0 {
				t.Fatalf("size %d: age -d with another identity succeeded", size)
			}
		}
	})

	t.Run("age -e encrypts, bundle opens with a grant", func(t *testing.T) {
		f := newFixture(t, 10) // keys and grant context
		id, err := NewDocumentIdentity()
		if err != nil {
			t.Fatal(err)
		}
		plaintext := testPlaintext(2*64<<10+999, 11)
		cmd := exec.Command(ageBin, "-e", "-r", id.Recipient())
		cmd.Stdin = bytes.NewReader(plaintext)
		var payload, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &payload, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("age -e: %v\n%s", err, stderr.Bytes())
		}
		manifest, err := ManifestForPayload(bytes.NewReader(payload.Bytes()), Manifest{
			CaseNumber: "2026-HOM-0117", DocumentID: "doc-age", MediaType: "application/octet-stream", CreatedAt: testNow,
		}, id, f.stationPriv)
		if err != nil {
			t.Fatal(err)
		}
		gc := f.gc
		gc.CaseNumber, gc.DocumentID = "", ""
		grant, err := IssueGrant(gc, manifest, bytes.NewReader(payload.Bytes()), id, f.devPub, f.stationPriv)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := f.open(manifest, grant, payload.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, err := doc.ReadAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatal("the age command's payload opened to other bytes")
		}
		// A payload by the age command for another recipient does not get a
		// manifest for this identity.
		other, _ := NewDocumentIdentity()
		cmd = exec.Command(ageBin, "-e", "-r", other.Recipient())
		cmd.Stdin = bytes.NewReader(plaintext[:100])
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ManifestForPayload(bytes.NewReader(out), Manifest{
			CaseNumber: "C", DocumentID: "D", MediaType: "x/y", CreatedAt: testNow,
		}, id, f.stationPriv); err == nil {
			t.Fatal("ManifestForPayload accepted a payload for another identity")
		}
	})
}
