package beacon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

var (
	testSeed   = bytes.Repeat([]byte{7}, ed25519.SeedSize)
	testKey    = ed25519.NewKeyFromSeed(testSeed)
	testPub    = testKey.Public().(ed25519.PublicKey)
	otherKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	testTime   = time.Date(2026, 12, 3, 20, 0, 0, 123456789, time.UTC)
	testNonce  = Nonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
	testDevice = "dev-4471"
	testStatn  = "metro-station-1"
)

func mustAnswer(t testing.TB, a Answer, key ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := SignAnswer(a, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goodAnswer() Answer {
	return Answer{Nonce: testNonce, Time: testTime, StationID: testStatn, DeviceID: testDevice}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, id := range []string{"a", testDevice, strings.Repeat("z", MaxIDLen), "Unit 7 / laptop ~3"} {
		b, err := MarshalRequest(testNonce, id)
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if len(b) != RequestSize {
			t.Fatalf("%q: request of %d bytes", id, len(b))
		}
		r, err := ParseRequest(b)
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if r.Nonce != testNonce || r.DeviceID != id {
			t.Fatalf("%q: got %+v", id, r)
		}
	}
}

func TestMarshalRequestRejectsBadIDs(t *testing.T) {
	for _, id := range []string{"", strings.Repeat("z", MaxIDLen+1), "tab\there", "é", "nul\x00"} {
		if _, err := MarshalRequest(testNonce, id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("%q: err = %v, want ErrInvalidID", id, err)
		}
	}
}

func TestParseRequestRejects(t *testing.T) {
	good, _ := MarshalRequest(testNonce, testDevice)
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := map[string][]byte{
		"empty":          nil,
		"short":          good[:RequestSize-1],
		"trailing":       append(append([]byte(nil), good...), 0),
		"bad magic":      mod(func(b []byte) []byte { b[0] = 'X'; return b }),
		"padding":        mod(func(b []byte) []byte { b[RequestSize-1] = 1; return b }),
		"zero length":    mod(func(b []byte) []byte { b[36] = 0; return b }),
		"length too big": mod(func(b []byte) []byte { b[36] = MaxIDLen + 1; return b }),
		"length 255":     mod(func(b []byte) []byte { b[36] = 255; return b }),
		"control char":   mod(func(b []byte) []byte { b[37] = '\n'; return b }),
		"answer":         mustAnswer(t, goodAnswer(), testKey),
	}
	for name, b := range cases {
		if _, err := ParseRequest(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestAnswerNeverLargerThanRequest(t *testing.T) {
	a := Answer{Nonce: testNonce, Time: testTime, StationID: strings.Repeat("s", MaxIDLen), DeviceID: strings.Repeat("d", MaxIDLen)}
	b := mustAnswer(t, a, testKey)
	if len(b) != MaxAnswerSize || len(b) > RequestSize {
		t.Fatalf("largest answer %d bytes, MaxAnswerSize %d, RequestSize %d", len(b), MaxAnswerSize, RequestSize)
	}
}

func TestVerify(t *testing.T) {
	good := mustAnswer(t, goodAnswer(), testKey)
	with := func(f func(a *Answer)) []byte {
		a := goodAnswer()
		f(&a)
		return mustAnswer(t, a, testKey)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-1] ^= 1
	flippedBody := append([]byte(nil), good...)
	flippedBody[40] ^= 1
	cases := []struct {
		name    string
		answer  []byte
		pub     ed25519.PublicKey
		now     time.Time
		skew    time.Duration
		wantErr error
	}{
		{"good", good, testPub, testTime, time.Second, nil},
		{"good at skew edge", good, testPub, testTime.Add(time.Second), time.Second, nil},
		{"wrong key", mustAnswer(t, goodAnswer(), otherKey), testPub, testTime, time.Second, ErrBadSignature},
		{"flipped signature", flipped, testPub, testTime, time.Second, ErrBadSignature},
		{"flipped body", flippedBody, testPub, testTime, time.Second, ErrBadSignature},
		{"short public key", good, testPub[:31], testTime, time.Second, ErrBadSignature},
		{"replay", with(func(a *Answer) { a.Nonce[0] ^= 0xff }), testPub, testTime, time.Second, ErrWrongNonce},
		{"other device", with(func(a *Answer) { a.DeviceID = "dev-9999" }), testPub, testTime, time.Second, ErrWrongDevice},
		{"other station", with(func(a *Answer) { a.StationID = "fake" }), testPub, testTime, time.Second, ErrWrongStation},
		{"stale", good, testPub, testTime.Add(2 * time.Second), time.Second, ErrStale},
		{"future", good, testPub, testTime.Add(-2 * time.Second), time.Second, ErrStale},
		{"negative skew", good, testPub, testTime, -1, ErrStale},
		{"trailing", append(append([]byte(nil), good...), 0), testPub, testTime, time.Second, ErrMalformed},
		{"truncated", good[:len(good)-1], testPub, testTime, time.Second, ErrMalformed},
		{"empty", nil, testPub, testTime, time.Second, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.answer, testNonce, testDevice, testStatn, c.pub, c.now, c.skew)
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestVerifyAnswerContent(t *testing.T) {
	a, err := VerifyAnswer(mustAnswer(t, goodAnswer(), testKey), testNonce, testDevice, testStatn, testPub, testTime, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Time.Equal(testTime) || a.StationID != testStatn || a.DeviceID != testDevice || a.Nonce != testNonce {
		t.Fatalf("got %+v", a)
	}
}

func TestSignAnswerRejects(t *testing.T) {
	a := goodAnswer()
	if _, err := SignAnswer(a, testKey[:10]); err == nil {
		t.Error("short key accepted")
	}
	a.StationID = ""
	if _, err := SignAnswer(a, testKey); !errors.Is(err, ErrInvalidID) {
		t.Errorf("empty station ID: %v", err)
	}
	a = goodAnswer()
	a.Time = time.Unix(-1, 0)
	if _, err := SignAnswer(a, testKey); err == nil {
		t.Error("time before 1970 accepted")
	}
}

// startServer runs Serve on a loopback UDP socket and returns its address.
func startServer(t *testing.T, now func() time.Time) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() { done <- Serve(ctx, pc, testStatn, testKey, now); close(finished) }()
	t.Cleanup(func() {
		cancel()
		<-finished
		pc.Close()
	})
	return pc.LocalAddr().String(), cancel, done
}

func TestServeAndQuery(t *testing.T) {
	fixed := func() time.Time { return testTime }
	addr, cancel, done := startServer(t, fixed)
	ctx, c2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer c2()
	ans, nonce, err := Query(ctx, addr, testDevice)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ans, nonce, testDevice, testStatn, testPub, testTime, time.Second); err != nil {
		t.Fatal(err)
	}
	// A second query uses a fresh nonce: the first answer is now a replay.
	ans2, nonce2, err := Query(ctx, addr, testDevice)
	if err != nil {
		t.Fatal(err)
	}
	if nonce2 == nonce {
		t.Fatal("nonce reused")
	}
	if err := Verify(ans, nonce2, testDevice, testStatn, testPub, testTime, time.Second); !errors.Is(err, ErrWrongNonce) {
		t.Fatalf("replayed answer: %v", err)
	}
	if err := Verify(ans2, nonce2, testDevice, testStatn, testPub, testTime, time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v after cancel", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not stop after cancel")
	}
}

func TestServeDropsMalformed(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	good, _ := MarshalRequest(testNonce, testDevice)
	bad := [][]byte{
		good[:RequestSize-1],                    // unpadded: would amplify
		append(append([]byte(nil), good...), 0), // oversize
		[]byte("CVB1"),
		make([]byte, RequestSize),
	}
	for _, b := range bad {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// Then a good one: the only answer must be for it.
	if _, err := conn.Write(good); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if n > RequestSize {
		t.Fatalf("answer of %d bytes exceeds the request", n)
	}
	if err := Verify(buf[:n], testNonce, testDevice, testStatn, testPub, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := conn.Read(buf); err == nil {
		t.Fatalf("a second answer of %d bytes came back to malformed requests", n)
	}
}

func TestServeRateLimitsPerSource(t *testing.T) {
	addr, _, _ := startServer(t, nil)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const sent = PerSourceBurst * 3
	for i := 0; i < sent; i++ {
		req, _ := MarshalRequest(NewNonce(), testDevice)
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	buf := make([]byte, 1024)
	for {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := conn.Read(buf); err != nil {
			break
		}
		got++
	}
	// The burst plus what refills while we send and read (well under a second).
	if got == 0 || got > PerSourceBurst+PerSourceRate {
		t.Fatalf("%d answers to %d requests; want between 1 and %d", got, sent, PerSourceBurst+PerSourceRate)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := Serve(context.Background(), pc, "", testKey, nil); !errors.Is(err, ErrInvalidID) {
		t.Errorf("empty station ID: %v", err)
	}
	if err := Serve(context.Background(), pc, testStatn, testKey[:5], nil); err == nil {
		t.Error("short key accepted")
	}
}

func TestServeReturnsWhenConnClosed(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), pc, testStatn, testKey, nil) }()
	time.Sleep(20 * time.Millisecond)
	pc.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("err = %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after the conn closed")
	}
}

func TestQueryNoAnswer(t *testing.T) {
	// A socket that reads and never answers.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if _, _, err := Query(ctx, pc.LocalAddr().String(), testDevice); !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("err = %v, want ErrNoAnswer", err)
	}
	if _, _, err := Query(ctx, pc.LocalAddr().String(), ""); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("err = %v, want ErrInvalidID", err)
	}
}

func TestQueryIgnoresJunk(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, RequestSize+1)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		req, err := ParseRequest(buf[:n])
		if err != nil {
			return
		}
		pc.WriteTo([]byte("junk"), from)
		ans, _ := SignAnswer(Answer{Nonce: req.Nonce, Time: time.Now(), StationID: testStatn, DeviceID: req.DeviceID}, testKey)
		pc.WriteTo(ans, from)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ans, nonce, err := Query(ctx, pc.LocalAddr().String(), testDevice)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ans, nonce, testDevice, testStatn, testPub, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterSweep(t *testing.T) {
	l := newLimiter()
	t0 := time.Unix(1000, 0)
	for i := 0; i < maxSources; i++ {
		l.allow(string(rune(i+0x100)), t0)
	}
	if len(l.sources) != maxSources {
		t.Fatalf("%d sources", len(l.sources))
	}
	// Much later: all are idle and get swept when a new one arrives.
	l.allow("new", t0.Add(time.Hour))
	if len(l.sources) != 1 {
		t.Fatalf("%d sources after sweep, want 1", len(l.sources))
	}
	// All busy at once: the table is reset rather than grown.
	for i := 0; i < maxSources+10; i++ {
		l.allow(string(rune(i+0x100)), t0.Add(time.Hour))
	}
	if len(l.sources) > maxSources {
		t.Fatalf("%d sources, cap %d", len(l.sources), maxSources)
	}
}
