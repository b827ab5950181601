package session

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestHarden runs Harden in a child process (it changes the process for
// good) and checks there that core dumps are off and the process is not
// dumpable.
func TestHarden(t *testing.T) {
	if os.Getenv("CV_SESSION_HARDEN_CHILD") == "1" {
		r, err := Harden()
		if err != nil {
			t.Fatalf("Harden: %v (%+v)", err, r)
		}
		core, dumpable, err := hardenState()
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS == "linux" && (!r.CoreDumpsOff || !r.NotDumpable || core != 0 || dumpable != 0) {
			t.Fatalf("after Harden: report %+v, RLIMIT_CORE %d, dumpable %d", r, core, dumpable)
		}
		t.Logf("report %+v", r)
		return
	}
	if runtime.GOOS != "linux" {
		r, err := Harden()
		if err != nil || len(r.Notes) == 0 {
			t.Fatalf("Harden on %s: %+v %v", runtime.GOOS, r, err)
		}
		return
	}
	core, dumpable, err := hardenState()
	if err != nil {
		t.Fatal(err)
	}
	if dumpable == 0 {
		t.Fatal("the test process is already not dumpable: the child's check would prove nothing")
	}
	_ = core
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestHarden$", "-test.v")
	cmd.Env = append(os.Environ(), "CV_SESSION_HARDEN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHarden") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
