package station

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"caseviewer/audit"
	"caseviewer/internal/pdfgen"
	"caseviewer/wire"
)

// testArgon keeps password hashing cheap in tests where its cost does not
// matter; TestDefaultArgon2Parameters checks the real defaults.
var testArgon = &Argon2Params{Time: 1, MemKiB: 256, Threads: 1}

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a station served over real HTTPS on loopback from a real data
// folder.
type env struct {
	t     testing.TB
	st    *Station
	srv   *Server
	clock *clock
	base  string
	http  *http.Client
	pdf   []byte
}

const testPassword = "correct-horse-battery"

// newEnv creates a station with officers, two units, cases and one document,
// and serves it.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c := newClock()
	if _, err := Init(ctx, dir, InitOptions{StationID: "ST-TEST", Now: c.Now}); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, dir, Options{Now: c.Now, Argon2: testArgon, CheckpointEvery: 16})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(st, ServerConfig{BeaconPublic: "127.0.0.1:8444", Logf: t.Logf})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		st.Close()
	})
	ca, _ := x509.ParseCertificate(st.CACert())
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	e := &env{t: t, st: st, srv: srv, clock: c, base: "https://" + ln.Addr().String(), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	e.seed()
	return e
}

const admin = "admin:test"

func (e *env) seed() {
	t, st, ctx := e.t, e.st, context.Background()
	for _, o := range []OfficerInput{
		{ID: "D1", Name: "Dee One", Role: wire.RoleDetective, Unit: "Homicide"},
		{ID: "D2", Name: "Dee Two", Role: wire.RoleDetective, Unit: "Homicide"},
		{ID: "D3", Name: "Dee Three", Role: wire.RoleDetective, Unit: "Burglary"},
		{ID: "S1", Name: "Sue One", Role: wire.RoleSupervisor, Unit: "Homicide"},
		{ID: "S2", Name: "Sue Two", Role: wire.RoleSupervisor, Unit: "Homicide"},
		{ID: "S3", Name: "Sue Three", Role: wire.RoleSupervisor, Unit: "Burglary"},
		{ID: "E1", Name: "Eve One", Role: wire.RoleEvidenceTech, Unit: "Homicide"},
		{ID: "A1", Name: "Ann Admin", Role: wire.RoleAdmin, Unit: "Admin"},
	} {
		o.Password = []byte(testPassword)
		if err := st.AddOfficer(ctx, admin, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []CaseInput{{"H-1", "Harbor Street", "Homicide"}, {"H-2", "Quay murder", "Homicide"}, {"B-1", "Warehouse", "Burglary"}} {
		if err := st.CreateCase(ctx, admin, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range [][3]string{{"H-1", "D1", "lead"}, {"H-1", "E1", "technician"}, {"B-1", "D3", "lead"}} {
		if err := st.AssignCase(ctx, admin, a[0], a[1], a[2]); err != nil {
			t.Fatal(err)
		}
	}
	pdf, err := pdfgen.Build(pdfgen.Report{Title: "Incident Report", Fields: []string{"Case number: H-1"},
		Section: []pdfgen.Section{{Heading: "Summary", Paragraphs: []string{"CANARY-PLAINTEXT-7731 the victim was found in the alley."}}}}.Pages())
	if err != nil {
		t.Fatal(err)
	}
	e.pdf = pdf
	for _, c := range []string{"H-1", "H-2", "B-1"} {
		if _, err := st.AddDocument(ctx, admin, DocumentInput{CaseNumber: c, Title: "Incident Report", Type: "incident_report", PDF: bytes.NewReader(pdf)}); err != nil {
			t.Fatal(err)
		}
	}
}

// docOf returns the first document of a case.
func (e *env) docOf(number string) string {
	var id string
	if err := e.st.db.QueryRow(`SELECT id FROM documents WHERE case_number=? ORDER BY id LIMIT 1`, number).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// laptop is a test-only client: an enrolled device and, once logged in, a
// session.
type laptop struct {
	e        *env
	sign     ed25519.PrivateKey
	hpke     hpke.PrivateKey
	deviceID string
	token    string
	login    *wire.LoginResponse
}

func (e *env) newLaptop(officer string) *laptop {
	e.t.Helper()
	tok, _, err := e.st.IssueEnrollToken(context.Background(), admin, officer, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	l := e.keys()
	if err := l.enroll(tok); err != nil {
		e.t.Fatalf("enroll: %v", err)
	}
	return l
}

func (e *env) keys() *laptop {
	_, sk, _ := ed25519.GenerateKey(rand.Reader)
	hk, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		e.t.Fatal(err)
	}
	return &laptop{e: e, sign: sk, hpke: hk}
}

func (l *laptop) enroll(token string) error {
	pub := l.sign.Public().(ed25519.PublicKey)
	hp := l.hpke.PublicKey().Bytes()
	var res wire.EnrollResponse
	err := l.do("POST", wire.PathEnroll, wire.EnrollRequest{Token: token, DeviceName: "laptop-1", SigningKey: pub, HPKEKey: hp,
		Proof: ed25519.Sign(l.sign, wire.EnrollMessage(token, pub, hp))}, &res)
	if err == nil {
		l.deviceID = res.DeviceID
	}
	return err
}

// logIn logs officer in on this laptop with a fresh challenge.
func (l *laptop) logIn(officer, password string) error {
	var ch wire.ChallengeResponse
	if err := l.do("POST", wire.PathChallenge, wire.ChallengeRequest{DeviceID: l.deviceID}, &ch); err != nil {
		return err
	}
	var res wire.LoginResponse
	err := l.do("POST", wire.PathLogin, wire.LoginRequest{OfficerID: officer, Password: password, DeviceID: l.deviceID, ChallengeID: ch.ChallengeID,
		Signature: ed25519.Sign(l.sign, wire.LoginMessage("ST-TEST", ch.ChallengeID, ch.Challenge, l.deviceID, officer))}, &res)
	if err == nil {
		l.token = res.SessionToken
		l.login = &res
	}
	return err
}

func (l *laptop) mustLogIn(officer string) *laptop {
	l.e.t.Helper()
	if err := l.logIn(officer, testPassword); err != nil {
		l.e.t.Fatalf("login %s: %v", officer, err)
	}
	return l
}

// session returns a fresh laptop for officer, logged in.
func (e *env) session(officer string) *laptop { return e.newLaptop(officer).mustLogIn(officer) }

// do sends a JSON request (body nil for none) and decodes the answer into
// out; a non-2xx answer returns its *wire.Error.
func (l *laptop) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, l.e.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	resp, err := l.e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxResponseBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var we wire.Error
		if err := json.Unmarshal(b, &we); err != nil || we.Code == "" {
			return fmt.Errorf("status %d with a body that is not a wire.Error: %q", resp.StatusCode, b)
		}
		we.Status = resp.StatusCode
		return &we
	}
	if out == nil {
		return nil
	}
	if bp, ok := out.(*[]byte); ok {
		*bp = b
		return nil
	}
	return json.Unmarshal(b, out)
}

// wantCode fails unless err is a *wire.Error with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != code {
		t.Fatalf("got %v, want error code %s", err, code)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// records returns the audit records with action.
func (e *env) records(action string) []audit.Record {
	e.t.Helper()
	recs, err := e.st.log.Query(context.Background(), audit.Filter{Action: action, Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// failingAuditor is an audit log that cannot write.
type failingAuditor struct{}

func (failingAuditor) Append(context.Context, audit.Record) (audit.Record, error) {
	return audit.Record{}, fmt.Errorf("disk full: %w", audit.ErrUnavailable)
}

type tlogHash = tlog.Hash
