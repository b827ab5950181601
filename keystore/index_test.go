package keystore

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestIndexRoundTrip(t *testing.T) {
	names := []string{"a", "b.c", "grant/CASE-1:doc-2", "z"}
	v := formatIndex(names)
	got, err := parseIndex(v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("got %q, want %q", got, names)
	}
}

func TestIndexFullFitsLimit(t *testing.T) {
	var names []string
	for i := 0; i < MaxItems; i++ {
		names = append(names, fmt.Sprintf("%03d%s", i, strings.Repeat("x", MaxNameLen-3)))
	}
	v := formatIndex(names)
	if len(v) > MaxEncodedSize {
		t.Fatalf("a full index is %d bytes, over the %d-byte limit", len(v), MaxEncodedSize)
	}
	if _, err := parseIndex(v); err != nil {
		t.Fatal(err)
	}
}

func TestIndexRejects(t *testing.T) {
	for _, tc := range []struct{ name, v string }{
		{"empty", ""},
		{"header only", indexHeader},
		{"wrong header", "cvidx2\na"},
		{"unsorted", indexHeader + "b\na"},
		{"duplicate", indexHeader + "a\na"},
		{"trailing newline", indexHeader + "a\n"},
		{"empty line", indexHeader + "a\n\nb"},
		{"reserved name", indexHeader + ".identity"},
		{"crlf", indexHeader + "a\r\nb"},
		{"too long", indexHeader + strings.Repeat("a", MaxEncodedSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseIndex(tc.v); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseIndex(%q) = %v, want ErrCorrupt", tc.v, err)
			}
		})
	}
}

// FuzzParseIndex checks that whatever parses re-encodes to the same bytes.
func FuzzParseIndex(f *testing.F) {
	f.Add(formatIndex([]string{"a", "b"}))
	f.Add(indexHeader + "b\na")
	f.Add(indexHeader)
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		names, err := parseIndex(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		if got := formatIndex(names); got != v {
			t.Fatalf("round trip changed %q to %q", v, got)
		}
	})
}

// FuzzParseIdentity checks that a stored identity parses only in its
// canonical form.
func FuzzParseIdentity(f *testing.F) {
	id, err := GenerateIdentity()
	if err != nil {
		f.Fatal(err)
	}
	good := id.marshal()
	f.Add([]byte(good))
	f.Add([]byte(good[:len(good)-1]))
	f.Add([]byte(identityPrefix + strings.Repeat("A", 86) + "=="))
	f.Add([]byte("cvid2:" + good[len(identityPrefix):]))
	f.Fuzz(func(t *testing.T, v []byte) {
		id, err := parseIdentity(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		if got := id.marshal(); got != string(v) {
			t.Fatalf("round trip changed %q to %q", v, got)
		}
	})
}

func TestParseIdentityRejectsZeroKeys(t *testing.T) {
	v := identityPrefix + strings.Repeat("A", 86) + "=="
	if _, err := parseIdentity([]byte(v)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("zero identity: %v, want ErrCorrupt", err)
	}
}
