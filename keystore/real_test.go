//go:build linux

package keystore_test

// Tests against a real Secret Service (gnome-keyring-daemon over D-Bus).
//
// The tests in this process use the session bus of the test environment
// (scripts/with-test-env.sh: dbus-run-session with an unlocked
// gnome-keyring). The failure paths cannot share that bus: godbus caches
// its session connection per process. They re-run this test binary as a
// helper (selected by the CV_KEYSTORE_HELPER variable, see TestMain) under
// a bus of their own: a dbus-run-session with a gnome-keyring-daemon that
// is never unlocked, or no bus at all. Every process a helper starts
// carries a token in its environment; the parent checks by that token that
// none outlives the test.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"caseviewer/keystore"
)

const (
	helperEnv = "CV_KEYSTORE_HELPER"       // helper mode
	tokenEnv  = "CV_KEYSTORE_HELPER_TOKEN" // marks every process a helper starts
	svcEnv    = "CV_KEYSTORE_HELPER_SERVICE"
	hideEnv   = "CV_KEYSTORE_HELPER_HIDE" // a folder the helper covers with an empty tmpfs
	resultTag = "KEYSTORE-HELPER-RESULT "
)

// capSysAdmin is CAP_SYS_ADMIN, which a helper needs to mount.
const capSysAdmin = 21

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// need skips the test when something the machine may lack is missing, and
// fails it when CI=true (CI must run it).
func need(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", msg)
	}
	t.Skipf("skipped: %s (run under ./scripts/with-test-env.sh)", msg)
}

func haveCmd(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// realStore opens a Store on the real keyring under a unique service name
// and removes everything it stored when the test ends.
func realStore(t *testing.T) (*keystore.Store, string) {
	t.Helper()
	need(t, testKeyring(), "not in a test keyring session: this test does not touch a person's own keyring (set %s=1 to use the current session anyway)", realKeyringEnv)
	need(t, os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "", "no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset)")
	need(t, haveCmd("secret-tool"), "secret-tool (libsecret-tools) not installed")
	service := "org.caseviewer.test." + randomHex(6)
	s := keystore.Open(service)
	ctx := context.Background()
	err := s.Put(ctx, "probe", []byte("probe"))
	need(t, err == nil, "no usable Secret Service: %v", err)
	t.Cleanup(func() {
		_ = s.DeleteAllExceptIdentity(context.Background())
		_ = s.DeleteIdentity(context.Background())
	})
	if err := s.Delete(ctx, "probe"); err != nil {
		t.Fatal(err)
	}
	return s, service
}

// lookup asks secret-tool, a separate libsecret client, for an item.
func lookup(t *testing.T, service, user string) (string, bool) {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", service, "username", user).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", false
	}
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out), true
}

var itemPath = regexp.MustCompile(`(?m)^\[/[^\]]*\]$`)

// search lists the usernames secret-tool finds under service.
func search(t *testing.T, service string) []string {
	t.Helper()
	out, err := exec.Command("secret-tool", "search", "--all", "service", service).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("secret-tool search: %v: %s", err, out)
	}
	var users []string
	for _, line := range strings.Split(string(out), "\n") {
		if u, ok := strings.CutPrefix(line, "attribute.username = "); ok {
			users = append(users, u)
		}
	}
	if n := len(itemPath.FindAllString(string(out), -1)); n != len(users) {
		t.Fatalf("secret-tool search: %d items but %d usernames %q", n, len(users), users)
	}
	return users
}

func TestRealKeyring(t *testing.T) {
	s, service := realStore(t)
	ctx := context.Background()
	value := []byte("grant content key \x00\xff")

	start := time.Now()
	if err := s.Put(ctx, "grant/CASE-1:doc-1", value); err != nil {
		t.Fatal(err)
	}
	putTook := time.Since(start)
	got, ok := lookup(t, service, "grant/CASE-1:doc-1")
	if !ok || got != base64.StdEncoding.EncodeToString(value) {
		t.Fatalf("secret-tool sees %q, %v; want the base64 of the value", got, ok)
	}
	if idx, ok := lookup(t, service, ".index"); !ok || !strings.Contains(idx, "grant/CASE-1:doc-1") {
		t.Fatalf("index item %q, %v", idx, ok)
	}
	start = time.Now()
	back, err := s.Get(ctx, "grant/CASE-1:doc-1")
	getTook := time.Since(start)
	if err != nil || !bytes.Equal(back, value) {
		t.Fatalf("Get = %q, %v", back, err)
	}
	t.Logf("real keyring: Put %v, Get %v", putTook.Round(time.Microsecond), getTook.Round(time.Microsecond))

	// The largest value fits the keyring as 2,560 characters.
	big := bytes.Repeat([]byte{0xa5}, keystore.MaxValueSize)
	if err := s.Put(ctx, "big", big); err != nil {
		t.Fatal(err)
	}
	if got, _ := lookup(t, service, "big"); len(got) != 2560 {
		t.Fatalf("largest value stored as %d characters", len(got))
	}
	if err := s.Put(ctx, "bigger", append(big, 1)); !errors.Is(err, keystore.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if _, ok := lookup(t, service, "bigger"); ok {
		t.Fatal("a refused value reached the keyring")
	}

	if err := s.Delete(ctx, "grant/CASE-1:doc-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup(t, service, "grant/CASE-1:doc-1"); ok {
		t.Fatal("secret-tool still finds the deleted item")
	}
	if _, err := s.Get(ctx, "grant/CASE-1:doc-1"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}

	id := newIdentity(t)
	if err := s.SaveIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if v, ok := lookup(t, service, ".identity"); !ok || !strings.HasPrefix(v, "cvid1:") {
		t.Fatal("secret-tool does not find the identity")
	}
	for _, n := range []string{"session", "cache-key"} {
		if err := s.Put(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	users := search(t, service)
	if len(users) != 5 { // big, session, cache-key, .index, .identity
		t.Fatalf("before the wipe secret-tool finds %q", users)
	}
	start = time.Now()
	if err := s.DeleteAllExceptIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("real keyring: wipe of 3 items and the index %v", time.Since(start).Round(time.Microsecond))
	if users := search(t, service); len(users) != 1 || users[0] != ".identity" {
		t.Fatalf("after the wipe secret-tool finds %q, want only .identity", users)
	}
	loaded, err := s.LoadIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.SigningPublic().Equal(id.SigningPublic()) || !loaded.HPKEPublic().Equal(id.HPKEPublic()) {
		t.Fatal("loaded identity differs")
	}
	if err := s.DeleteIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if users := search(t, service); len(users) != 0 {
		t.Fatalf("after DeleteIdentity secret-tool finds %q", users)
	}
	if _, err := s.LoadIdentity(ctx); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("LoadIdentity after delete: %v", err)
	}
}

// helperResult is what a helper process reports.
type helperResult struct {
	Calls []helperCall
	Note  string
	// After the timed-out calls the locked helper types the password into
	// the unlock prompt, then reads the item the failed Put targeted.
	UnlockSkipped string // why it could not, if it could not
	AfterUnlock   string // the value read, or the error
	AfterUnlockOK bool   // read succeeded (AfterUnlock is a value)
}

type helperCall struct {
	Op          string
	Err         string
	Unavailable bool
	TimedOut    bool
	TookMS      float64
	LimitMS     float64
}

// runHelper runs inside the helper process and returns its exit code.
func runHelper(mode string) int {
	if dir := os.Getenv(hideEnv); dir != "" {
		if err := hideRunDir(dir); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", mode, err)
			return 1
		}
	}
	res, err := helperMain(mode)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %s: %v\n", mode, err)
		return 1
	}
	j, _ := json.Marshal(res)
	fmt.Printf("%s%s\n", resultTag, j)
	return 0
}

func helperMain(mode string) (*helperResult, error) {
	service := os.Getenv(svcEnv)
	res := &helperResult{}
	call := func(s *keystore.Store, op string, f func(context.Context) error) {
		start := time.Now()
		err := f(context.Background())
		c := helperCall{Op: op, TookMS: ms(time.Since(start)), LimitMS: ms(s.Timeout())}
		if err != nil {
			c.Err = err.Error()
			c.Unavailable = errors.Is(err, keystore.ErrKeyringUnavailable)
			c.TimedOut = errors.Is(err, context.DeadlineExceeded)
		}
		res.Calls = append(res.Calls, c)
	}
	switch mode {
	case "nobus":
		s := keystore.Open(service)
		call(s, "put", func(ctx context.Context) error { return s.Put(ctx, "x", []byte("v")) })
		call(s, "get", func(ctx context.Context) error { _, err := s.Get(ctx, "x"); return err })
		call(s, "wipe", func(ctx context.Context) error { return s.DeleteAllExceptIdentity(ctx) })
		return res, nil
	case "locked":
		return res, helperLocked(service, res, call)
	}
	return nil, fmt.Errorf("unknown helper mode %q", mode)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// helperLocked runs inside a private dbus-run-session: it makes a login
// keyring with a password and an item in it, restarts the daemon without
// unlocking, and times calls against the locked keyring.
func helperLocked(service string, res *helperResult, call func(*keystore.Store, string, func(context.Context) error)) error {
	if err := os.MkdirAll(filepath.Join(os.Getenv("HOME"), ".local/share/keyrings"), 0o700); err != nil {
		return err
	}
	conn, err := dbus.SessionBus()
	if err != nil {
		return fmt.Errorf("private session bus: %w", err)
	}
	unlocked, err := startDaemon(conn, "testpass", "--foreground", "--unlock", "--components=secrets")
	if err != nil {
		return err
	}
	s := keystore.Open(service)
	if err := s.Put(context.Background(), "grant", []byte("stored while unlocked")); err != nil {
		stopDaemon(unlocked)
		return fmt.Errorf("put into the unlocked keyring: %w", err)
	}
	stopDaemon(unlocked)
	unlockedDone := time.Now()

	locked, err := startDaemon(conn, "", "--foreground", "--components=secrets")
	if err != nil {
		return err
	}
	res.Note = fmt.Sprintf("DISPLAY=%q; locked daemon up in %v", os.Getenv("DISPLAY"), time.Since(unlockedDone).Round(time.Millisecond))
	defer func() {
		start := time.Now()
		stopDaemon(locked)
		res.Note += fmt.Sprintf("; stopped in %v", time.Since(start).Round(time.Millisecond))
	}()
	s = keystore.Open(service) // default limit
	call(s, "get", func(ctx context.Context) error { _, err := s.Get(ctx, "grant"); return err })
	s = keystore.Open(service, keystore.WithTimeout(time.Second))
	call(s, "put", func(ctx context.Context) error { return s.Put(ctx, "grant", []byte("failed put")) })

	// A person unlocks the keyring now: the two abandoned calls complete
	// inside the daemon. The failed Put's value must never be readable.
	if err := typeUnlockPassword("testpass"); err != nil {
		res.UnlockSkipped = err.Error()
		return nil
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		// Same Store: this Get is ordered after the abandoned Put.
		v, err := s.Get(context.Background(), "grant")
		if errors.Is(err, keystore.ErrKeyringUnavailable) && time.Now().Before(deadline) {
			continue
		}
		if err != nil {
			res.AfterUnlock = err.Error()
		} else {
			res.AfterUnlock, res.AfterUnlockOK = string(v), true
		}
		return nil
	}
}

// typeUnlockPassword types the password into gnome-keyring's unlock
// prompt on this process's display, as a person would.
func typeUnlockPassword(password string) error {
	if os.Getenv("DISPLAY") == "" {
		return errors.New("no display for the unlock prompt")
	}
	if !haveCmd("xdotool") {
		return errors.New("xdotool not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Unlock").Output()
	if err != nil {
		return fmt.Errorf("no unlock prompt on the display: %v", err)
	}
	win := strings.Fields(string(out))[0]
	for _, args := range [][]string{
		{"windowfocus", "--sync", win},
		{"type", "--delay", "10", password},
		{"key", "Return"},
	} {
		if out, err := exec.CommandContext(ctx, "xdotool", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("xdotool %s: %v: %s", args[0], err, out)
		}
	}
	return nil
}

// startDaemon starts gnome-keyring-daemon as a child and waits until it
// owns the Secret Service name (asking the bus directly, which does not
// activate another daemon).
func startDaemon(conn *dbus.Conn, password string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command("gnome-keyring-daemon", args...)
	if password != "" {
		cmd.Stdin = strings.NewReader(password)
	}
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has)
		if err == nil && has {
			return cmd, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopDaemon(cmd)
	return nil, errors.New("gnome-keyring-daemon did not take org.freedesktop.secrets within 10s")
}

func stopDaemon(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// helperEnvironment is the parent's environment without its bus and
// keyring, plus the given variables.
func helperEnvironment(extra ...string) []string {
	drop := map[string]bool{
		"DBUS_SESSION_BUS_ADDRESS": true, "GNOME_KEYRING_CONTROL": true, "HOME": true,
		"XDG_RUNTIME_DIR": true, "XDG_DATA_HOME": true, "XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true,
		"DISPLAY": true, helperEnv: true, tokenEnv: true, svcEnv: true, hideEnv: true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// privateMountNamespace returns process attributes that start a child in
// a mount namespace of its own (with a user namespace mapping the caller's
// IDs to themselves when not root), or nil when this system refuses both.
func privateMountNamespace() *syscall.SysProcAttr {
	uid, gid := os.Getuid(), os.Getgid()
	for _, attr := range []*syscall.SysProcAttr{
		{Cloneflags: syscall.CLONE_NEWNS},
		{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
			// Kept across exec, so that the helper may mount in its
			// namespace while keeping the caller's user ID.
			AmbientCaps: []uintptr{capSysAdmin}},
	} {
		probe := exec.Command("/bin/true")
		probe.SysProcAttr = attr
		if probe.Run() == nil {
			return attr
		}
	}
	return nil
}

// hideRunDir runs first in a helper started with hideEnv set (in a mount
// namespace of its own): it mounts an empty tmpfs over that folder, without
// the mount reaching the rest of the system.
func hideRunDir(dir string) error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0700"); err != nil {
		return fmt.Errorf("mount a tmpfs over %s: %w", dir, err)
	}
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return fmt.Errorf("%s/%s still visible", dir, f)
		}
	}
	return nil
}

// runHelperProcess runs this test binary as a helper, checks that nothing
// it started is left running, and returns its result.
func runHelperProcess(t *testing.T, argv []string, env []string, token string) *helperResult {
	t.Helper()
	return runHelperProcessAttr(t, argv, env, token, nil)
}

// runHelperProcessAttr is runHelperProcess with the child's namespaces
// taken from attr (nil: the parent's).
func runHelperProcessAttr(t *testing.T, argv []string, env []string, token string, attr *syscall.SysProcAttr) *helperResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	sys := syscall.SysProcAttr{}
	if attr != nil {
		sys = *attr
	}
	sys.Setpgid = true
	cmd.SysProcAttr = &sys
	start := time.Now()
	err := cmd.Run()
	defer checkNoLeftovers(t, token)
	t.Logf("helper process ran %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("helper %q: %v\nstdout:\n%s\nstderr:\n%s", argv, err, stdout.String(), stderr.String())
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if j, ok := strings.CutPrefix(sc.Text(), resultTag); ok {
			var res helperResult
			if err := json.Unmarshal([]byte(j), &res); err != nil {
				t.Fatal(err)
			}
			return &res
		}
	}
	t.Fatalf("helper printed no result\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	return nil
}

// checkNoLeftovers waits up to 5 s for every process carrying token to end,
// then kills and reports any that remain.
func checkNoLeftovers(t *testing.T, token string) {
	t.Helper()
	var left []int
	for deadline := time.Now().Add(5 * time.Second); ; {
		left = processesWith(tokenEnv + "=" + token)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		var desc []string
		for _, pid := range left {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			desc = append(desc, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Errorf("processes outlived the helper (killed now): %s", strings.Join(desc, "; "))
	}
}

// processesWith lists live processes whose environment holds kv.
func processesWith(kv string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, v := range bytes.Split(env, []byte{0}) {
			if string(v) == kv {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// privateDisplay starts an Xvfb of the test's own, so that the unlock
// prompt of the locked keyring appears (and waits, as it would for a
// person) without touching the display other tests use.
func privateDisplay(t *testing.T) string {
	t.Helper()
	if !haveCmd("Xvfb") {
		return ""
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "640x480x24")
	cmd.ExtraFiles = []*os.File{w}
	// Not marked with the token: it is ours to stop, after the helper.
	cmd.Env = helperEnvironment()
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	n, err2 := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || err2 != nil {
		t.Fatalf("Xvfb gave no display number: %q, %v", line, err)
	}
	return fmt.Sprintf(":%d", n)
}

// TestLockedKeyring runs calls against a gnome-keyring-daemon whose login
// keyring exists but was never unlocked, on a private bus.
func TestLockedKeyring(t *testing.T) {
	need(t, haveCmd("dbus-run-session"), "dbus-run-session (dbus) not installed")
	need(t, haveCmd("gnome-keyring-daemon"), "gnome-keyring-daemon not installed")
	token := randomHex(8)
	display := privateDisplay(t)
	env := helperEnvironment(
		helperEnv+"=locked", tokenEnv+"="+token, svcEnv+"=org.caseviewer.test.locked",
		"HOME="+t.TempDir(), "NO_AT_BRIDGE=1", "DISPLAY="+display,
	)
	res := runHelperProcess(t, []string{"dbus-run-session", "--", os.Args[0], "-test.run=^$"}, env, token)
	t.Logf("helper: %s", res.Note)
	if len(res.Calls) != 2 {
		t.Fatalf("helper made %d calls, want 2", len(res.Calls))
	}
	for _, c := range res.Calls {
		t.Logf("locked keyring: %s returned %q after %.1f ms (limit %.0f ms)", c.Op, c.Err, c.TookMS, c.LimitMS)
		if !c.Unavailable {
			t.Errorf("%s on a locked keyring: %q, want ErrKeyringUnavailable", c.Op, c.Err)
		}
		if c.TookMS > c.LimitMS+float64(slack/time.Millisecond) {
			t.Errorf("%s took %.1f ms, limit %.0f ms", c.Op, c.TookMS, c.LimitMS)
		}
		if display != "" && (!c.TimedOut || c.TookMS < c.LimitMS*0.9) {
			// With a display the daemon shows an unlock prompt and waits.
			t.Errorf("%s did not wait for the prompt: %q after %.1f ms", c.Op, c.Err, c.TookMS)
		}
	}
	switch {
	case res.UnlockSkipped != "":
		if os.Getenv("CI") == "true" {
			t.Errorf("CI=true but the keyring was not unlocked after the timeouts: %s", res.UnlockSkipped)
		} else {
			t.Logf("not unlocked after the timeouts: %s", res.UnlockSkipped)
		}
	case res.AfterUnlockOK && res.AfterUnlock == "failed put":
		t.Errorf("after unlocking, the keyring holds the value of the Put that returned ErrKeyringUnavailable")
	case res.AfterUnlockOK && res.AfterUnlock != "stored while unlocked":
		t.Errorf("after unlocking, the item holds %q", res.AfterUnlock)
	case !res.AfterUnlockOK && !strings.Contains(res.AfterUnlock, keystore.ErrNotFound.Error()):
		t.Errorf("after unlocking, Get failed: %s", res.AfterUnlock)
	default:
		t.Logf("after typing the password into the prompt: Get = %q (ok=%v); the failed Put left no trace", res.AfterUnlock, res.AfterUnlockOK)
	}
	if res.Calls[0].LimitMS != float64(keystore.DefaultTimeout/time.Millisecond) {
		t.Errorf("first call limit %.0f ms, want the default", res.Calls[0].LimitMS)
	}
}

// TestNoSecretService points the bus address at a socket nobody listens on.
func TestNoSecretService(t *testing.T) {
	token := randomHex(8)
	env := helperEnvironment(
		helperEnv+"=nobus", tokenEnv+"="+token, svcEnv+"=org.caseviewer.test.nobus",
		"HOME="+t.TempDir(),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus-here"),
	)
	res := runHelperProcess(t, []string{os.Args[0], "-test.run=^$"}, env, token)
	checkAllUnavailable(t, "dead bus socket", res)
}

// TestNoSessionBus leaves the bus address unset: the Store must fail
// without letting godbus auto-launch a bus (a fake dbus-launch on PATH
// records any attempt). Where the user has a bus at /run/user/UID (godbus
// and the Store look there, not at XDG_RUNTIME_DIR), the helper runs in a
// mount namespace of its own with an empty tmpfs over that folder.
func TestNoSessionBus(t *testing.T) {
	var attr *syscall.SysProcAttr
	runDir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, f := range []string{"bus", "dbus-session"} {
		p := filepath.Join(runDir, f)
		if _, err := os.Stat(p); err == nil {
			attr = privateMountNamespace()
			need(t, attr != nil, "this machine has a user bus at %s and no mount namespace can hide it (needs root or unprivileged user namespaces)", p)
			t.Logf("the helper runs with an empty %s (a bus is at %s)", runDir, p)
			break
		}
	}
	token := randomHex(8)
	bin := t.TempDir()
	marker := filepath.Join(bin, "dbus-launch-ran")
	script := "#!/bin/sh\ntouch " + marker + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	env := helperEnvironment(
		helperEnv+"=nobus", tokenEnv+"="+token, svcEnv+"=org.caseviewer.test.nobus",
		"HOME="+t.TempDir(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	if attr != nil {
		env = append(env, hideEnv+"="+runDir)
	}
	res := runHelperProcessAttr(t, []string{os.Args[0], "-test.run=^$"}, env, token, attr)
	checkAllUnavailable(t, "no session bus", res)
	for _, c := range res.Calls {
		if !strings.Contains(c.Err, "no D-Bus session bus") {
			t.Errorf("%s: %q, want the refusal for a missing session bus (the helper found a bus?)", c.Op, c.Err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("dbus-launch was run: a bus would have been auto-launched")
	}
}

func checkAllUnavailable(t *testing.T, what string, res *helperResult) {
	t.Helper()
	if len(res.Calls) == 0 {
		t.Fatal("helper made no calls")
	}
	for _, c := range res.Calls {
		t.Logf("%s: %s returned %q after %.2f ms", what, c.Op, c.Err, c.TookMS)
		if !c.Unavailable || c.TimedOut {
			t.Errorf("%s: %s gave %q; want an immediate ErrKeyringUnavailable", what, c.Op, c.Err)
		}
	}
}
