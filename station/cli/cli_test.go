package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"caseviewer/beacon"
	"caseviewer/internal/pdfgen"
	"caseviewer/station"
	"caseviewer/wire"
)

// lowCost keeps Argon2 out of test time where it does not matter.
var lowCost = station.Options{Argon2: &station.Argon2Params{Time: 1, MemKiB: 256, Threads: 1}}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Options: lowCost})
	return result{code, out.String(), errb.String()}
}

func mustRun(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	r := runCLI(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("station %s: exit %d: %s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// newStation runs init and a few audited admin commands.
func newStation(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "st")
	out := mustRun(t, "", "init", "--data", dir, "--id", "ST-CLI", "--host", "station.local,10.1.2.3")
	if !strings.Contains(out, "CA fingerprint:      SHA256:") || !strings.Contains(out, "ed25519:") {
		t.Fatalf("init printed %q", out)
	}
	mustRun(t, "detective-pass-1\n", "officer", "add", "--data", dir, "--id", "D1", "--name", "Dee One", "--role", "detective", "--unit", "Homicide")
	mustRun(t, "supervisor-pass-1\n", "officer", "add", "--data", dir, "--id", "S1", "--name", "Sue One", "--role", "supervisor", "--unit", "Homicide")
	mustRun(t, "", "case", "create", "--data", dir, "--number", "2026-0001", "--title", "Harbor Street", "--unit", "Homicide")
	mustRun(t, "", "case", "assign", "--data", dir, "--number", "2026-0001", "--officer", "D1", "--role", "lead")
	mustRun(t, "", "enroll", "--data", dir, "--officer", "D1")
	if out := mustRun(t, "", "officer", "disable", "--data", dir, "S1"); out != "Officer S1 disabled.\n" {
		t.Errorf("officer disable printed %q", out)
	}
	if out := mustRun(t, "", "officer", "unlock", "--data", dir, "--id", "S1"); out != "Officer S1 unlocked.\n" {
		t.Errorf("officer unlock printed %q", out)
	}
	return dir
}

func TestAdminCommands(t *testing.T) {
	dir := newStation(t)
	certPEM, err := os.ReadFile(filepath.Join(dir, "tls", "server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "station.local", "10.1.2.3"} {
		if err := cert.VerifyHostname(h); err != nil {
			t.Errorf("server certificate: %v", err)
		}
	}
	for _, f := range []string{"master.key", "station.key", "tls/ca.key", "tls/server.key"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", f, err, fi.Mode())
		}
	}
	if r := runCLI(t, "", "init", "--data", dir); r.code == 0 || !strings.Contains(r.stderr, "not empty") {
		t.Fatalf("init over a station: %+v", r)
	}
	if r := runCLI(t, "password\n", "officer", "add", "--data", dir, "--id", "D2", "--name", "X", "--role", "detective", "--unit", "Homicide"); r.code != 1 || !strings.Contains(r.stderr, "banned") {
		t.Fatalf("banned password: %+v", r)
	}
	if r := runCLI(t, "short\n", "officer", "add", "--data", dir, "--id", "D2", "--name", "X", "--role", "detective", "--unit", "Homicide"); r.code != 1 || !strings.Contains(r.stderr, "8 characters") {
		t.Fatalf("short password: %+v", r)
	}
	if r := runCLI(t, "long-enough-1\n", "officer", "add", "--data", dir, "--id", "D1", "--name", "X", "--role", "detective", "--unit", "Homicide"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate officer: %+v", r)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("tech-password-9\n"), 0o600)
	mustRun(t, "", "officer", "add", "--data", dir, "--id", "E1", "--name", "Eve", "--role", "evidence_tech", "--unit", "Homicide", "--password-file", pwFile)
	if out := mustRun(t, "", "officer", "list", "--data", dir); !strings.Contains(out, "E1") || !strings.Contains(out, "evidence_tech") {
		t.Fatalf("officer list: %s", out)
	}
	pdf, err := pdfgen.Build(pdfgen.Report{Title: "Witness Statement", Section: []pdfgen.Section{{Paragraphs: []string{"statement text"}}}}.Pages())
	if err != nil {
		t.Fatal(err)
	}
	pdfFile := filepath.Join(t.TempDir(), "statement.pdf")
	os.WriteFile(pdfFile, pdf, 0o600)
	if out := mustRun(t, "", "doc", "add", "--data", dir, "--case", "2026-0001", "--type", "witness_statement", pdfFile); !strings.Contains(out, "1 pages") {
		t.Fatalf("doc add: %s", out)
	}
	notPDF := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(notPDF, []byte("%PDF-1.7 this is not a pdf"), 0o600)
	if r := runCLI(t, "", "doc", "add", "--data", dir, "--case", "2026-0001", notPDF); r.code != 1 || !strings.Contains(r.stderr, "not a valid PDF") {
		t.Fatalf("doc add of a non-PDF: %+v", r)
	}
	if r := runCLI(t, "", "doc", "add", "--data", dir, "--case", "2026-9999", pdfFile); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("doc add to a missing case: %+v", r)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "payloads"))
	if len(ents) != 1 {
		t.Fatalf("payloads after one good and two failed imports: %d files", len(ents))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "payloads", ents[0].Name()))
	if bytes.Contains(b, []byte("statement text")) || !bytes.HasPrefix(b, []byte("age-encryption.org/v1")) {
		t.Fatal("payload is not age ciphertext")
	}
	if out := mustRun(t, "", "case", "list", "--data", dir); !strings.Contains(out, "D1(lead)") {
		t.Fatalf("case list: %s", out)
	}
	if out := mustRun(t, "", "device", "list", "--data", dir); !strings.HasPrefix(out, "DEVICE") {
		t.Fatalf("device list: %s", out)
	}
	if r := runCLI(t, "", "device", "revoke", "--data", dir, "DEV-NONE"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("revoke unknown device: %+v", r)
	}
	csv := mustRun(t, "", "audit", "export", "--data", dir, "--format", "csv", "--case", "2026-0001")
	if !strings.HasPrefix(csv, "index,time,action") || !strings.Contains(csv, "admin.case.create") || strings.Contains(csv, "admin.officer.add") {
		t.Fatalf("csv export: %s", csv)
	}
	js := mustRun(t, "", "audit", "export", "--data", dir, "--format", "json", "--officer", "admin:"+userName(), "--since", "1h")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(js), &recs); err != nil || len(recs) < 8 {
		t.Fatalf("json export (%d records): %v\n%s", len(recs), err, js)
	}
	out := filepath.Join(t.TempDir(), "audit.csv")
	mustRun(t, "", "audit", "export", "--data", dir, "--out", out)
	if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte("admin.audit.export")) {
		t.Fatalf("export file: %v", err)
	}
	all := mustRun(t, "", "audit", "export", "--data", dir)
	for _, action := range []string{"station.init", "admin.officer.add", "admin.officer.list", "admin.officer.disable", "admin.officer.unlock",
		"admin.enroll.issue", "admin.case.create", "admin.case.assign", "admin.case.list", "admin.device.list", "admin.document.add", "admin.audit.export"} {
		if !strings.Contains(all, action) {
			t.Errorf("%s is not in the audit log", action)
		}
	}
	// The refused passwords are audited attempts, as the refused duplicate is.
	var refusedPw int
	for _, line := range strings.Split(all, "\n") {
		if strings.Contains(line, "admin.officer.add") && strings.Contains(line, "failed") && strings.Contains(line, "D2") &&
			(strings.Contains(line, "banned") || strings.Contains(line, "8 characters")) {
			refusedPw++
		}
	}
	if refusedPw != 2 {
		t.Errorf("%d failed admin.officer.add records for D2's refused passwords, want 2", refusedPw)
	}
	if out := mustRun(t, "", "audit", "verify", "--data", dir); !strings.Contains(out, "intact") {
		t.Fatalf("verify: %s", out)
	}
}

func userName() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return u
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

func TestUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"officer"}, 2, "needs a subcommand"},
		{[]string{"officer", "fire"}, 2, "unknown subcommand"},
		{[]string{"officer", "add", "--data", dir, "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"officer", "add", "--data", dir, "--id", "X"}, 2, "--name is required"},
		{[]string{"officer", "add", "--data", dir, "--id", "X", "--name", "n", "--role", "chief", "--unit", "u"}, 2, "--role"},
		{[]string{"case", "list", "--data", dir, "extra"}, 2, "unexpected argument"},
		{[]string{"case", "list", "--data", dir}, 1, "no station"},
		{[]string{"audit", "export", "--data", dir, "--format", "xml"}, 2, "use csv or json"},
		{[]string{"audit", "export", "--data", dir, "--since", "yesterday"}, 2, "--since"},
		{[]string{"enroll", "--data", dir, "--officer", "D1", "--ttl", "soon"}, 2, "invalid value"},
		{[]string{"serve", "--data", dir, "--beacon-public", "nope"}, 2, "host:port"},
		{[]string{"init", "--data", dir, "--host", "bad host!"}, 1, "neither an IP address nor a DNS name"},
	} {
		r := runCLI(t, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("station %v: exit %d, stderr %q; want exit %d with one line containing %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	for _, args := range [][]string{{"--help"}, {"init", "--help"}, {"serve", "-h"}, {"officer", "add", "--help"}, {"officer", "--help"},
		{"enroll", "--help"}, {"device", "revoke", "--help"}, {"case", "assign", "--help"}, {"doc", "add", "--help"},
		{"audit", "verify", "--help"}, {"audit", "export", "--help"}, {"demo", "--help"}} {
		r := runCLI(t, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage") {
			t.Errorf("station %v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("a failed command created the data folder")
	}
}

// tamper opens the station database as an attacker with file access would,
// drops the append-only triggers and runs stmts.
func tamper(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tr := range []string{"audit_records_no_update", "audit_records_no_delete", "audit_hashes_no_update",
		"audit_hashes_no_delete", "audit_checkpoints_no_update", "audit_checkpoints_no_delete"} {
		if _, err := db.Exec("DROP TRIGGER IF EXISTS " + tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func auditSize(t *testing.T, dir string) int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM audit_records`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAuditVerifyDetectsTampering runs `station audit verify` on logs with a
// deleted record, two records swapped, one byte changed, and the log cut back
// behind a checkpoint.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	cols := "time_ns, action, officer_id, case_number, object, session_code, data"
	cases := []struct {
		name  string
		stmts func(t *testing.T, dir string, n int) []string
		want  []string
	}{
		{"deleted record", func(t *testing.T, dir string, n int) []string {
			return []string{`DELETE FROM audit_records WHERE idx = 3`}
		}, []string{"record 3: missing"}},
		{"two records swapped", func(t *testing.T, dir string, n int) []string {
			return []string{
				fmt.Sprintf(`CREATE TEMP TABLE sw AS SELECT idx, %s FROM audit_records WHERE idx IN (2, 5)`, cols),
				fmt.Sprintf(`UPDATE audit_records SET (%s) = (SELECT %s FROM sw WHERE sw.idx = 5) WHERE idx = 2`, cols, cols),
				fmt.Sprintf(`UPDATE audit_records SET (%s) = (SELECT %s FROM sw WHERE sw.idx = 2) WHERE idx = 5`, cols, cols),
			}
		}, []string{"record 2: reordered", "record 5: reordered"}},
		{"one byte changed", func(t *testing.T, dir string, n int) []string {
			// Flip one bit of the last byte of record 4's hashed bytes.
			db, err := sql.Open("sqlite", filepath.Join(dir, "station.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var data []byte
			if err := db.QueryRow(`SELECT data FROM audit_records WHERE idx = 4`).Scan(&data); err != nil {
				t.Fatal(err)
			}
			data[len(data)-1] ^= 0x01
			return []string{fmt.Sprintf(`UPDATE audit_records SET data = X'%x' WHERE idx = 4`, data)}
		}, []string{"record 4: changed"}},
		{"cut back behind a checkpoint", func(t *testing.T, dir string, n int) []string {
			cut := n - 3
			return []string{
				fmt.Sprintf(`DELETE FROM audit_records WHERE idx >= %d`, cut),
				fmt.Sprintf(`UPDATE audit_state SET size = %d`, cut),
				`DELETE FROM audit_checkpoints WHERE size > ` + fmt.Sprint(cut),
			}
		}, []string{"cut-back"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := newStation(t)
			if r := runCLI(t, "", "audit", "verify", "--data", dir); r.code != 0 {
				t.Fatalf("clean log: %+v", r)
			}
			tamper(t, dir, c.stmts(t, dir, auditSize(t, dir))...)
			r := runCLI(t, "", "audit", "verify", "--data", dir)
			if r.code != 1 || !strings.Contains(r.stdout, "AUDIT LOG DAMAGED") || !strings.Contains(r.stderr, "damaged") {
				t.Fatalf("tampered log: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("report lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// TestDemoWritesOnlyInsideDir runs `station demo` with HOME pointed at an
// empty folder and checks that nothing appears outside DIR.
func TestDemoWritesOnlyInsideDir(t *testing.T) {
	home, parent := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	dir := filepath.Join(parent, "demo")
	out := mustRun(t, "", "demo", "--data", dir)
	for _, a := range station.DemoAccounts {
		if !strings.Contains(out, a.ID) || !strings.Contains(out, a.Password) {
			t.Fatalf("demo output lacks account %s:\n%s", a.ID, out)
		}
	}
	for _, want := range []string{"Enrollment token for a laptop", "Pending access request: D-1001 asks for case 2026-0419; supervisor S-2002",
		"2026-0412  Harbor Street homicide", "station serve --data " + dir} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
	for _, d := range []string{home, parent} {
		ents, _ := os.ReadDir(d)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if (d == home && len(names) != 0) || (d == parent && (len(names) != 1 || names[0] != "demo")) {
			t.Fatalf("demo wrote outside its folder: %s holds %v", d, names)
		}
	}
	st, err := station.Open(context.Background(), dir, lowCost)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cases, err := st.Cases(context.Background(), "admin:test")
	if err != nil {
		t.Fatal(err)
	}
	roles, units := map[string]bool{}, map[string]bool{}
	officers, _ := st.Officers(context.Background(), "admin:test")
	for _, o := range officers {
		roles[o.Role], units[o.Unit] = true, true
	}
	docs := 0
	for _, c := range cases {
		docs += c.Documents
	}
	if len(cases) < 3 || docs < 6 || len(roles) != 4 || !units["Homicide"] || !units["Burglary"] {
		t.Fatalf("demo: %d cases, %d documents, roles %v, units %v", len(cases), docs, roles, units)
	}
	if r := runCLI(t, "", "demo", "--data", dir); r.code != 1 {
		t.Fatal("demo over an existing station succeeded")
	}
}

// TestServe runs `station serve`, reads the signed station info over TLS 1.3
// with the CA from the data folder, asks the beacon, and stops.
func TestServe(t *testing.T) {
	dir := newStation(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan [2]string, 1)
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := Main([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--beacon", "127.0.0.1:0"},
			Env{Stdout: &out, Stderr: &errb, Ctx: ctx, Options: lowCost, Ready: func(a, b string) { ready <- [2]string{a, b} }})
		done <- result{code, out.String(), errb.String()}
	}()
	var addrs [2]string
	select {
	case addrs = <-ready:
	case r := <-done:
		t.Fatalf("serve exited: %+v", r)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "tls", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(caPEM)
	ca, _ := x509.ParseCertificate(blk.Bytes)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addrs[0] + wire.PathInfo)
	if err != nil {
		t.Fatal(err)
	}
	var signed wire.SignedStationInfo
	err = wire.Decode(resp.Body, &signed, wire.MaxBodyBytes)
	resp.Body.Close()
	if err != nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("info: %v, TLS version %x", err, resp.TLS.Version)
	}
	info, err := wire.VerifyStationInfo(&signed, nil)
	if err != nil || info.StationID != "ST-CLI" || info.BeaconAddr != addrs[1] || info.CAFingerprint != wire.Fingerprint(ca.Raw) {
		t.Fatalf("info %+v: %v (beacon %s)", info, err, addrs[1])
	}
	// TLS 1.2 is refused.
	old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}}}
	if _, err := old.Get("https://" + addrs[0] + wire.PathInfo); err == nil {
		t.Fatal("TLS 1.2 accepted")
	}
	answer, nonce, err := beacon.Query(ctx, info.BeaconAddr, "DEV-TEST")
	if err != nil {
		t.Fatal(err)
	}
	if err := beacon.Verify(answer, nonce, "DEV-TEST", "ST-CLI", info.PublicKey, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("serve: %+v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
