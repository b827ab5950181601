package wire

import "time"

// Limits on input. The station rejects anything larger with CodeTooLarge or
// CodeBadRequest; a client should check before sending.
const (
	// MaxBodyBytes caps every JSON request body.
	MaxBodyBytes = 64 << 10
	// MaxResponseBytes caps every JSON response body a client should accept
	// (case lists, audit trails, annotation lists).
	MaxResponseBytes = 8 << 20
	// MaxIDLen caps officer, device, case, document, request and annotation
	// identifiers and case numbers.
	MaxIDLen = 64
	// MaxNameLen caps names and titles.
	MaxNameLen = 200
	// MaxPasswordLen caps passwords (bytes).
	MaxPasswordLen = 256
	// MinPasswordLen is the shortest password the station accepts (CJIS
	// IA-5(1)(a)).
	MinPasswordLen = 8
	// MaxTokenLen caps enrollment and session tokens.
	MaxTokenLen = 128
	// MaxReasonLen caps reasons of requests and decisions.
	MaxReasonLen = 2000
	// MaxNoteLen caps annotation text.
	MaxNoteLen = 8000
	// MaxPage caps annotation page numbers.
	MaxPage = 100000
	// MaxCoordinate caps annotation coordinates (PDF points).
	MaxCoordinate = 1e6
	// MaxWipeItems caps the items of a wipe receipt; MaxWipeItemLen each.
	MaxWipeItems   = 32
	MaxWipeItemLen = 64
	// MaxGrantSeconds caps the duration of an access grant (30 days).
	MaxGrantSeconds = int64(30 * 24 * time.Hour / time.Second)
	// MinGrantSeconds is the shortest access grant (5 minutes).
	MinGrantSeconds = int64(5 * time.Minute / time.Second)
	// ChallengeTTL is how long a login challenge stays valid.
	ChallengeTTL = 2 * time.Minute
	// MaxClockSkew is how far a signed timestamp may be in the future.
	MaxClockSkew = 5 * time.Minute
)
