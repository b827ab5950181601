package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenRecord has every field set, to pin the v1 encoding.
var goldenRecord = Record{
	Index:           42,
	Time:            time.Date(2026, 12, 3, 19, 4, 5, 670000001, time.UTC),
	Action:          "document.open",
	Outcome:         "allowed",
	OfficerID:       "4471",
	DeviceID:        "laptop-7f3a",
	SessionCode:     "K7Q2",
	ClientAddr:      "198.18.0.2:50412",
	StationAddr:     "198.18.0.1:443",
	StationID:       "st-01",
	CaseNumber:      "2026-001234",
	Object:          "doc/lab-report-3.pdf",
	Detail:          "grant issued, expires in 15m; naïve UTF-8 ✓",
	Bytes:           1 << 20,
	SessionDuration: 93 * time.Minute,
}

// goldenKey is a fixed test key (seed 0, 1, ..., 31): never a real one.
func goldenKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s changed:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestRecordGolden(t *testing.T) {
	enc := goldenRecord.Encode()
	golden(t, "record-v1.hex", []byte(hex.EncodeToString(enc)+"\n"))
	r, err := DecodeRecord(enc)
	if err != nil {
		t.Fatal(err)
	}
	if r != goldenRecord {
		t.Fatalf("decoded %+v", r)
	}
	leaf := tlog.RecordHash(enc)
	golden(t, "record-v1.leaf", []byte(leaf.String()+"\n"))
}

func TestCheckpointGolden(t *testing.T) {
	s, vkey, err := newSigner("st-01", goldenKey())
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{cfg: Config{StationID: "st-01"}, signer: s}
	h := tlog.RecordHash(goldenRecord.Encode())
	text := signBody(t, l, 43, h, goldenRecord.Time)
	golden(t, "checkpoint-v1.note", text)
	golden(t, "verifier-key.txt", []byte(vkey+"\n"))
	c, err := OpenCheckpoint(text, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if c.StationID != "st-01" || c.Size != 43 || c.Hash != h || !c.Time.Equal(goldenRecord.Time) {
		t.Fatalf("opened %+v", c)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []Record{
		{Time: time.Unix(0, 0).UTC()},
		{Index: 1<<63 - 1, Time: time.Unix(0, 1<<63-1).UTC(), Bytes: 1<<63 - 1, SessionDuration: 1<<63 - 1},
		{Time: time.Unix(0, -1<<63+1).UTC()},
		{Time: goldenRecord.Time, Detail: strings.Repeat("x", MaxDetailLen), Object: strings.Repeat("y", MaxFieldLen)},
		goldenRecord,
	} {
		got, err := DecodeRecord(r.Encode())
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !got.Time.Equal(r.Time) {
			t.Fatalf("time %v, want %v", got.Time, r.Time)
		}
		got.Time = r.Time
		if got != r {
			t.Fatalf("round trip %+v, want %+v", got, r)
		}
	}
}

// invalidRecords are encodings DecodeRecord must reject, by name.
func invalidRecords() map[string][]byte {
	enc := goldenRecord.Encode()
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(enc)) }
	// offset of the first string length (Action)
	s0 := recordHeaderLen
	return map[string][]byte{
		"empty":          {},
		"short header":   enc[:recordHeaderLen-1],
		"wrong magic":    mod(func(b []byte) []byte { b[0] = 'C'; return b }),
		"future version": mod(func(b []byte) []byte { b[7] = 2; return b }),
		"trailing byte":  append(bytes.Clone(enc), 0),
		"truncated":      enc[:len(enc)-1],
		"no fields":      enc[:recordHeaderLen],
		"negative index": mod(func(b []byte) []byte { b[8] |= 0x80; return b }),
		"min time":       mod(func(b []byte) []byte { binary.BigEndian.PutUint64(b[16:], 1<<63); return b }),
		"negative bytes": mod(func(b []byte) []byte { b[24] |= 0x80; return b }),
		"negative duration": mod(func(b []byte) []byte {
			b[32] |= 0x80
			return b
		}),
		"length past end": mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[s0:], 1<<20); return b }),
		"field over cap": func() []byte {
			r := goldenRecord
			r.Action = strings.Repeat("a", MaxFieldLen+1)
			return r.Encode()
		}(),
		"detail over cap": func() []byte {
			r := goldenRecord
			r.Detail = strings.Repeat("a", MaxDetailLen+1)
			return r.Encode()
		}(),
		"invalid UTF-8": func() []byte {
			r := goldenRecord
			r.Outcome = "ok\xff"
			return r.Encode()
		}(),
		"too large": make([]byte, MaxRecordSize+1),
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	for name, b := range invalidRecords() {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeRecord(b); !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("DecodeRecord = %v, want ErrInvalidRecord", err)
			}
		})
	}
}

func TestRecordJSON(t *testing.T) {
	b, err := json.Marshal(goldenRecord)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"time":"2026-12-03T19:04:05.670000001Z"`)) {
		t.Fatalf("JSON time: %s", b)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r != goldenRecord {
		t.Fatalf("JSON round trip %+v", r)
	}
}

func TestParseCheckpointBodyRejects(t *testing.T) {
	good := string(formatCheckpointBody("st-01", 7, tlog.Hash{9}, goldenRecord.Time))
	if _, err := ParseCheckpointBody([]byte(good)); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(good, "\n")
	with := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "")
	}
	for name, text := range map[string]string{
		"empty":            "",
		"no final newline": strings.TrimSuffix(good, "\n"),
		"extra line":       good + "x\n",
		"other origin":     with(0, "go.sum database tree\n"),
		"bad station":      with(0, OriginPrefix+"a b\n"),
		"leading zero":     with(1, "07\n"),
		"plus sign":        with(1, "+7\n"),
		"negative size":    with(1, "-7\n"),
		"bad hash":         with(2, "AAAA\n"),
		"no time":          with(3, "\n"),
		"local time":       with(3, "time 2026-12-03T20:04:05.670000001+01:00\n"),
		"short fraction":   with(3, "time 2026-12-03T19:04:05.67Z\n"),
		"CRLF":             strings.ReplaceAll(good, "\n", "\r\n"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCheckpointBody([]byte(text)); !errors.Is(err, ErrInvalidCheckpoint) {
				t.Fatalf("ParseCheckpointBody(%q) = %v, want ErrInvalidCheckpoint", text, err)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	r := goldenRecord
	r.Detail = "=HYPERLINK(\"http://x\")"
	r.OfficerID = "-4471"
	var b bytes.Buffer
	if err := WriteCSV(&b, []Record{r}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, strings.Join(CSVHeader, ",")+"\n") {
		t.Fatalf("header: %q", out)
	}
	for _, want := range []string{`"'=HYPERLINK(""http://x"")"`, ",'-4471,", "2026-12-03T19:04:05.670000001Z", ",5580000,"} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteJSON(&b, []Record{goldenRecord, goldenRecord}); err != nil {
		t.Fatal(err)
	}
	var back []Record
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 2 || back[1] != goldenRecord {
		t.Fatalf("JSON export: %v %+v", err, back)
	}
}
