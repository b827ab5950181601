package keystore

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// identityPrefix starts the stored text of a device identity, followed by
// the standard base64 of the Ed25519 seed (32 bytes) and the HPKE private
// key (its 32-byte SerializePrivateKey form).
const identityPrefix = "cvid1:"

const (
	seedSize     = ed25519.SeedSize
	identitySize = 2 * seedSize
	// secretSize is what an identity keeps in its locked buffer: both
	// seeds and the expanded Ed25519 private key.
	secretSize = identitySize + ed25519.PrivateKeySize
)

// DeviceIdentity holds the private halves of a device's keys: an Ed25519
// signing key and an ML-KEM-768+X25519 HPKE key. Call Zero when done with
// it. A zeroed identity signs nothing and yields no HPKE key.
//
// The private bytes live in one buffer on a memory page of their own,
// locked into RAM (LockMemory) where the system allows it, so they are not
// written to swap; Zero overwrites and unlocks it. A page of its own means
// that unlocking it never unlocks another locked buffer (LockMemory does
// not count locks per page).
type DeviceIdentity struct {
	secret   []byte             // sigSeed | hpkeSeed | sigPriv
	sigSeed  []byte             // secret[:seedSize]
	hpkeSeed []byte             // secret[seedSize:identitySize]
	sigPriv  ed25519.PrivateKey // secret[identitySize:]
	locked   bool               // secret is mlocked
	sigPub   SigningPublic
	hpkePub  HPKEPublic
	zeroed   bool
}

// pageOwnBuffer returns a zeroed buffer of n bytes (n at most one page)
// that starts a memory page no other Go object shares: it is carved out of
// an allocation two pages long, so the page it starts is inside it (the Go
// heap does not move objects).
func pageOwnBuffer(n int) []byte {
	ps := os.Getpagesize()
	if n > ps {
		panic("keystore: page-own buffer larger than a page")
	}
	raw := make([]byte, 2*ps)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&raw[0])) % uintptr(ps)); r != 0 {
		off = ps - r
	}
	return raw[off : off+n : off+n]
}

// GenerateIdentity makes a new device identity from crypto/rand.
func GenerateIdentity() (*DeviceIdentity, error) {
	var b [identitySize]byte
	defer Zero(b[:])
	if _, err := rand.Read(b[:seedSize]); err != nil {
		return nil, fmt.Errorf("keystore: generate identity: %w", err)
	}
	k, err := HPKEKEM().GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("keystore: generate hpke key: %w", err)
	}
	hb, err := k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("keystore: generate hpke key: %w", err)
	}
	defer Zero(hb)
	if len(hb) != seedSize {
		return nil, fmt.Errorf("keystore: hpke private key of %d bytes, want %d", len(hb), seedSize)
	}
	copy(b[seedSize:], hb)
	return identityFromBytes(b[:])
}

// identityFromBytes builds an identity from the two seeds, checking both.
func identityFromBytes(b []byte) (*DeviceIdentity, error) {
	if len(b) != identitySize {
		return nil, fmt.Errorf("%w: identity of %d bytes", ErrCorrupt, len(b))
	}
	id := &DeviceIdentity{secret: pageOwnBuffer(secretSize)}
	// Best effort: RLIMIT_MEMLOCK may refuse, and other systems than
	// Linux do not lock; the identity works all the same.
	id.locked = LockMemory(id.secret) == nil
	id.sigSeed = id.secret[:seedSize:seedSize]
	id.hpkeSeed = id.secret[seedSize:identitySize:identitySize]
	id.sigPriv = id.secret[identitySize:]
	copy(id.sigSeed, b[:seedSize])
	copy(id.hpkeSeed, b[seedSize:])
	var zero [seedSize]byte
	if subtle.ConstantTimeCompare(id.sigSeed, zero[:]) == 1 || subtle.ConstantTimeCompare(id.hpkeSeed, zero[:]) == 1 {
		id.Zero()
		return nil, fmt.Errorf("%w: identity holds a zero key", ErrCorrupt)
	}
	priv := ed25519.NewKeyFromSeed(id.sigSeed)
	copy(id.sigPriv, priv)
	Zero(priv)
	sp, err := SigningPublicFromBytes(id.sigPriv.Public().(ed25519.PublicKey))
	if err != nil {
		id.Zero()
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	k, err := HPKEKEM().NewPrivateKey(id.hpkeSeed)
	if err != nil {
		id.Zero()
		return nil, fmt.Errorf("%w: hpke private key: %w", ErrCorrupt, err)
	}
	hp, err := HPKEPublicFromBytes(k.PublicKey().Bytes())
	if err != nil {
		id.Zero()
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	id.sigPub, id.hpkePub = sp, hp
	return id, nil
}

// usable reports whether id holds key material: made by GenerateIdentity
// or LoadIdentity and not zeroed.
func (id *DeviceIdentity) usable() bool {
	return !id.zeroed && len(id.sigPriv) == ed25519.PrivateKeySize
}

// SigningPublic returns the public half of the signing key.
func (id *DeviceIdentity) SigningPublic() SigningPublic { return id.sigPub }

// HPKEPublic returns the public half of the HPKE key.
func (id *DeviceIdentity) HPKEPublic() HPKEPublic { return id.hpkePub }

// Sign signs msg with the Ed25519 key. It returns nil once the identity
// has been zeroed (and for a zero-value DeviceIdentity).
func (id *DeviceIdentity) Sign(msg []byte) []byte {
	if !id.usable() {
		return nil
	}
	return ed25519.Sign(id.sigPriv, msg)
}

// HPKEPrivate returns the HPKE private key for hpke.Open or
// hpke.NewRecipient. Each call builds a new hpke.PrivateKey, whose expanded
// key material this package cannot zero.
func (id *DeviceIdentity) HPKEPrivate() (hpke.PrivateKey, error) {
	if !id.usable() {
		return nil, errors.New("keystore: identity was zeroed or not made by GenerateIdentity or LoadIdentity")
	}
	return HPKEKEM().NewPrivateKey(id.hpkeSeed)
}

// Ed25519 returns a copy of the Ed25519 private key, for APIs that need a
// crypto.Signer. The caller should Zero it when done.
func (id *DeviceIdentity) Ed25519() ed25519.PrivateKey {
	if !id.usable() {
		return nil
	}
	return append(ed25519.PrivateKey(nil), id.sigPriv...)
}

// Zero overwrites the private key material and unlocks its memory; the
// public keys stay. Calling it again is harmless.
func (id *DeviceIdentity) Zero() {
	id.zeroed = true
	Zero(id.secret)
	if id.locked {
		UnlockMemory(id.secret)
		id.locked = false
	}
}

// marshal returns the stored text form. It holds the seeds: it is a Go
// string that cannot be zeroed, passed on to go-keyring, which makes its
// own strings anyway.
func (id *DeviceIdentity) marshal() string {
	var b [identitySize]byte
	defer Zero(b[:])
	copy(b[:seedSize], id.sigSeed)
	copy(b[seedSize:], id.hpkeSeed)
	return identityPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// parseIdentity decodes the stored text form, canonical only.
func parseIdentity(v []byte) (*DeviceIdentity, error) {
	if len(v) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: identity of %d bytes", ErrCorrupt, len(v))
	}
	body, ok := bytes.CutPrefix(v, []byte(identityPrefix))
	if !ok {
		return nil, fmt.Errorf("%w: identity prefix missing", ErrCorrupt)
	}
	if len(body) != base64.StdEncoding.EncodedLen(identitySize) {
		return nil, fmt.Errorf("%w: identity of %d characters", ErrCorrupt, len(body))
	}
	var b [identitySize + 3]byte
	defer Zero(b[:])
	n, err := base64.StdEncoding.Strict().Decode(b[:], body)
	if err != nil || n != identitySize {
		return nil, fmt.Errorf("%w: identity not canonical base64", ErrCorrupt)
	}
	return identityFromBytes(b[:n])
}

// SaveIdentity stores the private halves of id in the keyring, replacing
// any identity stored before. Like Put, a SaveIdentity that fails leaves
// the previous identity or none, never id.
func (s *Store) SaveIdentity(ctx context.Context, id *DeviceIdentity) error {
	if id == nil || !id.usable() {
		return errors.New("keystore: save identity: no key material (nil, zeroed or zero-value identity)")
	}
	enc := id.marshal()
	_, err := s.run(ctx, "save identity", false, func(j *job) error {
		return s.writeItem(j, identityUser, enc)
	})
	return err
}

// LoadIdentity reads the device identity from the keyring, or returns
// ErrNotFound when none is stored and ErrCorrupt when it does not parse.
func (s *Store) LoadIdentity(ctx context.Context) (*DeviceIdentity, error) {
	v, err := s.run(ctx, "load identity", false, func(j *job) error {
		if j.abandoned() {
			return errAbandoned
		}
		v, err := s.bget(identityUser)
		if err != nil {
			return fmt.Errorf("keystore: load identity: %w", err)
		}
		if !j.commit() {
			return errAbandoned
		}
		j.value = []byte(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer Zero(v)
	id, err := parseIdentity(v)
	if err != nil {
		return nil, fmt.Errorf("keystore: load identity: %w", err)
	}
	return id, nil
}

// DeleteIdentity deletes the device identity from the keyring. Deleting a
// missing identity is not an error. If the caller gives up, the delete
// still runs when the keyring answers.
func (s *Store) DeleteIdentity(ctx context.Context) error {
	_, err := s.run(ctx, "delete identity", true, func(j *job) error {
		if err := s.bdelete(identityUser); err != nil {
			return fmt.Errorf("keystore: delete identity: %w", err)
		}
		return nil
	})
	return err
}
