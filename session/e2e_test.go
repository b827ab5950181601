package session

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"caseviewer/audit"
	"caseviewer/station"
)

// TestEndToEnd runs the whole client flow against a real station over real
// TLS on loopback, with the real Secret Service of the test environment:
// discover, enroll, login, open a document and read its bytes, log out;
// then the keyring holds only the device identity, the cache folder is
// empty and the session's buffers are zeroed.
func TestEndToEnd(t *testing.T) {
	ks := realKeyring(t)
	ts := newTestStation(t, stationOpts{})
	cacheDir := filepath.Join(t.TempDir(), "cache")
	c := newClient(t, clientOpts{keys: ks, cache: cacheDir})
	evs := subscribe(c)
	ctx := context.Background()

	d, err := c.Discover(ctx, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	if d.CAFingerprint != ts.st.CAFingerprint() || d.StationKey != station.PublicKeyString(ts.st.PublicKey()) || d.StationID != ts.st.ID() {
		t.Fatalf("discovery %+v does not show the station's fingerprints", d)
	}
	if c.Enrolled() {
		t.Fatal("enrolled before Enroll")
	}
	if err := c.Enroll(ctx, ts.addr, ts.token(t, "D1")); err != nil {
		t.Fatal(err)
	}
	if !c.Enrolled() || c.Enrollment().BeaconAddr != ts.beaconAddr {
		t.Fatalf("enrollment %+v", c.Enrollment())
	}

	info := login(t, c, "D1")
	if info.Officer.ID != "D1" || info.SessionCode == "" {
		t.Fatalf("login info %+v", info)
	}
	names, err := ks.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(names, keyToken) || !contains(names, keyCacheKey) {
		t.Fatalf("keyring names during the session: %v", names)
	}

	cases, err := c.Cases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 || cases[0].Number != "H-1" {
		t.Fatalf("cases %+v", cases)
	}
	detail, err := c.Case(ctx, "H-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(detail.Documents) != 1 || detail.Documents[0].ID != ts.docH1 {
		t.Fatalf("documents %+v", detail.Documents)
	}

	doc, err := c.OpenDocument(ctx, ts.docH1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.PDF, ts.pdf) || !bytes.Contains(doc.PDF, []byte(canary)) {
		t.Fatal("the opened document is not the station's PDF")
	}
	if doc.SessionCode != info.SessionCode || doc.Manifest.CaseNumber != "H-1" || !doc.GrantExpires.After(time.Now()) {
		t.Fatalf("document metadata: code %q case %q expires %v", doc.SessionCode, doc.Manifest.CaseNumber, doc.GrantExpires)
	}
	pdf := doc.PDF // the test keeps the slice to check the wipe zeroes it
	if got := dirEntries(t, cacheDir); len(got) != 1 || !strings.HasSuffix(got[0], cacheFileExt) {
		t.Fatalf("cache folder during the session: %v", got)
	}
	pages := &pageBuffers{pages: [][]byte{bytes.Repeat([]byte{0xAB}, 4096), bytes.Repeat([]byte{0xCD}, 4096)}}
	c.RegisterPageWiper(pages)

	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	ev := evs.wait(t, 5*time.Second)
	if ev.Reason != Logout || len(ev.Failures) != 0 || ev.Message == "" {
		t.Fatalf("lock event %+v", ev)
	}

	// The keyring holds only the device identity.
	names, err = ks.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Fatalf("keyring still holds %v", names)
	}
	id, err := ks.LoadIdentity(ctx)
	if err != nil {
		t.Fatalf("the device identity is gone: %v", err)
	}
	id.Zero()
	// Ask the Secret Service itself, not the Store's index.
	t.Run("secret-tool", func(t *testing.T) {
		path, err := exec.LookPath("secret-tool")
		need(t, err == nil, "secret-tool (libsecret-tools) is not installed: the Secret Service cannot be asked directly")
		out, err := exec.Command(path, "search", "--all", "service", ks.Service()).CombinedOutput()
		if err != nil {
			t.Fatalf("secret-tool search: %v: %s", err, out)
		}
		var items []string
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "attribute.username = "); ok {
				items = append(items, v)
			}
		}
		if len(items) != 1 || !strings.Contains(items[0], "identity") {
			t.Errorf("the Secret Service holds %q, want only the device identity", items)
		}
	})
	if got := dirEntries(t, cacheDir); len(got) != 0 {
		t.Fatalf("cache folder after the wipe: %v", got)
	}
	if !allZero(pdf) || !doc.Wiped() {
		t.Fatal("the document's bytes were not zeroed")
	}
	for _, p := range pages.pages {
		if !allZero(p) {
			t.Fatal("rendered pages were not wiped")
		}
	}
	if _, err := c.Cases(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("Cases after logout: %v", err)
	}
	// The signed wipe receipt reached the station's audit log.
	c.WaitBackground()
	if n := c.PendingWipeReceipts(); n != 0 {
		t.Fatalf("%d wipe receipts still queued", n)
	}
	var exp bytes.Buffer
	if err := ts.st.ExportAudit(ctx, adminActor, &exp, "json", audit.Filter{Action: "device.wipe"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(exp.String(), "trigger=logout") {
		t.Fatalf("no wipe receipt in the audit log: %s", exp.String())
	}

	// The laptop stays enrolled: the officer can log in again.
	login(t, c, "D1")
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNoPlaintextOnDisk runs the flow with HOME, the XDG folders and TMPDIR
// pointed at fresh folders and the client on its default folders, then
// scans every file written there (and the station's data folder) for the
// canary that the test PDF carries and for "%PDF", during the session and
// after the wipe.
func TestNoPlaintextOnDisk(t *testing.T) {
	root, err := os.MkdirTemp("", "cv-noplaintext-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR"} {
		dir := filepath.Join(root, strings.ToLower(v))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, dir)
	}
	stationDir := filepath.Join(root, "station-data")
	ts := newTestStation(t, stationOpts{dir: stationDir})
	var ks = memKeyring(t, nil)
	if os.Getenv("CV_IN_TEST_ENV") == "1" {
		ks = realKeyring(t)
	}
	c, err := New(Options{Keyring: ks, DeviceName: "scan laptop", Guard: GuardOptions{Interval: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(5 * time.Second) })
	if cd, _ := DefaultCacheDir(); !strings.HasPrefix(cd, root) {
		t.Fatalf("default cache folder %s is outside the scanned folders", cd)
	}
	ctx := context.Background()
	enroll(t, c, ts, "D1")
	login(t, c, "D1")
	doc, err := c.OpenDocument(ctx, ts.docH1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc.PDF, []byte(canary)) {
		t.Fatal("the document does not carry the canary")
	}
	// Open it twice: the second time comes from the encrypted cache.
	if _, err := c.OpenDocument(ctx, ts.docH1); err != nil {
		t.Fatal(err)
	}
	files := scan(t, root)
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	c.WaitBackground()
	files += scan(t, root)
	t.Logf("scanned %d files (twice) under HOME, XDG folders, TMPDIR and the station data folder", files/2)
}

// scan fails the test if any file under root holds the canary or "%PDF".
func scan(t *testing.T, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // removed while walking
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		n++
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("%PDF")) {
			t.Errorf("plaintext on disk: %s", strings.TrimPrefix(path, root))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no files scanned: the scan proves nothing")
	}
	return n
}
