package beacon

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func FuzzParseRequest(f *testing.F) {
	good, _ := MarshalRequest(testNonce, testDevice)
	f.Add(good)
	f.Add(good[:RequestSize-1])
	f.Add(append(append([]byte(nil), good...), 0))
	f.Add([]byte(Magic))
	f.Add(make([]byte, RequestSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		// Parse then serialize gives the same bytes: the encoding is canonical.
		again, err := MarshalRequest(r.Nonce, r.DeviceID)
		if err != nil {
			t.Fatalf("parsed request does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("round trip changed bytes")
		}
	})
}

func FuzzVerifyAnswer(f *testing.F) {
	good := mustAnswer(f, goodAnswer(), testKey)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(append([]byte(nil), good...), 0))
	flipped := append([]byte(nil), good...)
	flipped[50] ^= 0x80
	f.Add(flipped)
	f.Add(mustAnswer(f, goodAnswer(), otherKey))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, body, sig, err := parseAnswer(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if len(body)+len(sig) != len(b) {
			t.Fatalf("body %d + sig %d != %d", len(body), len(sig), len(b))
		}
		// Re-signing the parsed content reproduces the body exactly.
		again, err := SignAnswer(a, testKey)
		if err != nil {
			t.Fatalf("parsed answer does not sign: %v", err)
		}
		if !bytes.Equal(again[:len(body)], body) {
			t.Fatalf("round trip changed bytes")
		}
		err = Verify(b, testNonce, testDevice, testStatn, testPub, testTime, time.Second)
		if err == nil && !bytes.Equal(b, good) {
			t.Fatalf("a different answer verified")
		}
	})
}
