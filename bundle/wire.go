package bundle

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// encoder appends the format's primitive types to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) raw(p []byte)     { e.b = append(e.b, p...) }
func (e *encoder) u16(v uint16)     { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u64(v uint64)     { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string)     { e.u16(uint16(len(s))); e.b = append(e.b, s...) }
func (e *encoder) time(t time.Time) { e.u64(uint64(t.UnixNano())) }
func (e *encoder) bytes16(p []byte) { e.u16(uint16(len(p))); e.b = append(e.b, p...) }

// decoder reads the format's primitive types. The first failure sticks in
// err; later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrTampered}, args...)...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("truncated %s", what)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u16(what string) uint16 {
	p := d.take(2, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (d *decoder) u64(what string) uint64 {
	p := d.take(8, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

// str reads a length-prefixed text field and checks it against the field's
// limits and the text rules of the format.
func (d *decoder) str(what string, minLen, maxLen int) string {
	n := int(d.u16(what + " length"))
	if d.err != nil {
		return ""
	}
	if n > maxLen {
		d.fail("%s is %d bytes, more than %d", what, n, maxLen)
		return ""
	}
	p := d.take(n, what)
	if d.err != nil {
		return ""
	}
	if err := checkText(what, string(p), minLen, maxLen); err != nil {
		d.fail("%v", err)
		return ""
	}
	return string(p)
}

// time reads a timestamp: Unix nanoseconds as a positive int64.
func (d *decoder) time(what string) time.Time {
	v := d.u64(what)
	if d.err != nil {
		return time.Time{}
	}
	if v == 0 || v > 1<<63-1 {
		d.fail("%s out of range", what)
		return time.Time{}
	}
	return time.Unix(0, int64(v)).UTC()
}

// checkText enforces the rules for text fields: valid UTF-8, no control
// characters, length within limits.
func checkText(what, s string, minLen, maxLen int) error {
	if len(s) < minLen {
		if minLen == 1 {
			return fmt.Errorf("%s is empty", what)
		}
		return fmt.Errorf("%s is shorter than %d bytes", what, minLen)
	}
	if len(s) > maxLen {
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrTooLarge, what, len(s), maxLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains a control character", what)
		}
	}
	return nil
}

// checkTime enforces the timestamp range of the format.
func checkTime(what string, t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return fmt.Errorf("%s %v is outside the range of the format", what, t)
	}
	return nil
}

// minTime and maxTime bound the instants the format encodes: 1 to 2^63-1
// Unix nanoseconds.
var (
	minTime = time.Unix(0, 1)
	maxTime = time.Unix(0, 1<<63-1)
)
