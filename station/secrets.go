package station

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// MasterKeySize is the size of the master key for data at rest (256 bits,
// CJIS SC-28).
const MasterKeySize = 32

// sealer encrypts small secrets at rest (document identities, annotation
// text) under a key derived from the master key for one purpose, with
// XChaCha20-Poly1305 and the row's identity as associated data, so that a
// sealed value cannot be moved to another row or purpose.
type sealer struct {
	keys map[string][]byte
}

const (
	purposeIdentity   = "document-identity"
	purposeAnnotation = "annotation-text"
	sealVersion       = 1
)

func newSealer(master []byte) (*sealer, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key has %d bytes, want %d", len(master), MasterKeySize)
	}
	s := &sealer{keys: map[string][]byte{}}
	for _, p := range []string{purposeIdentity, purposeAnnotation} {
		k, err := hkdf.Key(sha256.New, master, nil, "caseviewer station at-rest v1 "+p, chacha20poly1305.KeySize)
		if err != nil {
			return nil, err
		}
		s.keys[p] = k
	}
	return s, nil
}

func (s *sealer) seal(purpose, rowID string, plaintext []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(s.keys[purpose])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plaintext, []byte(purpose+"\x00"+rowID)), nil
}

// errSealed means a sealed value did not decrypt: a wrong master key or a
// tampered database.
var errSealed = errors.New("sealed value does not decrypt (wrong master key or tampered database)")

func (s *sealer) open(purpose, rowID string, sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(s.keys[purpose])
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+aead.NonceSize()+aead.Overhead() || sealed[0] != sealVersion {
		return nil, errSealed
	}
	pt, err := aead.Open(nil, sealed[1:1+aead.NonceSize()], sealed[1+aead.NonceSize():], []byte(purpose+"\x00"+rowID))
	if err != nil {
		return nil, errSealed
	}
	return pt, nil
}

// Argon2Params are the Argon2id parameters for new password hashes.
type Argon2Params struct {
	Time    uint32
	MemKiB  uint32
	Threads uint8
}

// DefaultArgon2 is RFC 9106's second recommended option (t=3, m=64 MiB,
// p=4), the station's default and the least the station program uses.
var DefaultArgon2 = Argon2Params{Time: 3, MemKiB: 64 * 1024, Threads: 4}

const (
	saltSize = 16
	hashSize = 32
	// Bounds for stored parameters, so a tampered hash cannot exhaust memory.
	maxArgonMemKiB = 256 << 10
	maxArgonTime   = 16
)

// hashPassword returns a PHC-style Argon2id hash string.
func hashPassword(pw []byte, p Argon2Params) (string, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h := argon2.IDKey(pw, salt, p.Time, p.MemKiB, p.Threads, hashSize)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(h)), nil
}

var errBadHash = errors.New("stored password hash is malformed")

// checkPassword reports whether pw matches the stored hash, in constant time.
func checkPassword(pw []byte, stored string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false, errBadHash
	}
	var p Argon2Params
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemKiB, &p.Time, &threads); n != 3 || err != nil {
		return false, errBadHash
	}
	if p.MemKiB == 0 || p.MemKiB > maxArgonMemKiB || p.Time == 0 || p.Time > maxArgonTime || threads == 0 || threads > 255 {
		return false, errBadHash
	}
	p.Threads = uint8(threads)
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) != hashSize {
		return false, errBadHash
	}
	got := argon2.IDKey(pw, salt, p.Time, p.MemKiB, p.Threads, hashSize)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// bannedPasswords are refused whatever their length: the commonest
// passwords of at least 8 characters and the department's obvious ones.
var bannedPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "12345678": true, "123456789": true,
	"1234567890": true, "qwertyuiop": true, "qwerty123": true, "iloveyou": true, "11111111": true,
	"00000000": true, "abc12345": true, "letmein1": true, "welcome1": true, "sunshine": true,
	"football": true, "baseball": true, "princess": true, "trustno1": true, "passw0rd": true,
	"p@ssw0rd": true, "changeme": true, "police123": true, "police01": true, "detective": true,
	"supervisor": true, "evidence": true, "caseviewer": true, "station1": true, "officer1": true,
}

// ErrWeakPassword is returned for a password shorter than 8 characters,
// longer than the limit, or on the banned list.
var ErrWeakPassword = errors.New("password too weak")

// CheckPasswordPolicy checks a new password: at least 8 characters (CJIS
// IA-5(1)(a)), at most 256 bytes, not on the banned list, not the officer ID.
func CheckPasswordPolicy(pw, officerID string) error {
	switch {
	case len([]rune(pw)) < 8:
		return fmt.Errorf("%w: it must have at least 8 characters", ErrWeakPassword)
	case len(pw) > 256:
		return fmt.Errorf("%w: it must have at most 256 bytes", ErrWeakPassword)
	case bannedPasswords[strings.ToLower(pw)]:
		return fmt.Errorf("%w: it is on the list of banned passwords", ErrWeakPassword)
	case officerID != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(officerID)):
		return fmt.Errorf("%w: it must not contain the officer ID", ErrWeakPassword)
	}
	return nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomID returns prefix-XXXXXXXXXXXXXXXX with 80 random bits.
func randomID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + "-" + b32.EncodeToString(b)
}

// randomToken returns a token of n random bytes in base32, in groups of 4
// for reading aloud, and the SHA-256 to store in its place.
func randomToken(n int) (string, []byte) {
	b := make([]byte, n)
	rand.Read(b)
	s := b32.EncodeToString(b)
	var g []string
	for len(s) > 4 {
		g = append(g, s[:4])
		s = s[4:]
	}
	g = append(g, s)
	tok := strings.Join(g, "-")
	return tok, tokenHash(tok)
}

// tokenHash normalises a token (case, dashes, spaces) and hashes it.
func tokenHash(tok string) []byte {
	t := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(tok))
	h := sha256.Sum256([]byte("caseviewer token v1\x00" + t))
	return h[:]
}

// sessionCode returns a short code such as "K7QM-4XPA" (40 bits): enough to
// find the audit records of one session from a photo of a watermark.
func sessionCode() string {
	b := make([]byte, 5)
	rand.Read(b)
	s := b32.EncodeToString(b)
	return s[:4] + "-" + s[4:]
}
