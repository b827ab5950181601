package bundle

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// DocumentIdentity is the per-document age hybrid (ML-KEM-768+X25519)
// identity that a payload is encrypted to. It is a secret of the station: it
// never leaves the station, which stores it encrypted at rest. Grants carry
// only the payload's file key.
type DocumentIdentity struct {
	id *age.HybridIdentity
}

// NewDocumentIdentity generates a fresh random document identity.
func NewDocumentIdentity() (*DocumentIdentity, error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return nil, fmt.Errorf("bundle: generating document identity: %w", err)
	}
	return &DocumentIdentity{id: id}, nil
}

// ParseDocumentIdentity parses the encoding that String returns (an age
// "AGE-SECRET-KEY-PQ-1..." key).
func ParseDocumentIdentity(s string) (*DocumentIdentity, error) {
	if len(s) > 256 {
		return nil, fmt.Errorf("%w: document identity is %d bytes", ErrTooLarge, len(s))
	}
	id, err := age.ParseHybridIdentity(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("bundle: malformed document identity")
	}
	return &DocumentIdentity{id: id}, nil
}

// String returns the identity as an age secret key
// ("AGE-SECRET-KEY-PQ-1..."), the form ParseDocumentIdentity reads and the
// age command accepts as an identity file. It is a secret: store it only
// encrypted and never log it.
func (d *DocumentIdentity) String() string {
	return d.id.String()
}

// Recipient returns the identity's public age recipient ("age1pq1..."), to
// which any age implementation can encrypt a payload for this document.
func (d *DocumentIdentity) Recipient() string {
	return d.id.Recipient().String()
}
