package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Decoding errors.
var (
	// ErrTooLarge: the input exceeds the limit given to Decode.
	ErrTooLarge = errors.New("wire: input too large")
	// ErrMalformed: the input is not one JSON object of the expected shape.
	ErrMalformed = errors.New("wire: malformed input")
)

// Decode reads at most limit bytes of JSON from r into v, strictly: one JSON
// object, no unknown fields, no trailing data. It returns ErrTooLarge when r
// holds more than limit bytes and wraps ErrMalformed for everything else.
func Decode(r io.Reader, v any, limit int64) error {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrTooLarge
		}
		return fmt.Errorf("wire: read: %w", errors.Join(ErrMalformed, err))
	}
	if int64(len(b)) > limit {
		return ErrTooLarge
	}
	return DecodeBytes(b, v)
}

// DecodeBytes decodes b into v with the rules of [Decode] (without the size
// limit, which the caller has applied).
func DecodeBytes(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("wire: expected a JSON object: %w", ErrMalformed)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("wire: %v: %w", err, ErrMalformed)
	}
	if d.More() {
		return fmt.Errorf("wire: trailing data after the JSON object: %w", ErrMalformed)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("wire: trailing data after the JSON object: %w", ErrMalformed)
	}
	return nil
}
