package keystore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
)

func benchPutGet(b *testing.B, s *keystore.Store) {
	ctx := context.Background()
	value := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(ctx, "bench", value); err != nil {
			b.Fatal(err)
		}
		v, err := s.Get(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		keystore.Zero(v)
	}
	if err := s.DeleteAllExceptIdentity(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPutGetMemory measures the Store's own cost (queue, index,
// encoding) over an in-memory keyring.
func BenchmarkPutGetMemory(b *testing.B) {
	benchPutGet(b, keystore.Open("org.caseviewer.bench", keystore.WithBackend(keystoretest.NewMemory())))
}

// BenchmarkPutGetReal measures a Put and a Get on the real Secret Service
// (run under ./scripts/with-test-env.sh).
func BenchmarkPutGetReal(b *testing.B) {
	if !testKeyring() || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		b.Skip("no test keyring session (run under ./scripts/with-test-env.sh)")
	}
	benchPutGet(b, keystore.Open("org.caseviewer.bench."+randomHex(4)))
}

// BenchmarkLoadIdentityReal measures loading the device identity from the
// real Secret Service, as the app does at login.
func BenchmarkLoadIdentityReal(b *testing.B) {
	if !testKeyring() || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		b.Skip("no test keyring session (run under ./scripts/with-test-env.sh)")
	}
	ctx := context.Background()
	s := keystore.Open("org.caseviewer.bench." + randomHex(4))
	id, err := keystore.GenerateIdentity()
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SaveIdentity(ctx, id); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.DeleteIdentity(ctx) }()
	for b.Loop() {
		got, err := s.LoadIdentity(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got.Zero()
	}
}

// BenchmarkGenerateIdentity measures making a device identity.
func BenchmarkGenerateIdentity(b *testing.B) {
	for b.Loop() {
		id, err := keystore.GenerateIdentity()
		if err != nil {
			b.Fatal(err)
		}
		id.Zero()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// realKeyringEnv lets a developer run the real-keyring tests in the
// current D-Bus session; scripts/with-test-env.sh marks its own session
// with CV_IN_TEST_ENV=1.
const realKeyringEnv = "CV_KEYSTORE_REAL_KEYRING"

// testKeyring reports whether the session's keyring is one made for tests.
func testKeyring() bool {
	return os.Getenv("CV_IN_TEST_ENV") == "1" || os.Getenv(realKeyringEnv) == "1"
}
