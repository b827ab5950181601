package audit

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// TimeFormat is the layout used to print record times: RFC 3339 in UTC
// with nanoseconds always present, which exceeds the hundredths of a
// second that CJIS AU-8 asks for.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Size limits of the canonical record encoding. Append truncates longer
// fields (marking the cut) so that an oversized request is still audited;
// DecodeRecord rejects them.
const (
	// MaxFieldLen caps every text field except Detail, in bytes.
	MaxFieldLen = 512
	// MaxDetailLen caps Detail, in bytes.
	MaxDetailLen = 8 << 10
	// MaxRecordSize caps a whole encoded record, in bytes.
	MaxRecordSize = recordHeaderLen + numStrings*4 + (numStrings-1)*MaxFieldLen + MaxDetailLen
)

// recordMagic starts every encoded record; the last byte is the version.
const recordMagic = "cvaudit\x01"

const (
	numStrings      = 11
	recordHeaderLen = len(recordMagic) + 4*8 // index, time, bytes, duration
	truncMark       = "…[truncated]"
)

// Record is one audit event with the content CJIS AU-3 and AU-3(1) ask
// for: what (Action), when (Time), where (StationID, StationAddr,
// ClientAddr), source (DeviceID, ClientAddr), outcome (Outcome), who
// (OfficerID), object (CaseNumber, Object), session (SessionCode,
// SessionDuration), and amount (Bytes), with free text in Detail.
//
// All text fields are UTF-8. Append replaces invalid UTF-8 with U+FFFD and
// truncates fields longer than MaxFieldLen (MaxDetailLen for Detail).
type Record struct {
	// Index is the record's position in the log, set by Append.
	Index int64 `json:"index"`
	// Time is when the event happened, in UTC with nanoseconds. Append
	// sets it to the current time when it is zero.
	Time time.Time `json:"time"`
	// Action says what happened, for example "document.open" or "login".
	Action string `json:"action"`
	// Outcome is the result, for example "allowed", "denied", "failed".
	Outcome string `json:"outcome"`
	// OfficerID names who acted (may be empty or unverified for failed logins).
	OfficerID string `json:"officer_id,omitempty"`
	// DeviceID names the laptop (the source device).
	DeviceID string `json:"device_id,omitempty"`
	// SessionCode is the short code watermarked on screen that leads back here.
	SessionCode string `json:"session_code,omitempty"`
	// ClientAddr is the source network address (host:port).
	ClientAddr string `json:"client_addr,omitempty"`
	// StationAddr is the destination network address (host:port).
	StationAddr string `json:"station_addr,omitempty"`
	// StationID names the station that wrote the record. Append fills it
	// from Config.StationID when empty.
	StationID string `json:"station_id,omitempty"`
	// CaseNumber is the case the event concerns, if any.
	CaseNumber string `json:"case_number,omitempty"`
	// Object names the document or other object the event concerns.
	Object string `json:"object,omitempty"`
	// Detail is free text: a denial reason, an admin command, and so on.
	Detail string `json:"detail,omitempty"`
	// Bytes is the number of bytes transferred, if any.
	Bytes int64 `json:"bytes,omitempty"`
	// SessionDuration is how long the session had lasted at the event.
	SessionDuration time.Duration `json:"session_duration_ns,omitempty"`
}

// strings returns pointers to the text fields in canonical order.
func (r *Record) strings() [numStrings]*string {
	return [numStrings]*string{
		&r.Action, &r.Outcome, &r.OfficerID, &r.DeviceID, &r.SessionCode,
		&r.ClientAddr, &r.StationAddr, &r.StationID, &r.CaseNumber, &r.Object,
		&r.Detail,
	}
}

func fieldCap(i int) int {
	if i == numStrings-1 {
		return MaxDetailLen
	}
	return MaxFieldLen
}

// Encode returns the canonical encoding of r, the bytes that are hashed
// into the log. The same record always encodes to the same bytes, and
// DecodeRecord(r.Encode()) gives r back for every valid record.
//
// The format (see doc/audit-log.md) is the 8-byte magic "cvaudit\x01";
// then big-endian 64-bit Index, Time as Unix nanoseconds, Bytes and
// SessionDuration; then the eleven text fields in struct order, each a
// big-endian 32-bit length followed by that many bytes of UTF-8.
// Encode does not validate; Append does.
func (r Record) Encode() []byte {
	n := recordHeaderLen
	for _, s := range r.strings() {
		n += 4 + len(*s)
	}
	b := make([]byte, 0, n)
	b = append(b, recordMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Index))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Bytes))
	b = binary.BigEndian.AppendUint64(b, uint64(r.SessionDuration))
	for _, s := range r.strings() {
		b = binary.BigEndian.AppendUint32(b, uint32(len(*s)))
		b = append(b, *s...)
	}
	return b
}

// DecodeRecord parses the canonical encoding made by Record.Encode. It
// rejects, with an error wrapping ErrInvalidRecord, anything that Encode
// would not produce for a valid record: a wrong magic or version, negative
// numbers, a time outside the range of Unix nanoseconds, fields over their
// caps, invalid UTF-8 and trailing bytes.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	if len(b) > MaxRecordSize {
		return Record{}, fmt.Errorf("%w: %d bytes exceeds the %d-byte cap", ErrInvalidRecord, len(b), MaxRecordSize)
	}
	if len(b) < recordHeaderLen || string(b[:len(recordMagic)]) != recordMagic {
		return Record{}, fmt.Errorf("%w: missing record header", ErrInvalidRecord)
	}
	p := b[len(recordMagic):]
	next := func() int64 {
		v := int64(binary.BigEndian.Uint64(p))
		p = p[8:]
		return v
	}
	r.Index = next()
	ns := next()
	r.Bytes = next()
	r.SessionDuration = time.Duration(next())
	if r.Index < 0 || r.Bytes < 0 || r.SessionDuration < 0 {
		return Record{}, fmt.Errorf("%w: negative number", ErrInvalidRecord)
	}
	if ns == math.MinInt64 {
		// Time.UnixNano's own value for times out of range; never valid.
		return Record{}, fmt.Errorf("%w: time out of range", ErrInvalidRecord)
	}
	r.Time = time.Unix(0, ns).UTC()
	for i, s := range r.strings() {
		if len(p) < 4 {
			return Record{}, fmt.Errorf("%w: truncated field %d", ErrInvalidRecord, i)
		}
		n := binary.BigEndian.Uint32(p)
		p = p[4:]
		if n > uint32(fieldCap(i)) || int(n) > len(p) {
			return Record{}, fmt.Errorf("%w: field %d length %d out of bounds", ErrInvalidRecord, i, n)
		}
		v := p[:n]
		p = p[n:]
		if !utf8.Valid(v) {
			return Record{}, fmt.Errorf("%w: field %d is not UTF-8", ErrInvalidRecord, i)
		}
		*s = string(v)
	}
	if len(p) != 0 {
		return Record{}, fmt.Errorf("%w: %d trailing bytes", ErrInvalidRecord, len(p))
	}
	return r, nil
}

// normalize makes r valid for Encode: UTC time with no monotonic reading,
// valid UTF-8, fields within caps. It rejects what cannot be repaired
// without changing the meaning (negative numbers, out-of-range times).
func (r *Record) normalize() error {
	if r.Bytes < 0 || r.SessionDuration < 0 {
		return fmt.Errorf("%w: negative bytes or session duration", ErrInvalidRecord)
	}
	ns := r.Time.UnixNano()
	if ns == math.MinInt64 || !time.Unix(0, ns).Equal(r.Time) {
		return fmt.Errorf("%w: time %v out of range", ErrInvalidRecord, r.Time)
	}
	r.Time = time.Unix(0, ns).UTC()
	for i, s := range r.strings() {
		v := strings.ToValidUTF8(*s, "\uFFFD")
		if c := fieldCap(i); len(v) > c {
			cut := c - len(truncMark)
			for cut > 0 && !utf8.RuneStart(v[cut]) {
				cut--
			}
			v = v[:cut] + truncMark
		}
		*s = v
	}
	return nil
}

// ErrInvalidRecord reports a record that cannot be encoded or bytes that
// are not a canonical record encoding.
var ErrInvalidRecord = errors.New("audit: invalid record")

// recordJSON is Record with Time in TimeFormat, so JSON always carries
// nanoseconds (RFC 3339 with fraction) even when they are zero.
type recordJSON struct {
	recordFields
	Time string `json:"time"`
}

type recordFields Record

// MarshalJSON encodes r with Time in TimeFormat (UTC, nanoseconds).
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordJSON{recordFields(r), r.Time.UTC().Format(TimeFormat)})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *Record) UnmarshalJSON(b []byte) error {
	var v recordJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, v.Time)
	if err != nil {
		return fmt.Errorf("%w: time: %v", ErrInvalidRecord, err)
	}
	*r = Record(v.recordFields)
	r.Time = t.UTC()
	return nil
}
