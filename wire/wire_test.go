package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeStrict(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"ok", `{"device_id":"D1"}`, nil},
		{"ok spaces", " \n{\"device_id\":\"D1\"}\n ", nil},
		{"unknown field", `{"device_id":"D1","x":1}`, ErrMalformed},
		{"trailing object", `{"device_id":"D1"}{}`, ErrMalformed},
		{"trailing junk", `{"device_id":"D1"} x`, ErrMalformed},
		{"array", `[1]`, ErrMalformed},
		{"empty", ``, ErrMalformed},
		{"null", `null`, ErrMalformed},
		{"wrong type", `{"device_id":5}`, ErrMalformed},
		{"too large", `{"device_id":"` + strings.Repeat("a", 100) + `"}`, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v ChallengeRequest
			err := Decode(strings.NewReader(c.in), &v, 64)
			if c.want == nil {
				if err != nil || v.DeviceID != "D1" {
					t.Fatalf("Decode = %v, %+v", err, v)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode(%q) = %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestStationInfoSignature(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ca := []byte("not really a certificate")
	info := StationInfo{StationID: "ST-1", PublicKey: pub, BeaconAddr: "10.0.0.1:7946", CAFingerprint: Fingerprint(ca), IssuedAt: time.Now().UTC()}
	s, err := SignStationInfo(info, ca, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyStationInfo(s, pub)
	if err != nil || got.StationID != "ST-1" || got.BeaconAddr != info.BeaconAddr {
		t.Fatalf("VerifyStationInfo = %+v, %v", got, err)
	}
	if _, err := VerifyStationInfo(s, nil); err != nil {
		t.Fatalf("first contact: %v", err)
	}
	if _, err := VerifyStationInfo(s, otherPub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other key: %v", err)
	}
	bad := *s
	bad.Info = bytes.Replace(s.Info, []byte("ST-1"), []byte("ST-2"), 1)
	if _, err := VerifyStationInfo(&bad, pub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered info: %v", err)
	}
	bad = *s
	bad.CACert = []byte("another certificate")
	if _, err := VerifyStationInfo(&bad, pub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("swapped CA: %v", err)
	}
}

func TestWipeReceipt(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	r := WipeReceipt{StationID: "ST-1", DeviceID: "DEV-1", Trigger: WipeNetwork, WipedAt: time.Now().UTC(), Items: []string{"grants"}, Nonce: make([]byte, 16)}
	s, err := SignWipeReceipt(r, priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseWipeReceipt(s)
	if err != nil || got.DeviceID != "DEV-1" {
		t.Fatalf("ParseWipeReceipt = %+v, %v", got, err)
	}
	if err := VerifyWipeReceipt(s, pub); err != nil {
		t.Fatal(err)
	}
	s.Signature[0] ^= 1
	if err := VerifyWipeReceipt(s, pub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("flipped signature: %v", err)
	}
	r.Trigger = "bored"
	s, _ = SignWipeReceipt(r, priv)
	if _, err := ParseWipeReceipt(s); !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad trigger: %v", err)
	}
}

func TestMessagesAreDistinct(t *testing.T) {
	// Length prefixes: moving a byte between fields changes the message.
	a := LoginMessage("S", "ab", []byte("c"), "d", "e")
	b := LoginMessage("S", "a", []byte("bc"), "d", "e")
	if bytes.Equal(a, b) {
		t.Fatal("LoginMessage is ambiguous")
	}
	if bytes.Equal(StationInfoMessage([]byte("x")), WipeReceiptMessage([]byte("x"))) {
		t.Fatal("labels do not separate domains")
	}
}

func TestErrorIs(t *testing.T) {
	n := 3
	var err error = &Error{Code: CodeBadCredentials, Message: "wrong password", AttemptsLeft: &n}
	if !errors.Is(err, &Error{Code: CodeBadCredentials}) || errors.Is(err, &Error{Code: CodeAccountLocked}) {
		t.Fatal("Error.Is does not compare codes")
	}
	if !HasCode(err, CodeBadCredentials) || !strings.Contains(err.Error(), "3 attempts left") {
		t.Fatalf("HasCode/Error: %v", err)
	}
}

func TestPaths(t *testing.T) {
	if got := DocumentOpenPath("a/b"); got != "/v1/documents/a%2Fb/open" {
		t.Fatalf("DocumentOpenPath = %q", got)
	}
	if got := CaseAuditPath("2026-0042", "D 7"); got != "/v1/cases/2026-0042/audit?officer=D+7" {
		t.Fatalf("CaseAuditPath = %q", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"officer_id":"D1","password":"pw","device_id":"X","challenge_id":"C","signature":"AAAA"}`))
	f.Add([]byte(`{"token":"t","signing_key":"` + strings.Repeat("A", 44) + `"}`))
	f.Add([]byte(`{"page":1,"rect":{"x0":1,"y0":2,"x1":3,"y1":4},"kind":"note"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"signature":"!!"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var targets = []any{&LoginRequest{}, &EnrollRequest{}, &AnnotationInput{}, &AccessRequestCreate{},
			&AccessRequestApprove{}, &SignedWipeReceipt{}, &SignedStationInfo{}}
		for _, v := range targets {
			err := Decode(bytes.NewReader(b), v, MaxBodyBytes)
			if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
		}
	})
}

func FuzzParseWipeReceipt(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := SignWipeReceipt(WipeReceipt{DeviceID: "D", Trigger: WipeIdle, WipedAt: time.Unix(1e9, 0), Nonce: make([]byte, 16), Items: []string{"grants"}}, priv)
	f.Add(s.Receipt)
	f.Add([]byte(`{"device_id":"D","trigger":"idle","nonce":"","items":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseWipeReceipt(&SignedWipeReceipt{Receipt: b})
		if err == nil && (r.DeviceID == "" || len(r.Nonce) < 16 || !validTrigger(r.Trigger)) {
			t.Fatalf("accepted invalid receipt %+v", r)
		}
	})
}

func FuzzVerifyStationInfo(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := SignStationInfo(StationInfo{StationID: "S", PublicKey: pub, CAFingerprint: Fingerprint(nil)}, nil, priv)
	f.Add(s.Info, s.Signature)
	f.Add([]byte(`{"public_key":""}`), []byte{})
	f.Fuzz(func(t *testing.T, info, sig []byte) {
		got, err := VerifyStationInfo(&SignedStationInfo{Info: info, Signature: sig}, pub)
		if err == nil && (!bytes.Equal(info, s.Info) && !ed25519.Verify(pub, StationInfoMessage(info), sig) || got == nil) {
			t.Fatal("accepted a station info that the key did not sign")
		}
	})
}

func TestStationKeyString(t *testing.T) {
	pub := ed25519.PublicKey(bytes.Repeat([]byte{0xab}, 32))
	if got := StationKeyString(pub); got != "ed25519:"+strings.Repeat("ab", 32) {
		t.Fatalf("StationKeyString = %q", got)
	}
	if got := Fingerprint([]byte("x")); len(got) != 7+32*3-1 || !strings.HasPrefix(got, "SHA256:2D:71:16:42") {
		t.Fatalf("Fingerprint = %q", got)
	}
}
