package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadSignature is returned when a signed object does not verify.
var ErrBadSignature = errors.New("wire: signature does not verify")

// Domain-separation labels: every signed message starts with one of them, so
// a signature made for one purpose is never valid for another.
const (
	labelStationInfo = "caseviewer/v1 station-info"
	labelEnroll      = "caseviewer/v1 enroll"
	labelLogin       = "caseviewer/v1 login"
	labelWipe        = "caseviewer/v1 wipe-receipt"
)

// message builds label || 0x00 || for each field: uint32 big-endian length,
// field bytes. The length prefixes make the encoding injective.
func message(label string, fields ...[]byte) []byte {
	n := len(label) + 1
	for _, f := range fields {
		n += 4 + len(f)
	}
	m := make([]byte, 0, n)
	m = append(m, label...)
	m = append(m, 0)
	for _, f := range fields {
		m = binary.BigEndian.AppendUint32(m, uint32(len(f)))
		m = append(m, f...)
	}
	return m
}

// StationInfoMessage returns the bytes the station signs for
// [SignedStationInfo]: info is the JSON of a [StationInfo].
func StationInfoMessage(info []byte) []byte { return message(labelStationInfo, info) }

// EnrollMessage returns the bytes a device signs in [EnrollRequest.Proof].
func EnrollMessage(token string, signingKey, hpkeKey []byte) []byte {
	return message(labelEnroll, []byte(token), signingKey, hpkeKey)
}

// LoginMessage returns the bytes a device signs in [LoginRequest.Signature]:
// the station ID, the challenge ID and bytes, the device and the officer.
func LoginMessage(stationID, challengeID string, challenge []byte, deviceID, officerID string) []byte {
	return message(labelLogin, []byte(stationID), []byte(challengeID), challenge, []byte(deviceID), []byte(officerID))
}

// WipeReceiptMessage returns the bytes a device signs for
// [SignedWipeReceipt]: receipt is the JSON of a [WipeReceipt].
func WipeReceiptMessage(receipt []byte) []byte { return message(labelWipe, receipt) }

// Fingerprint returns the SHA-256 fingerprint of a DER certificate (or any
// key bytes) as "SHA256:" and 32 colon-separated upper-case hex pairs, the
// form administrators read out and users compare.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(7 + 3*len(sum))
	b.WriteString("SHA256:")
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// StationKeyString formats a station's Ed25519 public key as `station init`
// prints it and as a client should show it for comparison: "ed25519:" and
// 64 lower-case hex digits.
func StationKeyString(pub ed25519.PublicKey) string {
	return "ed25519:" + hex.EncodeToString(pub)
}

// SignStationInfo encodes info and signs it with the station key.
func SignStationInfo(info StationInfo, caCert []byte, key ed25519.PrivateKey) (*SignedStationInfo, error) {
	b, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("wire: encode station info: %w", err)
	}
	return &SignedStationInfo{Info: b, Signature: ed25519.Sign(key, StationInfoMessage(b)), CACert: caCert}, nil
}

// VerifyStationInfo checks s against the station key pub and decodes it. At
// first contact, when no key is pinned yet, pass nil: the key inside the info
// is used, and the caller MUST then have a person compare
// Fingerprint(s.CACert) and the key with what the administrator read out.
// It also checks that CAFingerprint matches CACert.
func VerifyStationInfo(s *SignedStationInfo, pub ed25519.PublicKey) (*StationInfo, error) {
	if s == nil || len(s.Info) == 0 || len(s.Info) > MaxBodyBytes {
		return nil, fmt.Errorf("wire: station info missing or too large: %w", ErrBadSignature)
	}
	var info StationInfo
	if err := DecodeBytes(s.Info, &info); err != nil {
		return nil, fmt.Errorf("wire: station info: %w", err)
	}
	if len(info.PublicKey) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("wire: station info: public key has %d bytes: %w", len(info.PublicKey), ErrBadSignature)
	}
	if pub == nil {
		pub = info.PublicKey
	} else if !pub.Equal(ed25519.PublicKey(info.PublicKey)) {
		return nil, fmt.Errorf("wire: station info names another station key: %w", ErrBadSignature)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, StationInfoMessage(s.Info), s.Signature) {
		return nil, fmt.Errorf("wire: station info: %w", ErrBadSignature)
	}
	if len(s.CACert) > 0 && Fingerprint(s.CACert) != info.CAFingerprint {
		return nil, fmt.Errorf("wire: station info: CA certificate does not match its fingerprint: %w", ErrBadSignature)
	}
	return &info, nil
}

// SignWipeReceipt encodes r and signs it with the device key.
func SignWipeReceipt(r WipeReceipt, device ed25519.PrivateKey) (*SignedWipeReceipt, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("wire: encode wipe receipt: %w", err)
	}
	return &SignedWipeReceipt{Receipt: b, Signature: ed25519.Sign(device, WipeReceiptMessage(b))}, nil
}

// ParseWipeReceipt decodes the receipt inside s without checking its
// signature (the station first needs its DeviceID to find the key) and checks
// its fields against the limits of this package. Call [VerifyWipeReceipt]
// before trusting it.
func ParseWipeReceipt(s *SignedWipeReceipt) (*WipeReceipt, error) {
	if s == nil || len(s.Receipt) == 0 || len(s.Receipt) > MaxBodyBytes {
		return nil, fmt.Errorf("wire: wipe receipt missing or too large: %w", ErrMalformed)
	}
	var r WipeReceipt
	if err := DecodeBytes(s.Receipt, &r); err != nil {
		return nil, fmt.Errorf("wire: wipe receipt: %w", err)
	}
	switch {
	case r.DeviceID == "" || len(r.DeviceID) > MaxIDLen || len(r.StationID) > MaxIDLen ||
		len(r.OfficerID) > MaxIDLen || len(r.SessionCode) > MaxIDLen:
		return nil, fmt.Errorf("wire: wipe receipt: bad identifier: %w", ErrMalformed)
	case !validTrigger(r.Trigger):
		return nil, fmt.Errorf("wire: wipe receipt: unknown trigger %q: %w", r.Trigger, ErrMalformed)
	case len(r.Items) > MaxWipeItems:
		return nil, fmt.Errorf("wire: wipe receipt: %d items: %w", len(r.Items), ErrMalformed)
	case len(r.Nonce) < 16 || len(r.Nonce) > 64:
		return nil, fmt.Errorf("wire: wipe receipt: nonce of %d bytes: %w", len(r.Nonce), ErrMalformed)
	case r.WipedAt.IsZero():
		return nil, fmt.Errorf("wire: wipe receipt: no time: %w", ErrMalformed)
	}
	for _, it := range r.Items {
		if it == "" || len(it) > MaxWipeItemLen {
			return nil, fmt.Errorf("wire: wipe receipt: bad item: %w", ErrMalformed)
		}
	}
	return &r, nil
}

// VerifyWipeReceipt checks s against the device key pub.
func VerifyWipeReceipt(s *SignedWipeReceipt, pub ed25519.PublicKey) error {
	if s == nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, WipeReceiptMessage(s.Receipt), s.Signature) {
		return ErrBadSignature
	}
	return nil
}

func validTrigger(t string) bool {
	switch t {
	case WipeLogout, WipeIdle, WipeRevoked, WipeNetwork, WipeExpired, WipeManual, WipeShutdown:
		return true
	}
	return false
}

// ParseTime is a helper for query parameters: RFC 3339, or a duration such
// as "72h" counted back from now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("wire: %q is neither an RFC 3339 time nor a duration: %w", s, ErrMalformed)
}
