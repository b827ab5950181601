package keystoretest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
)

func TestMemory(t *testing.T) {
	m := keystoretest.NewMemory()
	if _, err := m.Get("s", "u"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Get missing = %v", err)
	}
	if err := m.Set("s", "u", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Get("s", "u"); err != nil || v != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if m.Len("s") != 1 || m.Len("other") != 0 {
		t.Fatal("Len counts wrong")
	}
	if err := m.Delete("s", "u"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete("s", "u"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Delete missing = %v", err)
	}
}

func TestFailingAndHung(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	s := keystore.Open("svc", keystore.WithBackend(keystoretest.Failing{Err: boom}))
	if err := s.Put(ctx, "x", nil); !errors.Is(err, boom) || !errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("Failing Put = %v", err)
	}
	h := keystoretest.NewHung(keystoretest.NewMemory())
	s = keystore.Open("svc", keystore.WithBackend(h), keystore.WithTimeout(20*time.Millisecond))
	if err := s.Put(ctx, "x", []byte("v")); !errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("Hung Put = %v", err)
	}
	if h.Waiting() != 1 {
		t.Fatalf("Waiting = %d", h.Waiting())
	}
	h.Release()
	s = keystore.Open("svc", keystore.WithBackend(h))
	if err := s.Put(ctx, "y", []byte("v")); err != nil {
		t.Fatalf("Put after Release = %v", err)
	}
}
