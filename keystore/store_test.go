package keystore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
)

const svc = "org.caseviewer.test"

// slack bounds how late a timed-out call may return after its limit, on a
// loaded 2-core machine (calls give up a little early, so they normally
// return before it). It keeps a hang from passing; it is no speed goal.
const slack = 250 * time.Millisecond

func TestPutGetDeleteList(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	s := keystore.Open(svc, keystore.WithBackend(mem))

	for _, n := range []string{"session", "cache-key", "grant/CASE-7:doc-1"} {
		if err := s.Put(ctx, n, []byte("secret of "+n)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Get(ctx, "session")
	if err != nil || string(got) != "secret of session" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	got[0] = 'X' // the caller owns the slice
	again, _ := s.Get(ctx, "session")
	if string(again) != "secret of session" {
		t.Fatalf("Get after caller changed its slice = %q", again)
	}
	names, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cache-key,grant/CASE-7:doc-1,session"; strings.Join(names, ",") != want {
		t.Fatalf("List = %q, want %q", names, want)
	}
	// Replacing keeps one index entry.
	if err := s.Put(ctx, "session", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "session"); string(got) != "new" {
		t.Fatalf("after replace Get = %q", got)
	}
	if err := s.Delete(ctx, "session"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "session"); err != nil {
		t.Fatalf("deleting a missing item: %v", err)
	}
	if _, err := s.Get(ctx, "session"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Get deleted = %v, want ErrNotFound", err)
	}
	names, _ = s.List(ctx)
	if strings.Join(names, ",") != "cache-key,grant/CASE-7:doc-1" {
		t.Fatalf("List after delete = %q", names)
	}
	if err := s.Delete(ctx, "cache-key"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "grant/CASE-7:doc-1"); err != nil {
		t.Fatal(err)
	}
	if n := mem.Len(svc); n != 0 {
		t.Fatalf("%d items left after deleting everything (index included)", n)
	}
	// An empty value is a value.
	if err := s.Put(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "empty"); err != nil || len(got) != 0 {
		t.Fatalf("Get empty = %q, %v", got, err)
	}
}

func TestNamespacesAreSeparate(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	a := keystore.Open(svc+".a", keystore.WithBackend(mem))
	b := keystore.Open(svc+".b", keystore.WithBackend(mem))
	if err := a.Put(ctx, "x", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "x"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("other namespace sees the item: %v", err)
	}
	if err := b.DeleteAllExceptIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Get(ctx, "x"); string(got) != "a" {
		t.Fatal("wipe of one namespace touched another")
	}
}

func TestSizeLimits(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	s := keystore.Open(svc, keystore.WithBackend(mem))

	big := bytes.Repeat([]byte{0xff}, keystore.MaxValueSize)
	if err := s.Put(ctx, "big", big); err != nil {
		t.Fatalf("Put of MaxValueSize bytes: %v", err)
	}
	raw, _ := mem.Raw(svc, "big")
	if len(raw) > 2560 {
		t.Fatalf("stored %d bytes, over the Windows Credential Manager limit", len(raw))
	}
	got, err := s.Get(ctx, "big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get big: %v", err)
	}
	err = s.Put(ctx, "bigger", append(big, 0))
	if !errors.Is(err, keystore.ErrTooLarge) {
		t.Fatalf("Put of MaxValueSize+1 bytes = %v, want ErrTooLarge", err)
	}
	if _, ok := mem.Raw(svc, "bigger"); ok {
		t.Fatal("a refused value was stored")
	}
	// A device's HPKE public key (1216 bytes) fits.
	id, err := keystore.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "hpke-pub", id.HPKEPublic().Bytes()); err != nil {
		t.Fatalf("Put of a 1216-byte key: %v", err)
	}
	// The backend's own size error maps to ErrTooLarge too.
	f := keystore.Open(svc, keystore.WithBackend(keystoretest.Failing{Err: keyring.ErrSetDataTooBig}))
	if err := f.Put(ctx, "x", []byte("v")); !errors.Is(err, keystore.ErrTooLarge) {
		t.Fatalf("backend ErrSetDataTooBig gave %v", err)
	}
}

func TestNames(t *testing.T) {
	ctx := context.Background()
	s := keystore.Open(svc, keystore.WithBackend(keystoretest.NewMemory()))
	for _, n := range []string{"", ".index", ".identity", "-x", "a b", "a\n", "ä", strings.Repeat("a", keystore.MaxNameLen+1)} {
		if err := s.Put(ctx, n, []byte("v")); !errors.Is(err, keystore.ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", n, err)
		}
		if _, err := s.Get(ctx, n); !errors.Is(err, keystore.ErrInvalidName) {
			t.Errorf("Get(%q) = %v, want ErrInvalidName", n, err)
		}
		if err := s.Delete(ctx, n); !errors.Is(err, keystore.ErrInvalidName) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidName", n, err)
		}
	}
	if err := s.Put(ctx, strings.Repeat("a", keystore.MaxNameLen), nil); err != nil {
		t.Errorf("longest name refused: %v", err)
	}
	for _, service := range []string{"", "a b", strings.Repeat("s", 129)} {
		bad := keystore.Open(service, keystore.WithBackend(keystoretest.NewMemory()))
		if err := bad.Put(ctx, "x", nil); !errors.Is(err, keystore.ErrInvalidName) {
			t.Errorf("service %q: %v, want ErrInvalidName", service, err)
		}
	}
}

func TestFull(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	s := keystore.Open(svc, keystore.WithBackend(mem))
	for i := 0; i < keystore.MaxItems; i++ {
		n := fmt.Sprintf("%02d-%s", i, strings.Repeat("n", keystore.MaxNameLen-3))
		if err := s.Put(ctx, n, []byte("v")); err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
	}
	if err := s.Put(ctx, "one-more", []byte("v")); !errors.Is(err, keystore.ErrFull) {
		t.Fatalf("Put past MaxItems = %v, want ErrFull", err)
	}
	if _, ok := mem.Raw(svc, "one-more"); ok {
		t.Fatal("an item past MaxItems was stored")
	}
	if err := s.DeleteAllExceptIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if n := mem.Len(svc); n != 0 {
		t.Fatalf("%d items left after the wipe", n)
	}
}

// flaky fails Delete for some names and counts calls.
type flaky struct {
	keystore.Backend
	mu        sync.Mutex
	failNames map[string]bool
	calls     map[string]int
}

func (f *flaky) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *flaky) Delete(service, user string) error {
	f.count("delete")
	f.mu.Lock()
	fail := f.failNames[user]
	f.mu.Unlock()
	if fail {
		return errors.New("org.freedesktop.DBus.Error.NoReply")
	}
	return f.Backend.Delete(service, user)
}

func (f *flaky) Get(service, user string) (string, error) {
	f.count("get")
	return f.Backend.Get(service, user)
}

func (f *flaky) Set(service, user, value string) error {
	f.count("set")
	return f.Backend.Set(service, user, value)
}

func (f *flaky) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func TestDeleteAllExceptIdentity(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	fb := &flaky{Backend: mem, failNames: map[string]bool{"b": true, "d": true}}
	s := keystore.Open(svc, keystore.WithBackend(fb))
	id, err := keystore.GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		if err := s.Put(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	err = s.DeleteAllExceptIdentity(ctx)
	if !errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("wipe with failing deletes = %v, want ErrKeyringUnavailable", err)
	}
	for _, n := range []string{`"b"`, `"d"`} {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("wipe error %q does not name %s", err, n)
		}
	}
	for _, n := range []string{"a", "c", "e"} {
		if _, err := s.Get(ctx, n); !errors.Is(err, keystore.ErrNotFound) {
			t.Errorf("%s survived the wipe: %v", n, err)
		}
	}
	names, err := s.List(ctx)
	if err != nil || strings.Join(names, ",") != "b,d" {
		t.Fatalf("List after a partial wipe = %q, %v; want the failed names", names, err)
	}
	fb.mu.Lock()
	fb.failNames = nil
	fb.mu.Unlock()
	if err := s.DeleteAllExceptIdentity(ctx); err != nil {
		t.Fatalf("retried wipe: %v", err)
	}
	if n := mem.Len(svc); n != 1 {
		t.Fatalf("%d items after the wipe, want 1 (the identity)", n)
	}
	got, err := s.LoadIdentity(ctx)
	if err != nil {
		t.Fatalf("identity after the wipe: %v", err)
	}
	if !got.SigningPublic().Equal(id.SigningPublic()) {
		t.Fatal("the wipe changed the identity")
	}
}

func TestBackendErrors(t *testing.T) {
	ctx := context.Background()
	dbusErr := errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	s := keystore.Open(svc, keystore.WithBackend(keystoretest.Failing{Err: dbusErr}))
	checks := map[string]error{}
	checks["put"] = s.Put(ctx, "x", []byte("v"))
	_, checks["get"] = s.Get(ctx, "x")
	checks["delete"] = s.Delete(ctx, "x")
	_, checks["list"] = s.List(ctx)
	checks["wipe"] = s.DeleteAllExceptIdentity(ctx)
	_, checks["load identity"] = s.LoadIdentity(ctx)
	checks["delete identity"] = s.DeleteIdentity(ctx)
	for op, err := range checks {
		if !errors.Is(err, keystore.ErrKeyringUnavailable) || !errors.Is(err, dbusErr) {
			t.Errorf("%s: %v, want ErrKeyringUnavailable wrapping the cause", op, err)
		}
	}
	nf := keystore.Open(svc, keystore.WithBackend(keystoretest.Failing{Err: keyring.ErrNotFound}))
	if _, err := nf.Get(ctx, "x"); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("go-keyring ErrNotFound gave %v", err)
	}
	if _, err := nf.LoadIdentity(ctx); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("LoadIdentity with none stored gave %v", err)
	}
}

func TestCorruptItems(t *testing.T) {
	ctx := context.Background()
	mem := keystoretest.NewMemory()
	s := keystore.Open(svc, keystore.WithBackend(mem))
	_ = mem.Set(svc, ".index", "not an index")
	if _, err := s.List(ctx); !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("List with a corrupt index = %v", err)
	}
	if err := s.Put(ctx, "x", nil); !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("Put with a corrupt index = %v", err)
	}
	// The wipe deletes what the damaged index still names, and reports it.
	_ = mem.Set(svc, "a", "YQ==")
	_ = mem.Set(svc, "b", "Yg==")
	_ = mem.Set(svc, ".index", "cvidx9\nb\na\n\x00bad")
	err := s.DeleteAllExceptIdentity(ctx)
	if !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("wipe with a corrupt index = %v, want ErrCorrupt reported", err)
	}
	if n := mem.Len(svc); n != 0 {
		t.Errorf("%d items left after a wipe with a corrupt index", n)
	}
	_ = mem.Set(svc, "v", "not base64!")
	if _, err := s.Get(ctx, "v"); !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("Get of non-base64 = %v", err)
	}
	_ = mem.Set(svc, ".identity", "cvid1:AAAA")
	if _, err := s.LoadIdentity(ctx); !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("LoadIdentity of a bad item = %v", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	s := keystore.Open(svc, keystore.WithBackend(keystoretest.NewMemory()))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Put(ctx, fmt.Sprintf("n%02d", i), []byte("v")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	names, err := s.List(ctx)
	if err != nil || len(names) != 20 {
		t.Fatalf("List after 20 concurrent Puts: %d names, %v", len(names), err)
	}
}

// expectUnavailable checks that err is ErrKeyringUnavailable and came
// after waiting for the keyring (calls give up at most 1/20 of the limit
// early) but not long after the limit.
func expectUnavailable(t *testing.T, what string, err error, took, limit time.Duration) {
	t.Helper()
	if !errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("%s on a hung keyring: %v, want ErrKeyringUnavailable", what, err)
	}
	if took < limit*9/10 {
		t.Fatalf("%s returned after %v without waiting for the keyring (limit %v)", what, took, limit)
	}
	if took > limit+slack {
		t.Fatalf("%s returned after %v, limit %v", what, took, limit)
	}
}

func TestHungKeyringTimesOut(t *testing.T) {
	ctx := context.Background()
	const limit = 150 * time.Millisecond
	hung := keystoretest.NewHung(keystoretest.NewMemory())
	defer hung.Release()
	s := keystore.Open(svc, keystore.WithBackend(hung), keystore.WithTimeout(limit))
	id, _ := keystore.GenerateIdentity()
	ops := []struct {
		name string
		f    func() error
	}{
		{"put", func() error { return s.Put(ctx, "x", []byte("v")) }},
		{"get", func() error { _, err := s.Get(ctx, "x"); return err }},
		{"delete", func() error { return s.Delete(ctx, "x") }},
		{"list", func() error { _, err := s.List(ctx); return err }},
		{"wipe", func() error { return s.DeleteAllExceptIdentity(ctx) }},
		{"save identity", func() error { return s.SaveIdentity(ctx, id) }},
		{"load identity", func() error { _, err := s.LoadIdentity(ctx); return err }},
		{"delete identity", func() error { return s.DeleteIdentity(ctx) }},
	}
	for _, op := range ops {
		start := time.Now()
		err := op.f()
		took := time.Since(start)
		expectUnavailable(t, op.name, err, took, limit)
		t.Logf("%s: %v after %v", op.name, err, took.Round(time.Millisecond))
	}
	// A caller's shorter deadline wins.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Get(short, "x")
	expectUnavailable(t, "get with a short context", err, time.Since(start), 10*time.Millisecond)
	// A caller that cancels while waiting gets its own cause back.
	cctx, ccancel := context.WithCancel(ctx)
	time.AfterFunc(10*time.Millisecond, ccancel)
	if _, err := s.Get(cctx, "x"); !errors.Is(err, context.Canceled) || errors.Is(err, keystore.ErrKeyringUnavailable) {
		t.Fatalf("Get cancelled while waiting = %v, want context.Canceled", err)
	}
	// A cancelled context fails before queueing.
	done, cancel2 := context.WithCancel(ctx)
	cancel2()
	if _, err := s.Get(done, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context = %v", err)
	}
}

// gated blocks Set of one user until released.
type gated struct {
	keystore.Backend
	user    string
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Set(service, user, value string) error {
	if user == g.user {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.release
	}
	return g.Backend.Set(service, user, value)
}

func newGated(b keystore.Backend, user string) *gated {
	return &gated{Backend: b, user: user, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

// A write that was running when its caller gave up must not show up later.
func TestTimedOutPutIsUndone(t *testing.T) {
	ctx := context.Background()
	const limit = 100 * time.Millisecond
	mem := keystoretest.NewMemory()
	g := newGated(mem, "grant")
	s := keystore.Open(svc, keystore.WithBackend(g), keystore.WithTimeout(limit))
	close(g.release)
	if err := s.Put(ctx, "grant", []byte("old")); err != nil {
		t.Fatal(err)
	}
	<-g.entered // that write passed the gate
	g.release = make(chan struct{})

	start := time.Now()
	err := s.Put(ctx, "grant", []byte("stale"))
	expectUnavailable(t, "put", err, time.Since(start), limit)
	select {
	case <-g.entered:
	default:
		t.Fatal("the write never reached the keyring; the test shows nothing")
	}
	// A second Put queues behind the hung one and gives up while queued.
	start = time.Now()
	err = s.Put(ctx, "grant", []byte("queued"))
	expectUnavailable(t, "queued put", err, time.Since(start), limit)

	close(g.release) // the keyring answers again; the stale write lands
	got, err := s.Get(ctx, "grant")
	if !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("after a timed-out Put, Get = %q, %v; want ErrNotFound (write undone)", got, err)
	}
	if v, ok := mem.Raw(svc, "grant"); ok {
		t.Fatalf("keyring still holds %q", v)
	}
	names, _ := s.List(ctx)
	if strings.Join(names, ",") != "grant" {
		t.Fatalf("the name left the index: %q", names)
	}
	if err := s.Put(ctx, "grant", []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "grant"); string(got) != "fresh" {
		t.Fatalf("Get = %q, want fresh", got)
	}
}

// A wipe that succeeds is never undone by an older write that was pending.
func TestWipeAfterHungPut(t *testing.T) {
	ctx := context.Background()
	const limit = 100 * time.Millisecond
	mem := keystoretest.NewMemory()
	g := newGated(mem, "session")
	s := keystore.Open(svc, keystore.WithBackend(g), keystore.WithTimeout(limit))
	start := time.Now()
	err := s.Put(ctx, "session", []byte("token"))
	expectUnavailable(t, "put", err, time.Since(start), limit)
	start = time.Now()
	err = s.DeleteAllExceptIdentity(ctx)
	expectUnavailable(t, "wipe behind a hung put", err, time.Since(start), limit)
	close(g.release)
	// The wipe runs after the write, though its caller gave up.
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	if n := mem.Len(svc); n != 0 {
		t.Fatalf("%d items left: the late wipe did not run after the late write", n)
	}
}

func TestAbandonedReadsSkipped(t *testing.T) {
	ctx := context.Background()
	const limit = 50 * time.Millisecond
	fb := &flaky{Backend: keystoretest.NewMemory()}
	hung := keystoretest.NewHung(fb)
	s := keystore.Open(svc, keystore.WithBackend(hung), keystore.WithTimeout(limit))
	// The first Get enters the hung keyring; the next ones give up while
	// queued and must not run later.
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := s.Get(ctx, "x")
		expectUnavailable(t, "get", err, time.Since(start), limit)
	}
	hung.Release()
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	// One Get for the first call, one for the List's index.
	if n := fb.n("get"); n != 2 {
		t.Fatalf("%d reads reached the keyring, want 2", n)
	}
}

func TestTooManyWaiting(t *testing.T) {
	ctx := context.Background()
	const limit = 20 * time.Millisecond
	hung := keystoretest.NewHung(keystoretest.NewMemory())
	defer hung.Release()
	s := keystore.Open(svc, keystore.WithBackend(hung), keystore.WithTimeout(limit))
	var last error
	for i := 0; i < 40; i++ {
		last = s.Delete(ctx, "x") // deletes stay queued after their callers give up
	}
	if !errors.Is(last, keystore.ErrKeyringUnavailable) || !strings.Contains(last.Error(), "still waiting") {
		t.Fatalf("call 40 on a hung keyring: %v, want an immediate ErrKeyringUnavailable", last)
	}
	if w := hung.Waiting(); w != 1 {
		t.Fatalf("%d calls inside the keyring at once, want 1", w)
	}
}
