package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// OriginPrefix starts the origin line of every checkpoint; the station ID
// follows it. The origin is also the name of the station's note key.
const OriginPrefix = "caseviewer-audit/"

const (
	maxStationIDLen  = 64
	maxCheckpointLen = 4 << 10 // a signed note; ours are about 250 bytes
	timeLinePrefix   = "time "
)

var (
	// ErrInvalidCheckpoint reports checkpoint text that does not parse.
	ErrInvalidCheckpoint = errors.New("audit: invalid checkpoint")
	// ErrBadSignature reports a checkpoint whose signature does not verify
	// with the given verifier key (or that is not signed by it at all).
	ErrBadSignature = errors.New("audit: bad checkpoint signature")
	// ErrBadProof reports an inclusion or consistency proof that does not
	// verify, or a record that does not match what was proved.
	ErrBadProof = errors.New("audit: proof does not verify")
)

// Checkpoint is a signed statement by the station of the log's size and
// Merkle tree hash at a moment.
type Checkpoint struct {
	// StationID names the station (the origin is OriginPrefix+StationID).
	StationID string `json:"station_id"`
	// Size is the number of records the tree covers.
	Size int64 `json:"size"`
	// Hash is the tlog tree hash of the first Size records.
	Hash tlog.Hash `json:"hash"`
	// Time is when the station signed it.
	Time time.Time `json:"time"`
	// Text is the whole signed note, as served to clients and written to
	// the checkpoint file.
	Text []byte `json:"text"`
}

// ValidStationID reports whether id can name a station: 1 to 64 bytes of
// ASCII letters, digits, '.', '_' and '-'. The ID becomes part of a note
// key name, which forbids spaces and '+'.
func ValidStationID(id string) bool {
	if id == "" || len(id) > maxStationIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// VerifierKey returns the note verifier key text
// ("caseviewer-audit/<stationID>+<hash>+<key>") with which clients and
// auditors check the station's checkpoints.
func VerifierKey(stationID string, pub ed25519.PublicKey) (string, error) {
	if !ValidStationID(stationID) {
		return "", fmt.Errorf("audit: invalid station ID %q", stationID)
	}
	return note.NewEd25519VerifierKey(OriginPrefix+stationID, pub)
}

// formatCheckpointBody returns the unsigned checkpoint text, in the
// C2SP tlog-checkpoint layout with one extension line:
//
//	caseviewer-audit/<stationID>
//	<size>
//	<base64 tree hash>
//	time <RFC 3339 UTC, nanoseconds>
func formatCheckpointBody(stationID string, size int64, h tlog.Hash, t time.Time) []byte {
	return fmt.Appendf(nil, "%s%s\n%d\n%s\n%s%s\n", OriginPrefix, stationID, size, h, timeLinePrefix, t.UTC().Format(TimeFormat))
}

// ParseCheckpointBody parses unsigned checkpoint text (the note text,
// without signatures). It is strict: exactly four lines, canonical
// numbers, hash and time. It checks no signature; use OpenCheckpoint for
// anything received from elsewhere.
func ParseCheckpointBody(text []byte) (*Checkpoint, error) {
	if len(text) > maxCheckpointLen {
		return nil, fmt.Errorf("%w: too long", ErrInvalidCheckpoint)
	}
	lines := strings.SplitAfter(string(text), "\n")
	if len(lines) != 5 || lines[4] != "" {
		return nil, fmt.Errorf("%w: want 4 lines", ErrInvalidCheckpoint)
	}
	for i := range 4 {
		lines[i] = strings.TrimSuffix(lines[i], "\n")
	}
	id, ok := strings.CutPrefix(lines[0], OriginPrefix)
	if !ok || !ValidStationID(id) {
		return nil, fmt.Errorf("%w: bad origin line", ErrInvalidCheckpoint)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("%w: bad size line", ErrInvalidCheckpoint)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil || h.String() != lines[2] {
		return nil, fmt.Errorf("%w: bad hash line", ErrInvalidCheckpoint)
	}
	ts, ok := strings.CutPrefix(lines[3], timeLinePrefix)
	if !ok {
		return nil, fmt.Errorf("%w: bad time line", ErrInvalidCheckpoint)
	}
	t, err := time.Parse(TimeFormat, ts)
	if err != nil || t.UTC().Format(TimeFormat) != ts {
		return nil, fmt.Errorf("%w: bad time line", ErrInvalidCheckpoint)
	}
	return &Checkpoint{StationID: id, Size: size, Hash: h, Time: t.UTC()}, nil
}

// OpenCheckpoint verifies the signed checkpoint note text with
// verifierKey (from VerifierKey) and parses it. It fails with
// ErrBadSignature unless the note carries a valid signature by that key,
// and with ErrInvalidCheckpoint if the text does not parse or names a
// different log than the key.
func OpenCheckpoint(text []byte, verifierKey string) (*Checkpoint, error) {
	if len(text) > maxCheckpointLen {
		return nil, fmt.Errorf("%w: too long", ErrInvalidCheckpoint)
	}
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("audit: bad verifier key: %w", err)
	}
	n, err := note.Open(text, note.VerifierList(v))
	if err != nil {
		var unv *note.UnverifiedNoteError
		var inv *note.InvalidSignatureError
		if errors.As(err, &unv) || errors.As(err, &inv) {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidCheckpoint, err)
	}
	if len(n.Sigs) == 0 {
		return nil, ErrBadSignature
	}
	c, err := ParseCheckpointBody([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	if OriginPrefix+c.StationID != v.Name() {
		return nil, fmt.Errorf("%w: origin %q does not match key name %q", ErrInvalidCheckpoint, OriginPrefix+c.StationID, v.Name())
	}
	c.Text = bytes.Clone(text)
	return c, nil
}

// VerifyInclusion checks, on the client side, that record (a canonical
// encoding from Record.Encode) is entry index of the log whose signed
// checkpoint is checkpointText, using the proof from Log.ProveInclusion
// for the checkpoint's size. It also checks that the record itself
// carries that index. It returns the decoded record.
func VerifyInclusion(checkpointText []byte, verifierKey string, record []byte, index int64, proof tlog.RecordProof) (Record, error) {
	c, err := OpenCheckpoint(checkpointText, verifierKey)
	if err != nil {
		return Record{}, err
	}
	r, err := DecodeRecord(record)
	if err != nil {
		return Record{}, err
	}
	if r.Index != index {
		return Record{}, fmt.Errorf("%w: record carries index %d, not %d", ErrBadProof, r.Index, index)
	}
	if index < 0 || index >= c.Size {
		return Record{}, fmt.Errorf("%w: index %d outside checkpoint size %d", ErrBadProof, index, c.Size)
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Hash, index, tlog.RecordHash(record)); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	return r, nil
}

// VerifyConsistency checks, on the client side, that the log at the
// newer signed checkpoint extends the log at the older one (nothing in
// the first oldSize records was changed, removed or reordered), using the
// proof from Log.ProveConsistency(old.Size, new.Size). Both checkpoints
// must verify with verifierKey.
func VerifyConsistency(oldCheckpoint, newCheckpoint []byte, verifierKey string, proof tlog.TreeProof) error {
	o, err := OpenCheckpoint(oldCheckpoint, verifierKey)
	if err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	n, err := OpenCheckpoint(newCheckpoint, verifierKey)
	if err != nil {
		return fmt.Errorf("new checkpoint: %w", err)
	}
	if o.Size > n.Size {
		return fmt.Errorf("%w: old checkpoint size %d is larger than new %d", ErrBadProof, o.Size, n.Size)
	}
	if err := tlog.CheckTree(proof, n.Size, n.Hash, o.Size, o.Hash); err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	return nil
}

// ed25519Signer is a note.Signer over the station's Ed25519 key, so the
// private key never passes through an encoded string.
type ed25519Signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func newSigner(stationID string, key ed25519.PrivateKey) (*ed25519Signer, string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, "", errors.New("audit: signer must be an Ed25519 private key")
	}
	vkey, err := VerifierKey(stationID, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", err
	}
	return &ed25519Signer{name: v.Name(), hash: v.KeyHash(), key: key}, vkey, nil
}

func (s *ed25519Signer) Name() string                    { return s.name }
func (s *ed25519Signer) KeyHash() uint32                 { return s.hash }
func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// splitCheckpointFile splits the contents of a checkpoint file into the
// signed notes it holds. A note is its text lines (the first starting with
// OriginPrefix), a blank line, and one or more signature lines starting
// with "— ". A note ends at the first line after its signatures that is
// not a signature line, or, for an incomplete note, at the next line that
// starts a new one. lines holds the first line (from 1) of each note; bad
// lists the first line of each incomplete note.
func splitCheckpointFile(data []byte) (notes [][]byte, lines []int, bad []int) {
	start, startLine, off := 0, 1, 0
	inSigs := false
	for i, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		isSig := bytes.HasPrefix(l, []byte("— "))
		isOrigin := bytes.HasPrefix(l, []byte(OriginPrefix))
		switch {
		case inSigs && !isSig:
			notes, lines = append(notes, data[start:off]), append(lines, startLine)
			start, startLine, inSigs = off, i+1, false
		case !inSigs && isOrigin && off > start:
			bad = append(bad, startLine)
			start, startLine = off, i+1
		}
		if !inSigs && bytes.Equal(l, []byte("\n")) {
			inSigs = true
		}
		off += len(l)
	}
	if start < len(data) {
		if inSigs && bytes.HasSuffix(data, []byte("\n")) {
			notes, lines = append(notes, data[start:]), append(lines, startLine)
		} else {
			bad = append(bad, startLine)
		}
	}
	return notes, lines, bad
}
