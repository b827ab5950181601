package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"caseviewer/internal/pdfgen"
	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
	"caseviewer/station"
	"caseviewer/wire"
)

const (
	testPassword = "correct-horse-battery"
	canary       = "CANARY-CASEVIEWER-5513"
	adminActor   = "admin:session-test"
)

// testStation is a real station served over HTTPS on loopback with its
// beacon, from a real data folder.
type testStation struct {
	st          *station.Station
	dir         string
	addr        string // host:port of the API
	beaconAddr  string
	stopBeacon  context.CancelFunc
	beaconDone  chan struct{}
	pdf         []byte
	docH1       string // first document of case H-1
	beaconConn  net.PacketConn
	srv         *station.Server
	serveCancel func()       // stops the API (not the beacon) and waits; calling it again is harmless
	offset      atomic.Int64 // added to the station's clock
}

// advance moves the station's clock forward.
func (ts *testStation) advance(d time.Duration) { ts.offset.Add(int64(d)) }

type stationOpts struct {
	dir             string
	idle, absolute  time.Duration
	documents       int
	documentPadding int
}

func newTestStation(t testing.TB, o stationOpts) *testStation {
	t.Helper()
	ctx := context.Background()
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	if _, err := station.Init(ctx, dir, station.InitOptions{StationID: "ST-SESSION"}); err != nil {
		t.Fatal(err)
	}
	ts := &testStation{dir: dir}
	st, err := station.Open(ctx, dir, station.Options{Argon2: &station.Argon2Params{Time: 1, MemKiB: 256, Threads: 1},
		Now: func() time.Time { return time.Now().Add(time.Duration(ts.offset.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.st, ts.addr, ts.beaconAddr, ts.beaconConn, ts.beaconDone = st, ln.Addr().String(), pc.LocalAddr().String(), pc, make(chan struct{})
	ts.srv = station.NewServer(st, station.ServerConfig{BeaconPublic: ts.beaconAddr, IdleTimeout: o.idle, AbsoluteTimeout: o.absolute,
		Logf: func(f string, a ...any) { t.Logf("station: "+f, a...) }})
	ts.serve(ln)
	bctx, bcancel := context.WithCancel(ctx)
	ts.stopBeacon = bcancel
	go func() { st.ServeBeacon(bctx, pc); close(ts.beaconDone) }()
	t.Cleanup(func() {
		bcancel()
		<-ts.beaconDone
		pc.Close()
		ts.serveCancel()
		st.Close()
	})
	if err := ts.seed(o); err != nil {
		t.Fatal(err)
	}
	return ts
}

// serve serves the API on ln until serveCancel.
func (ts *testStation) serve(ln net.Listener) {
	sctx, scancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	ts.serveCancel = func() { scancel(); <-served } // the API is down when it returns
	go func() { ts.srv.Serve(sctx, ln); close(served) }()
}

// restartAPI serves the API again on its old address after serveCancel
// (the enrollment pins that address).
func (ts *testStation) restartAPI(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", ts.addr)
	if err != nil {
		t.Fatalf("serve the API again on %s: %v", ts.addr, err)
	}
	ts.serve(ln)
}

// silenceBeacon stops the station's beacon (the API stays up).
func (ts *testStation) silenceBeacon() {
	ts.stopBeacon()
	<-ts.beaconDone
}

// seed adds officers, cases and documents.
func (ts *testStation) seed(o stationOpts) error {
	ctx := context.Background()
	for _, in := range []station.OfficerInput{
		{ID: "D1", Name: "Dee One", Role: wire.RoleDetective, Unit: "Homicide"},
		{ID: "S1", Name: "Sue One", Role: wire.RoleSupervisor, Unit: "Homicide"},
		{ID: "E1", Name: "Eve One", Role: wire.RoleEvidenceTech, Unit: "Homicide"},
	} {
		in.Password = []byte(testPassword)
		if err := ts.st.AddOfficer(ctx, adminActor, in); err != nil {
			return err
		}
	}
	for _, c := range []station.CaseInput{{Number: "H-1", Title: "Harbor Street", Unit: "Homicide"}, {Number: "H-2", Title: "Quay", Unit: "Homicide"}} {
		if err := ts.st.CreateCase(ctx, adminActor, c); err != nil {
			return err
		}
	}
	if err := ts.st.AssignCase(ctx, adminActor, "H-1", "D1", wire.TeamLead); err != nil {
		return err
	}
	if err := ts.st.AssignCase(ctx, adminActor, "H-1", "E1", wire.TeamTechnician); err != nil {
		return err
	}
	paras := []string{canary + " the victim was found in the alley behind the harbor office."}
	for i := 0; i < o.documentPadding; i++ {
		paras = append(paras, "Filler paragraph to make the document larger than one chunk of the bundle format. ")
	}
	// The canary is in the page text (compressed) and in the information
	// dictionary (in clear), so that a plaintext copy on disk would show.
	doc := pdfgen.Document{Info: pdfgen.Info{Title: "Incident Report", Subject: canary},
		Pages: pdfgen.Report{Title: "Incident Report", Fields: []string{"Case number: H-1"},
			Section: []pdfgen.Section{{Heading: "Summary", Paragraphs: paras}}}.Pages()}
	pdf, err := doc.Bytes()
	if err != nil {
		return err
	}
	if !bytes.Contains(pdf, []byte(canary)) {
		return errors.New("the test PDF does not carry the canary in clear: the disk scan would prove nothing")
	}
	ts.pdf = pdf
	n := max(o.documents, 1)
	for i := 0; i < n; i++ {
		d, err := ts.st.AddDocument(ctx, adminActor, station.DocumentInput{CaseNumber: "H-1", Title: "Incident Report", Type: "incident_report", PDF: bytes.NewReader(pdf)})
		if err != nil {
			return err
		}
		if i == 0 {
			ts.docH1 = d.ID
		}
	}
	return nil
}

func (ts *testStation) token(t testing.TB, officer string) string {
	t.Helper()
	tok, _, err := ts.st.IssueEnrollToken(context.Background(), adminActor, officer, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newKeyring returns a keystore over the real Secret Service of the test
// environment with a unique service name, or skips (fails under CI=true)
// outside it.
func realKeyring(t testing.TB) *keystore.Store {
	t.Helper()
	if os.Getenv("CV_IN_TEST_ENV") != "1" {
		need(t, false, "the real keyring is used only inside scripts/with-test-env.sh (CV_IN_TEST_ENV=1)")
	}
	var b [6]byte
	rand.Read(b[:])
	ks := keystore.Open("caseviewer-session-test-" + hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ks.DeleteAllExceptIdentity(ctx)
		ks.DeleteIdentity(ctx)
	})
	return ks
}

func memKeyring(t testing.TB, b keystore.Backend) *keystore.Store {
	if b == nil {
		b = keystoretest.NewMemory()
	}
	return keystore.Open("caseviewer-session-test", keystore.WithBackend(b))
}

// need skips, or fails under CI=true, when the machine lacks something.
func need(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI must run this test, but %s", why)
	}
	t.Skipf("skipping: %s", why)
}

type clientOpts struct {
	keys     *keystore.Store
	state    string
	cache    string
	idle     time.Duration
	interval time.Duration
}

func newClient(t testing.TB, o clientOpts) *Client {
	t.Helper()
	if o.keys == nil {
		o.keys = memKeyring(t, nil)
	}
	if o.state == "" {
		o.state = filepath.Join(t.TempDir(), "state")
	}
	if o.cache == "" {
		o.cache = filepath.Join(t.TempDir(), "cache")
	}
	if o.interval == 0 {
		o.interval = 100 * time.Millisecond
	}
	c, err := New(Options{Keyring: o.keys, StateDir: o.state, CacheDir: o.cache, IdleTimeout: o.idle, DeviceName: "test laptop",
		Guard: GuardOptions{Interval: o.interval}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(5 * time.Second) })
	return c
}

// enroll discovers and enrolls c with ts as officer.
func enroll(t testing.TB, c *Client, ts *testStation, officer string) *Discovery {
	t.Helper()
	ctx := context.Background()
	d, err := c.Discover(ctx, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Enroll(ctx, ts.addr, ts.token(t, officer)); err != nil {
		t.Fatal(err)
	}
	return d
}

func login(t testing.TB, c *Client, officer string) *LoginInfo {
	t.Helper()
	info, err := c.Login(context.Background(), officer, []byte(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// events records lock events.
type events struct {
	mu  sync.Mutex
	evs []LockEvent
	ch  chan LockEvent
}

func subscribe(c *Client) *events {
	e := &events{ch: make(chan LockEvent, 64)}
	c.Subscribe(func(ev LockEvent) {
		e.mu.Lock()
		e.evs = append(e.evs, ev)
		e.mu.Unlock()
		select {
		case e.ch <- ev:
		default: // tests that wipe many times do not read every event
		}
	})
	return e
}

func (e *events) wait(t testing.TB, within time.Duration) LockEvent {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(within):
		t.Fatalf("no lock event within %v", within)
		return LockEvent{}
	}
}

// pageBuffers is a PageWiper holding rendered-page buffers.
type pageBuffers struct {
	mu    sync.Mutex
	pages [][]byte
	wiped int
}

func (p *pageBuffers) Wipe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.pages {
		clear(b)
	}
	p.wiped++
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
