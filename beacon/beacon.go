// Package beacon implements the station beacon: a signed UDP
// challenge-response by which a Case Viewer laptop proves, every few seconds,
// that it is still inside the station network.
//
// # Protocol
//
// The client sends a request of exactly [RequestSize] bytes:
//
//	"CVB1" | nonce (32 random bytes) | u8 len | device ID | zero padding
//
// The station answers with
//
//	"CVB1" | nonce | u64 big-endian station time (unix ns) |
//	u8 len | station ID | u8 len | device ID | Ed25519 signature (64 bytes)
//
// where the signature covers [SignatureContext] followed by every preceding
// byte of the answer. Because requests are padded to a fixed size that is at
// least as large as the largest answer, the beacon never amplifies traffic.
//
// A look-alike network cannot answer: it lacks the station's signing key
// ([ErrBadSignature]); it cannot reuse an answer it recorded earlier, because
// each request carries a fresh nonce ([ErrWrongNonce]) and the answer carries
// the station's clock ([ErrStale]); and it cannot pass off the answer to
// another laptop, because the device ID is signed too ([ErrWrongDevice]).
//
// Parsing is strict: wrong sizes, non-zero padding, IDs outside printable
// ASCII or longer than [MaxIDLen] and trailing data are all rejected with
// [ErrMalformed]. The full specification is doc/beacon.md.
//
// [Serve] runs the station side, [Query] sends one request from the client
// side and [Verify] checks the answer it returns.
package beacon

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Magic starts every request and every answer.
const Magic = "CVB1"

// SignatureContext is the domain-separation string that precedes the answer
// bytes in the signed message.
const SignatureContext = "caseviewer beacon answer v1\n"

// NonceSize is the size of a request nonce in bytes.
const NonceSize = 32

// MaxIDLen is the largest station or device ID, in bytes.
const MaxIDLen = 64

// RequestSize is the exact size of every request datagram. It is at least
// [MaxAnswerSize], so an answer is never larger than the request that caused
// it.
const RequestSize = 256

// MaxAnswerSize is the size of the largest possible answer.
const MaxAnswerSize = len(Magic) + NonceSize + 8 + 1 + MaxIDLen + 1 + MaxIDLen + ed25519.SignatureSize

// minAnswerSize is the size of the smallest possible answer (one-byte IDs).
const minAnswerSize = len(Magic) + NonceSize + 8 + 1 + 1 + 1 + 1 + ed25519.SignatureSize

// Errors returned by the parsers and by Verify. Each names a distinct reason
// an answer is not accepted; all of them mean "the station is absent".
var (
	// ErrMalformed means the bytes are not a well-formed request or answer.
	ErrMalformed = errors.New("beacon: malformed message")
	// ErrBadSignature means the answer was not signed by the pinned station key.
	ErrBadSignature = errors.New("beacon: bad signature or wrong station key")
	// ErrWrongNonce means the answer is for another request (a replay).
	ErrWrongNonce = errors.New("beacon: answer for another nonce (replay)")
	// ErrStale means the station time in the answer is too far from ours.
	ErrStale = errors.New("beacon: station time outside the allowed skew")
	// ErrWrongDevice means the answer names another device.
	ErrWrongDevice = errors.New("beacon: answer for another device")
	// ErrWrongStation means the answer names another station.
	ErrWrongStation = errors.New("beacon: answer from another station")
	// ErrNoAnswer means no well-formed answer arrived in time.
	ErrNoAnswer = errors.New("beacon: no answer")
	// ErrInvalidID means a station or device ID given by the caller is empty,
	// too long or not printable ASCII.
	ErrInvalidID = errors.New("beacon: invalid ID")
)

// Nonce is the random challenge of one request.
type Nonce [NonceSize]byte

// NewNonce returns a fresh random nonce.
func NewNonce() Nonce {
	var n Nonce
	rand.Read(n[:]) // crypto/rand.Read never returns an error since Go 1.24.
	return n
}

// Request is a parsed beacon request.
type Request struct {
	Nonce    Nonce
	DeviceID string
}

// Answer is the content of a beacon answer, without its signature.
type Answer struct {
	Nonce     Nonce
	Time      time.Time
	StationID string
	DeviceID  string
}

// validID reports whether id is 1 to MaxIDLen bytes of printable ASCII
// (space to tilde).
func validID(id []byte) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// MarshalRequest returns the RequestSize-byte request for nonce and deviceID.
func MarshalRequest(nonce Nonce, deviceID string) ([]byte, error) {
	if !validID([]byte(deviceID)) {
		return nil, fmt.Errorf("%w: device ID %q", ErrInvalidID, deviceID)
	}
	b := make([]byte, 0, RequestSize)
	b = append(b, Magic...)
	b = append(b, nonce[:]...)
	b = append(b, byte(len(deviceID)))
	b = append(b, deviceID...)
	return b[:RequestSize], nil // the rest of the capacity is the zero padding
}

// ParseRequest parses a request datagram. It rejects any size other than
// RequestSize, a bad magic, an invalid device ID and non-zero padding.
func ParseRequest(b []byte) (Request, error) {
	var r Request
	if len(b) != RequestSize {
		return r, fmt.Errorf("%w: request of %d bytes, want %d", ErrMalformed, len(b), RequestSize)
	}
	if string(b[:len(Magic)]) != Magic {
		return r, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	p := b[len(Magic):]
	copy(r.Nonce[:], p[:NonceSize])
	p = p[NonceSize:]
	n := int(p[0])
	p = p[1:]
	if n > len(p) || !validID(p[:n]) {
		return Request{}, fmt.Errorf("%w: bad device ID", ErrMalformed)
	}
	r.DeviceID = string(p[:n])
	for _, c := range p[n:] {
		if c != 0 {
			return Request{}, fmt.Errorf("%w: non-zero padding", ErrMalformed)
		}
	}
	return r, nil
}

// SignAnswer returns the signed answer for a, signed with key.
func SignAnswer(a Answer, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("beacon: bad station private key size")
	}
	if !validID([]byte(a.StationID)) {
		return nil, fmt.Errorf("%w: station ID %q", ErrInvalidID, a.StationID)
	}
	if !validID([]byte(a.DeviceID)) {
		return nil, fmt.Errorf("%w: device ID %q", ErrInvalidID, a.DeviceID)
	}
	ns := a.Time.UnixNano()
	if a.Time.Before(time.Unix(0, 0)) || ns < 0 {
		return nil, errors.New("beacon: station time before 1970")
	}
	b := make([]byte, 0, MaxAnswerSize)
	b = append(b, Magic...)
	b = append(b, a.Nonce[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(ns))
	b = append(b, byte(len(a.StationID)))
	b = append(b, a.StationID...)
	b = append(b, byte(len(a.DeviceID)))
	b = append(b, a.DeviceID...)
	sig := ed25519.Sign(key, signedMessage(b))
	return append(b, sig...), nil
}

func signedMessage(body []byte) []byte {
	m := make([]byte, 0, len(SignatureContext)+len(body))
	m = append(m, SignatureContext...)
	return append(m, body...)
}

// parseAnswer parses the structure of an answer and returns its content, the
// signed body and the signature. It does not check the signature.
func parseAnswer(b []byte) (a Answer, body, sig []byte, err error) {
	if len(b) < minAnswerSize || len(b) > MaxAnswerSize {
		return a, nil, nil, fmt.Errorf("%w: answer of %d bytes", ErrMalformed, len(b))
	}
	if string(b[:len(Magic)]) != Magic {
		return a, nil, nil, fmt.Errorf("%w: bad magic", ErrMalformed)
	}
	p := b[len(Magic):]
	copy(a.Nonce[:], p[:NonceSize])
	p = p[NonceSize:]
	ns := binary.BigEndian.Uint64(p[:8])
	p = p[8:]
	if ns > math.MaxInt64 {
		return Answer{}, nil, nil, fmt.Errorf("%w: time out of range", ErrMalformed)
	}
	a.Time = time.Unix(0, int64(ns))
	id, p, ok := readID(p)
	if !ok {
		return Answer{}, nil, nil, fmt.Errorf("%w: bad station ID", ErrMalformed)
	}
	a.StationID = id
	id, p, ok = readID(p)
	if !ok {
		return Answer{}, nil, nil, fmt.Errorf("%w: bad device ID", ErrMalformed)
	}
	a.DeviceID = id
	if len(p) != ed25519.SignatureSize {
		return Answer{}, nil, nil, fmt.Errorf("%w: signature of %d bytes (trailing data?)", ErrMalformed, len(p))
	}
	return a, b[:len(b)-len(p)], p, nil
}

// readID reads a u8 length and that many bytes of valid ID.
func readID(p []byte) (string, []byte, bool) {
	if len(p) < 1 {
		return "", nil, false
	}
	n := int(p[0])
	p = p[1:]
	if n > len(p) || !validID(p[:n]) {
		return "", nil, false
	}
	return string(p[:n]), p[n:], true
}

// VerifyAnswer checks a signed answer and returns its content. It checks, in
// this order: the structure (ErrMalformed), the signature under key
// (ErrBadSignature), the nonce (ErrWrongNonce), the station ID
// (ErrWrongStation), the device ID (ErrWrongDevice) and that the station time
// is within maxSkew of now (ErrStale).
func VerifyAnswer(answer []byte, nonce Nonce, deviceID, stationID string, key ed25519.PublicKey, now time.Time, maxSkew time.Duration) (Answer, error) {
	a, body, sig, err := parseAnswer(answer)
	if err != nil {
		return Answer{}, err
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, signedMessage(body), sig) {
		return Answer{}, ErrBadSignature
	}
	if subtle.ConstantTimeCompare(a.Nonce[:], nonce[:]) != 1 {
		return Answer{}, ErrWrongNonce
	}
	if a.StationID != stationID {
		return Answer{}, fmt.Errorf("%w: %q, want %q", ErrWrongStation, a.StationID, stationID)
	}
	if a.DeviceID != deviceID {
		return Answer{}, fmt.Errorf("%w: %q, want %q", ErrWrongDevice, a.DeviceID, deviceID)
	}
	skew := a.Time.Sub(now)
	if skew < 0 {
		skew = -skew
	}
	if maxSkew < 0 || skew > maxSkew {
		return Answer{}, fmt.Errorf("%w: station time %s, ours %s", ErrStale,
			a.Time.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	return a, nil
}

// Verify checks a signed answer as VerifyAnswer does and returns only the
// error: nil means the station is present.
func Verify(answer []byte, nonce Nonce, deviceID, stationID string, key ed25519.PublicKey, now time.Time, maxSkew time.Duration) error {
	_, err := VerifyAnswer(answer, nonce, deviceID, stationID, key, now, maxSkew)
	return err
}

// Ensure the padding rule holds: every answer fits in a request.
var _ = [RequestSize - MaxAnswerSize]struct{}{}

// contextDeadline returns ctx's deadline or now+def.
func contextDeadline(ctx context.Context, def time.Duration) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(def)
}
