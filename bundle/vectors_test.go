package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const vectorDir = "testdata/vectors"

// vector is one test vector file (format in doc/bundle-format.md, section 9).
type vector struct {
	name        string
	expect      string
	covers      []string
	description string
	stationPub  ed25519.PublicKey
	deviceID    string
	deviceKey   []byte
	officerID   string
	now         time.Time
	payloadSize int64 // -1: len(payload)
	plainSHA    []byte
	manifest    []byte
	grant       []byte
	payload     []byte
}

var b64 = base64.StdEncoding

func (v *vector) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "expect: %s\n", v.expect)
	fmt.Fprintf(&b, "covers: %s\n", strings.Join(v.covers, " "))
	fmt.Fprintf(&b, "description: %s\n", v.description)
	fmt.Fprintf(&b, "station-public-key: %s\n", b64.EncodeToString(v.stationPub))
	fmt.Fprintf(&b, "device-id: %s\n", v.deviceID)
	fmt.Fprintf(&b, "device-hpke-private-key: %s\n", b64.EncodeToString(v.deviceKey))
	if v.officerID != "" {
		fmt.Fprintf(&b, "officer-id: %s\n", v.officerID)
	}
	fmt.Fprintf(&b, "now: %s\n", v.now.UTC().Format(time.RFC3339Nano))
	if v.payloadSize >= 0 {
		fmt.Fprintf(&b, "payload-size: %d\n", v.payloadSize)
	}
	if v.plainSHA != nil {
		fmt.Fprintf(&b, "plaintext-sha256: %x\n", v.plainSHA)
	}
	fmt.Fprintf(&b, "manifest: %s\n", b64.EncodeToString(v.manifest))
	fmt.Fprintf(&b, "grant: %s\n", b64.EncodeToString(v.grant))
	b.WriteString("\n")
	b.Write(v.payload)
	return b.Bytes()
}

func parseVector(name string, data []byte) (*vector, error) {
	head, payload, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return nil, errors.New("no blank line after the header")
	}
	v := &vector{name: name, payloadSize: -1, payload: payload}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(head), "\n") {
		k, val, ok := strings.Cut(line, ": ")
		if !ok {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		if seen[k] {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "expect":
			v.expect = val
		case "covers":
			v.covers = strings.Fields(val)
		case "description":
			v.description = val
		case "station-public-key":
			v.stationPub, err = b64.DecodeString(val)
		case "device-id":
			v.deviceID = val
		case "device-hpke-private-key":
			v.deviceKey, err = b64.DecodeString(val)
		case "officer-id":
			v.officerID = val
		case "now":
			v.now, err = time.Parse(time.RFC3339Nano, val)
		case "payload-size":
			v.payloadSize, err = strconv.ParseInt(val, 10, 64)
		case "plaintext-sha256":
			v.plainSHA, err = hex.DecodeString(val)
		case "manifest":
			v.manifest, err = b64.DecodeString(val)
		case "grant":
			v.grant, err = b64.DecodeString(val)
		default:
			return nil, fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
	}
	for _, k := range []string{"expect", "covers", "description", "station-public-key", "device-id", "device-hpke-private-key", "now", "manifest", "grant"} {
		if !seen[k] {
			return nil, fmt.Errorf("missing %q", k)
		}
	}
	if (v.expect == "success") != (v.plainSHA != nil) {
		return nil, errors.New("plaintext-sha256 is required for success vectors and only for them")
	}
	return v, nil
}

// outcome classifies the result of opening and fully reading a bundle.
func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, ErrTooLarge):
		return "too-large"
	case errors.Is(err, ErrUnsupportedVersion):
		return "unsupported-version"
	case errors.Is(err, ErrWrongDevice):
		return "wrong-device"
	case errors.Is(err, ErrWrongOfficer):
		return "wrong-officer"
	case errors.Is(err, ErrExpired):
		return "expired"
	case errors.Is(err, ErrTampered):
		return "tampered"
	}
	return "unclassified: " + err.Error()
}

// run opens the vector's bundle and reads all of it, as section 9 says.
func (v *vector) run() (sum []byte, err error) {
	k, err := hpke.MLKEM768X25519().NewPrivateKey(v.deviceKey)
	if err != nil {
		return nil, fmt.Errorf("vector's device key: %v", err)
	}
	size := v.payloadSize
	if size < 0 {
		size = int64(len(v.payload))
	}
	doc, err := Open(v.manifest, v.grant, bytes.NewReader(v.payload), size,
		Device{ID: v.deviceID, HPKE: k}, v.stationPub,
		&OpenOptions{Now: func() time.Time { return v.now }, OfficerID: v.officerID})
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	plain, err := doc.ReadAll(context.Background())
	if err != nil {
		if plain != nil {
			return nil, errors.New("ReadAll returned bytes with an error")
		}
		return nil, err
	}
	s := sha256.Sum256(plain)
	return s[:], nil
}

func loadVectors(t *testing.T) []*vector {
	t.Helper()
	entries, err := os.ReadDir(vectorDir)
	if err != nil {
		t.Fatal(err)
	}
	var vs []*vector
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(vectorDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		v, err := parseVector(e.Name(), data)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if !strings.HasPrefix(e.Name(), v.expect+".") {
			t.Errorf("%s: file name does not start with its expected outcome %q", e.Name(), v.expect)
		}
		vs = append(vs, v)
	}
	return vs
}

// TestVectors replays every vector under testdata/vectors.
func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) < 40 {
		t.Fatalf("only %d vectors, want at least 40", len(vs))
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			sum, err := v.run()
			if got := outcome(err); got != v.expect {
				t.Fatalf("%s\ngot %s (%v), want %s", v.description, got, err, v.expect)
			}
			if err == nil && !bytes.Equal(sum, v.plainSHA) {
				t.Fatalf("plaintext SHA-256 %x, want %x", sum, v.plainSHA)
			}
			// Vector files are canonical: re-marshaling gives the same bytes.
			data, _ := os.ReadFile(filepath.Join(vectorDir, v.name))
			if !bytes.Equal(v.marshal(), data) {
				t.Errorf("vector file is not in canonical form")
			}
		})
	}
}

// TestVectorsCoverSpec checks that every verifier requirement tagged in the
// spec has a vector, and every station requirement a unit test naming it.
func TestVectorsCoverSpec(t *testing.T) {
	spec, err := os.ReadFile("../doc/bundle-format.md")
	if err != nil {
		t.Fatal(err)
	}
	tags := regexp.MustCompile(`\*\*\[([A-Z][0-9]+)\]\*\*`).FindAllStringSubmatch(string(spec), -1)
	if len(tags) < 20 {
		t.Fatalf("found only %d requirement tags in the spec", len(tags))
	}
	covered := map[string]int{}
	for _, v := range loadVectors(t) {
		for _, c := range v.covers {
			covered[c]++
		}
	}
	var tests strings.Builder
	files, _ := filepath.Glob("*_test.go")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		tests.Write(b)
	}
	defined := map[string]bool{}
	for _, m := range tags {
		tag := m[1]
		defined[tag] = true
		if strings.HasPrefix(tag, "I") {
			if !strings.Contains(tests.String(), "Covers spec "+tag+".") {
				t.Errorf("station requirement %s has no unit test marked %q", tag, "Covers spec "+tag+".")
			}
			continue
		}
		if covered[tag] == 0 {
			t.Errorf("requirement %s has no test vector", tag)
		}
	}
	for c := range covered {
		if !defined[c] {
			t.Errorf("vectors cover %s, which the spec does not define", c)
		}
	}
	// Every requirement (a paragraph or list item that says MUST) carries a
	// tag, so that the checks above see all of them.
	for _, item := range specItems(string(spec)) {
		if strings.Contains(item, "MUST") && !strings.Contains(item, "RFC 2119") &&
			!regexp.MustCompile(`\*\*\[[A-Z][0-9]+\]\*\*`).MatchString(item) {
			t.Errorf("spec requirement without a tag: %q", item)
		}
	}
	t.Logf("%d tags, vectors per tag: %v", len(defined), covered)
}

// specItems splits markdown into paragraphs and list items (code blocks
// and tables excluded).
func specItems(spec string) []string {
	var items []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			items = append(items, cur.String())
			cur.Reset()
		}
	}
	inCode := false
	for _, line := range strings.Split(spec, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			inCode = !inCode
			flush()
			continue
		case inCode || strings.HasPrefix(trimmed, "|"):
			continue
		case trimmed == "":
			flush()
			continue
		case strings.HasPrefix(trimmed, "- ") || regexp.MustCompile(`^[0-9]+\. `).MatchString(trimmed) || strings.HasPrefix(trimmed, "#"):
			flush()
		}
		cur.WriteString(trimmed + " ")
	}
	flush()
	return items
}

// TestVectorOutcomeClasses checks that the classes in the spec's error table
// are the ones the vectors and outcome use.
func TestVectorOutcomeClasses(t *testing.T) {
	want := []string{"success", "tampered", "expired", "wrong-device", "wrong-officer", "unsupported-version", "too-large"}
	seen := map[string]bool{}
	for _, v := range loadVectors(t) {
		if !slices.Contains(want, v.expect) {
			t.Errorf("%s: unknown outcome %q", v.name, v.expect)
		}
		seen[v.expect] = true
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no vector expects %s", w)
		}
	}
}

func TestSpecItems(t *testing.T) {
	spec := "Intro MUST\nstill intro.\n\n- **[A1]** MUST x\n  continued\n- plain MUST\n1. step\n```\ncode MUST\n```\n| table | MUST |\n"
	got := specItems(spec)
	want := []string{"Intro MUST still intro. ", "- **[A1]** MUST x continued ", "- plain MUST ", "1. step "}
	if !slices.Equal(got, want) {
		t.Fatalf("specItems = %q, want %q", got, want)
	}
}
