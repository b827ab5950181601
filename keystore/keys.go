package keystore

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidKey means a public key is malformed: wrong prefix, wrong
// length, non-canonical encoding, all zeros, or rejected by its algorithm.
var ErrInvalidKey = errors.New("invalid key")

const (
	// SigningPublicSize is the size of an Ed25519 public key.
	SigningPublicSize = ed25519.PublicKeySize
	// HPKEPublicSize is the size of an ML-KEM-768+X25519 public key
	// (1184 bytes of ML-KEM-768 and 32 of X25519).
	HPKEPublicSize = 1216

	signingPrefix = "cvsig:"
	hpkePrefix    = "cvhpke:"
)

// keyText is the text encoding of keys after their prefix: unpadded
// base64url, strict (non-zero trailing bits are refused).
var keyText = base64.RawURLEncoding.Strict()

// HPKEKEM returns the KEM of device HPKE keys: ML-KEM-768+X25519.
func HPKEKEM() hpke.KEM { return hpke.MLKEM768X25519() }

// SigningPublic is a device's Ed25519 public key. The zero value is the
// zero key, which no parser or constructor returns.
type SigningPublic struct {
	k [SigningPublicSize]byte
}

// SigningPublicFromBytes returns the key of 32 raw bytes, refusing other
// lengths and the zero key.
func SigningPublicFromBytes(b []byte) (SigningPublic, error) {
	var p SigningPublic
	if len(b) != SigningPublicSize {
		return p, fmt.Errorf("keystore: signing key of %d bytes: %w", len(b), ErrInvalidKey)
	}
	copy(p.k[:], b)
	if p.IsZero() {
		return SigningPublic{}, fmt.Errorf("keystore: zero signing key: %w", ErrInvalidKey)
	}
	return p, nil
}

// ParseSigningPublic parses the text form "cvsig:" followed by unpadded
// base64url.
func ParseSigningPublic(s string) (SigningPublic, error) {
	var p SigningPublic
	err := p.UnmarshalText([]byte(s))
	return p, err
}

// Bytes returns a copy of the 32 raw bytes.
func (p SigningPublic) Bytes() []byte { return append([]byte(nil), p.k[:]...) }

// Ed25519 returns the key for crypto/ed25519.
func (p SigningPublic) Ed25519() ed25519.PublicKey { return p.Bytes() }

// IsZero reports whether p is the zero key.
func (p SigningPublic) IsZero() bool { return p == SigningPublic{} }

// Equal reports whether p and o are the same key, in constant time.
func (p SigningPublic) Equal(o SigningPublic) bool {
	return subtle.ConstantTimeCompare(p.k[:], o.k[:]) == 1
}

// Verify reports whether sig is p's valid signature of msg. The zero key
// verifies nothing.
func (p SigningPublic) Verify(msg, sig []byte) bool {
	if p.IsZero() {
		return false
	}
	return ed25519.Verify(p.k[:], msg, sig)
}

// String returns the text form, "cvsig:" and unpadded base64url.
func (p SigningPublic) String() string { return signingPrefix + keyText.EncodeToString(p.k[:]) }

// AppendText implements encoding.TextAppender.
func (p SigningPublic) AppendText(b []byte) ([]byte, error) {
	return append(b, p.String()...), nil
}

// MarshalText implements encoding.TextMarshaler.
func (p SigningPublic) MarshalText() ([]byte, error) { return p.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler. It refuses a wrong
// prefix or length, non-canonical base64 and the zero key.
func (p *SigningPublic) UnmarshalText(b []byte) error {
	raw, err := decodeKeyText(b, signingPrefix, SigningPublicSize)
	if err != nil {
		return fmt.Errorf("keystore: signing key: %w", err)
	}
	k, err := SigningPublicFromBytes(raw)
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// HPKEPublic is a device's ML-KEM-768+X25519 HPKE public key. The zero
// value is the zero key, which no parser or constructor returns.
type HPKEPublic struct {
	k [HPKEPublicSize]byte
}

// HPKEPublicFromBytes returns the key of its 1216 raw bytes (the HPKE
// SerializePublicKey form), refusing other lengths, the zero key and keys
// crypto/hpke rejects.
func HPKEPublicFromBytes(b []byte) (HPKEPublic, error) {
	var p HPKEPublic
	if len(b) != HPKEPublicSize {
		return p, fmt.Errorf("keystore: hpke key of %d bytes: %w", len(b), ErrInvalidKey)
	}
	copy(p.k[:], b)
	if p.IsZero() {
		return HPKEPublic{}, fmt.Errorf("keystore: zero hpke key: %w", ErrInvalidKey)
	}
	if _, err := HPKEKEM().NewPublicKey(p.k[:]); err != nil {
		return HPKEPublic{}, fmt.Errorf("keystore: hpke key: %w: %w", ErrInvalidKey, err)
	}
	return p, nil
}

// ParseHPKEPublic parses the text form "cvhpke:" followed by unpadded
// base64url.
func ParseHPKEPublic(s string) (HPKEPublic, error) {
	var p HPKEPublic
	err := p.UnmarshalText([]byte(s))
	return p, err
}

// Bytes returns a copy of the 1216 raw bytes.
func (p HPKEPublic) Bytes() []byte { return append([]byte(nil), p.k[:]...) }

// Key returns the key for crypto/hpke (for hpke.Seal or hpke.NewSender).
func (p HPKEPublic) Key() (hpke.PublicKey, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("keystore: zero hpke key: %w", ErrInvalidKey)
	}
	k, err := HPKEKEM().NewPublicKey(p.k[:])
	if err != nil {
		return nil, fmt.Errorf("keystore: hpke key: %w: %w", ErrInvalidKey, err)
	}
	return k, nil
}

// IsZero reports whether p is the zero key.
func (p HPKEPublic) IsZero() bool {
	var acc byte
	for _, c := range p.k {
		acc |= c
	}
	return acc == 0
}

// Equal reports whether p and o are the same key, in constant time.
func (p HPKEPublic) Equal(o HPKEPublic) bool {
	return subtle.ConstantTimeCompare(p.k[:], o.k[:]) == 1
}

// String returns the text form, "cvhpke:" and unpadded base64url.
func (p HPKEPublic) String() string { return hpkePrefix + keyText.EncodeToString(p.k[:]) }

// AppendText implements encoding.TextAppender.
func (p HPKEPublic) AppendText(b []byte) ([]byte, error) {
	return append(b, p.String()...), nil
}

// MarshalText implements encoding.TextMarshaler.
func (p HPKEPublic) MarshalText() ([]byte, error) { return p.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler. It refuses a wrong
// prefix or length, non-canonical base64, the zero key and keys
// crypto/hpke rejects.
func (p *HPKEPublic) UnmarshalText(b []byte) error {
	raw, err := decodeKeyText(b, hpkePrefix, HPKEPublicSize)
	if err != nil {
		return fmt.Errorf("keystore: hpke key: %w", err)
	}
	k, err := HPKEPublicFromBytes(raw)
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// decodeKeyText checks the prefix and decodes exactly size bytes.
func decodeKeyText(b []byte, prefix string, size int) ([]byte, error) {
	s := string(b)
	body, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, fmt.Errorf("%w: want prefix %q", ErrInvalidKey, prefix)
	}
	if len(body) != keyText.EncodedLen(size) {
		return nil, fmt.Errorf("%w: %d characters, want %d", ErrInvalidKey, len(body), keyText.EncodedLen(size))
	}
	raw, err := keyText.DecodeString(body)
	if err != nil || len(raw) != size {
		return nil, fmt.Errorf("%w: not canonical base64url", ErrInvalidKey)
	}
	return raw, nil
}
