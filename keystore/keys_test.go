package keystore_test

import (
	"bytes"
	"context"
	"crypto/hpke"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
)

func newIdentity(t testing.TB) *keystore.DeviceIdentity {
	t.Helper()
	id, err := keystore.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSigningPublicText(t *testing.T) {
	id := newIdentity(t)
	p := id.SigningPublic()
	s := p.String()
	if !strings.HasPrefix(s, "cvsig:") || p.IsZero() {
		t.Fatalf("String = %q", s)
	}
	q, err := keystore.ParseSigningPublic(s)
	if err != nil || !q.Equal(p) {
		t.Fatalf("Parse(String) = %v, %v", q, err)
	}
	j, err := json.Marshal(struct{ K keystore.SigningPublic }{p})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ K keystore.SigningPublic }
	if err := json.Unmarshal(j, &back); err != nil || !back.K.Equal(p) {
		t.Fatalf("JSON round trip: %s, %v", j, err)
	}
	msg := []byte("challenge")
	sig := id.Sign(msg)
	if !p.Verify(msg, sig) {
		t.Fatal("signature does not verify")
	}
	if p.Verify([]byte("other"), sig) || (keystore.SigningPublic{}).Verify(msg, sig) {
		t.Fatal("verified what it must not")
	}
	other := newIdentity(t).SigningPublic()
	if other.Equal(p) {
		t.Fatal("two identities share a key")
	}
}

func TestHPKEPublicText(t *testing.T) {
	id := newIdentity(t)
	p := id.HPKEPublic()
	if len(p.Bytes()) != keystore.HPKEPublicSize {
		t.Fatalf("%d bytes", len(p.Bytes()))
	}
	q, err := keystore.ParseHPKEPublic(p.String())
	if err != nil || !q.Equal(p) {
		t.Fatalf("Parse(String): %v", err)
	}
	pk, err := q.Key()
	if err != nil {
		t.Fatal(err)
	}
	info := []byte("caseviewer grant")
	ct, err := hpke.Seal(pk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, []byte("content key"))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := id.HPKEPrivate()
	if err != nil {
		t.Fatal(err)
	}
	pt, err := hpke.Open(sk, hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info, ct)
	if err != nil || string(pt) != "content key" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := (keystore.HPKEPublic{}).Key(); !errors.Is(err, keystore.ErrInvalidKey) {
		t.Fatalf("zero key gave %v", err)
	}
}

// newKeyBytes returns the raw key of a signing key's text.
func newKeyBytes(t *testing.T, text string) []byte {
	t.Helper()
	p, err := keystore.ParseSigningPublic(text)
	if err != nil {
		t.Fatal(err)
	}
	return p.Bytes()
}

func TestKeyTextRejects(t *testing.T) {
	sig := newIdentity(t).SigningPublic().String()
	hp := newIdentity(t).HPKEPublic().String()
	zeroSig := "cvsig:" + strings.Repeat("A", 43)
	// 32 bytes take 43 characters, whose last 2 bits are unused and must
	// be zero: setting the lowest bit of the last character's alphabet
	// index gives the same key in a non-canonical text.
	const urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(urlAlphabet, sig[len(sig)-1])
	if last < 0 || last&3 != 0 {
		t.Fatalf("the key text %q does not end in a canonical character", sig)
	}
	nonCanonical := sig[:len(sig)-1] + string(urlAlphabet[last|1])
	if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(nonCanonical, "cvsig:")); err != nil ||
		!bytes.Equal(raw, newKeyBytes(t, sig)) {
		t.Fatalf("the non-canonical text does not hold the same key (%v): the case proves nothing", err)
	}
	// Characters of the standard alphabet in place of the first one.
	body := strings.TrimPrefix(sig, "cvsig:")
	stdPlus, stdSlash := "cvsig:+"+body[1:], "cvsig:/"+body[1:]
	for _, tc := range []struct{ name, s string }{
		{"empty", ""},
		{"no prefix", strings.TrimPrefix(sig, "cvsig:")},
		{"other prefix", "cvhpke:" + strings.TrimPrefix(sig, "cvsig:")},
		{"upper prefix", "CVSIG:" + strings.TrimPrefix(sig, "cvsig:")},
		{"short", sig[:len(sig)-1]},
		{"long", sig + "A"},
		{"padding", sig[:len(sig)-1] + "="},
		{"newline", sig[:len(sig)-1] + "\n"},
		{"std alphabet +", stdPlus},
		{"std alphabet /", stdSlash},
		{"zero", zeroSig},
		{"non-canonical bits", nonCanonical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := keystore.ParseSigningPublic(tc.s)
			if !errors.Is(err, keystore.ErrInvalidKey) {
				t.Fatalf("ParseSigningPublic(%q) = %v, %v; want ErrInvalidKey", tc.s, p, err)
			}
		})
	}
	for _, tc := range []struct{ name, s string }{
		{"signing key", sig},
		{"short", hp[:len(hp)-4]},
		{"zero", "cvhpke:" + strings.Repeat("A", 1622)},
	} {
		t.Run("hpke "+tc.name, func(t *testing.T) {
			if _, err := keystore.ParseHPKEPublic(tc.s); !errors.Is(err, keystore.ErrInvalidKey) {
				t.Fatalf("ParseHPKEPublic = %v, want ErrInvalidKey", err)
			}
		})
	}
	// ML-KEM rejects coefficients out of range (all 0xff bytes).
	if _, err := keystore.HPKEPublicFromBytes(bytes.Repeat([]byte{0xff}, keystore.HPKEPublicSize)); !errors.Is(err, keystore.ErrInvalidKey) {
		t.Fatalf("out-of-range ML-KEM key: %v, want ErrInvalidKey", err)
	}
	if _, err := keystore.SigningPublicFromBytes(make([]byte, 31)); !errors.Is(err, keystore.ErrInvalidKey) {
		t.Fatalf("31-byte key: %v", err)
	}
}

func TestIdentitySaveLoadDelete(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	s := keystore.Open(svc, keystore.WithBackend(mem))
	if _, err := s.LoadIdentity(ctx); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("LoadIdentity with none = %v, want ErrNotFound", err)
	}
	id := newIdentity(t)
	if err := s.SaveIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	raw, _ := mem.Raw(svc, ".identity")
	if len(raw) > 2560 || !strings.HasPrefix(raw, "cvid1:") {
		t.Fatalf("stored identity %d bytes, prefix %q", len(raw), raw[:6])
	}
	names, _ := s.List(ctx)
	if len(names) != 0 {
		t.Fatalf("identity listed: %q", names)
	}
	got, err := s.LoadIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SigningPublic().Equal(id.SigningPublic()) || !got.HPKEPublic().Equal(id.HPKEPublic()) {
		t.Fatal("loaded identity has other keys")
	}
	if !id.SigningPublic().Verify([]byte("m"), got.Sign([]byte("m"))) {
		t.Fatal("loaded key's signature does not verify")
	}
	priv := got.Ed25519()
	got.Zero()
	if got.Sign([]byte("m")) != nil || got.Ed25519() != nil {
		t.Fatal("a zeroed identity still signs")
	}
	if _, err := got.HPKEPrivate(); err == nil {
		t.Fatal("a zeroed identity still gives an HPKE key")
	}
	if bytes.Equal(priv, make([]byte, len(priv))) {
		t.Fatal("Ed25519 returned the internal slice, not a copy")
	}
	if err := s.SaveIdentity(ctx, got); err == nil {
		t.Fatal("saved a zeroed identity")
	}
	var empty keystore.DeviceIdentity
	if empty.Sign([]byte("m")) != nil || s.SaveIdentity(ctx, &empty) == nil {
		t.Fatal("a zero-value identity signs or saves")
	}
	if _, err := empty.HPKEPrivate(); err == nil {
		t.Fatal("a zero-value identity gives an HPKE key")
	}
	if err := s.DeleteIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteIdentity(ctx); err != nil {
		t.Fatalf("deleting a missing identity: %v", err)
	}
	if _, err := s.LoadIdentity(ctx); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("LoadIdentity after delete = %v", err)
	}
}

// FuzzParseSigningPublic checks that whatever parses prints back the same.
func FuzzParseSigningPublic(f *testing.F) {
	s := newIdentity(f).SigningPublic().String()
	f.Add(s)
	f.Add(s[:len(s)-1])
	f.Add("cvsig:" + strings.Repeat("A", 43))
	f.Add("cvsig:" + strings.Repeat("_", 43))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := keystore.ParseSigningPublic(s)
		if err != nil {
			if !errors.Is(err, keystore.ErrInvalidKey) {
				t.Fatalf("error not ErrInvalidKey: %v", err)
			}
			return
		}
		if p.IsZero() || p.String() != s {
			t.Fatalf("parsed %q, prints %q", s, p.String())
		}
	})
}

// FuzzParseHPKEPublic checks that whatever parses prints back the same.
func FuzzParseHPKEPublic(f *testing.F) {
	s := newIdentity(f).HPKEPublic().String()
	f.Add(s)
	f.Add(s[:len(s)-1] + "B")
	f.Add("cvhpke:" + strings.Repeat("A", 1622))
	f.Add("cvhpke:" + strings.Repeat("_", 1622))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := keystore.ParseHPKEPublic(s)
		if err != nil {
			if !errors.Is(err, keystore.ErrInvalidKey) {
				t.Fatalf("error not ErrInvalidKey: %v", err)
			}
			return
		}
		if p.IsZero() || p.String() != s {
			t.Fatalf("parsed key prints differently")
		}
		if _, err := p.Key(); err != nil {
			t.Fatalf("parsed key unusable: %v", err)
		}
	})
}
