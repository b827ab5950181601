// Package cli is the station program's command line: `station init`,
// `serve`, `demo` and the audited admin commands. cmd/station calls Main;
// tests call it too, so every command's code path is tested as it runs.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"caseviewer/audit"
	"caseviewer/station"
	"caseviewer/wire"
)

// Env is what a command may touch outside its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ctx ends a running `serve`; nil means until SIGINT or SIGTERM.
	Ctx context.Context
	// Options are passed to station.Open (tests inject a clock or a lower
	// Argon2 cost here; the station program leaves them zero).
	Options station.Options
	// Ready, when set, receives the API and beacon addresses once `serve`
	// listens.
	Ready func(api, beacon string)
}

// exitError carries an exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, a ...any) error { return &exitError{2, fmt.Sprintf(format, a...)} }

const topUsage = `station: the Case Viewer station server and its admin commands.

Usage: station COMMAND [flags]

  init      create a station in a data folder
  serve     serve the HTTPS API and the beacon
  demo      create a station and seed it with demo officers, cases and documents
  officer   add | list | unlock | disable officers
  enroll    issue a one-time enrollment token for an officer's laptop
  device    list | revoke enrolled laptops
  case      create | list | assign cases and case teams
  doc       add a PDF document to a case (sealed; only ciphertext is stored)
  audit     verify | export the audit log

Every command takes --data DIR (default: %s) and --help.
`

// Main runs the station program with args (without the program name) and
// returns its exit code: 0 on success, 1 on failure, 2 on bad usage.
func Main(args []string, env Env) int {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	err := run(args, &env)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if !strings.HasPrefix(msg, "station") {
		msg = "station: " + msg
	}
	fmt.Fprintln(env.Stderr, msg)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// DefaultDataDir is the per-user data folder used when --data is not given.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "caseviewer-station")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "CaseViewerStation")
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "caseviewer-station")
	}
	return "caseviewer-station"
}

func run(args []string, env *Env) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(env.Stdout, topUsage, DefaultDataDir())
		if len(args) == 0 {
			return usageErr("no command given")
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	sub := func(names ...string) (string, []string, error) {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") || rest[0] == "help" {
			if len(rest) > 0 && isHelp(rest[0]) {
				fmt.Fprintf(env.Stdout, "Usage: station %s SUBCOMMAND [flags]\n\n", cmd)
				for _, n := range names {
					fmt.Fprintf(env.Stdout, "  %-8s  %s\n", n, subHelp[cmd+" "+n])
				}
				fmt.Fprintf(env.Stdout, "\nRun `station %s SUBCOMMAND --help` for its flags.\n", cmd)
				return "", nil, flag.ErrHelp
			}
			return "", nil, usageErr("%s needs a subcommand: %s (see `station %s --help`)", cmd, strings.Join(names, ", "), cmd)
		}
		for _, n := range names {
			if rest[0] == n {
				return n, rest[1:], nil
			}
		}
		return "", nil, usageErr("%s: unknown subcommand %q (use %s)", cmd, rest[0], strings.Join(names, ", "))
	}
	switch cmd {
	case "init":
		return cmdInit(rest, env)
	case "serve":
		return cmdServe(rest, env)
	case "demo":
		return cmdDemo(rest, env)
	case "enroll":
		return cmdEnroll(rest, env)
	case "officer":
		s, r, err := sub("add", "list", "unlock", "disable")
		if err != nil {
			return err
		}
		return cmdOfficer(s, r, env)
	case "device":
		s, r, err := sub("list", "revoke")
		if err != nil {
			return err
		}
		return cmdDevice(s, r, env)
	case "case":
		s, r, err := sub("create", "list", "assign")
		if err != nil {
			return err
		}
		return cmdCase(s, r, env)
	case "doc":
		s, r, err := sub("add")
		if err != nil {
			return err
		}
		return cmdDocAdd(s, r, env)
	case "audit":
		s, r, err := sub("verify", "export")
		if err != nil {
			return err
		}
		return cmdAudit(s, r, env)
	}
	return usageErr("unknown command %q (run `station --help`)", cmd)
}

// subHelp describes each subcommand in one line.
var subHelp = map[string]string{
	"officer add":     "add an officer (role, unit, password)",
	"officer list":    "list officers with role, unit and status",
	"officer unlock":  "unlock an account locked after failed logins",
	"officer disable": "disable an account and end its sessions",
	"device list":     "list enrolled laptops",
	"device revoke":   "revoke a laptop; it wipes at its next contact",
	"case create":     "create a case",
	"case list":       "list cases with their teams",
	"case assign":     "put an officer on a case team, or take them off",
	"doc add":         "validate, seal and store a PDF in a case",
	"audit verify":    "check the audit log; exit 0 only when it is intact",
	"audit export":    "write audit records as CSV or JSON",
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// flags is a FlagSet with --data, one-line errors and --help on stdout.
type flags struct {
	*flag.FlagSet
	data       *string
	masterFile *string
	usage      string
	operands   string // shown after [flags] in the usage line
	env        *Env
	positional []string
}

func newFlags(name, usage string, env *Env) *flags {
	fs := flag.NewFlagSet("station "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &flags{FlagSet: fs, usage: usage, env: env}
	f.data = fs.String("data", DefaultDataDir(), "station data folder")
	if name != "init" && name != "demo" {
		f.masterFile = fs.String("master-key-file", "", "read the master key (64 hex digits) from this file or pipe instead of DATA/master.key")
	}
	return f
}

// parse parses args; positional arguments beyond maxPos are an error.
func (f *flags) parse(args []string, maxPos int) error {
	// Allow flags after positional arguments (station doc add FILE --case N).
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(f.env.Stdout, "Usage: %s [flags]%s\n\n%s\n\nFlags:\n", f.Name(), f.operands, f.usage)
				f.SetOutput(f.env.Stdout)
				f.PrintDefaults()
				return flag.ErrHelp
			}
			return usageErr("%s: %v (see `%s --help`)", f.Name(), err, f.Name())
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) > maxPos {
		return usageErr("%s: unexpected argument %q (see `%s --help`)", f.Name(), pos[maxPos], f.Name())
	}
	f.positional = pos
	return nil
}

func (f *flags) arg(i int) string {
	if i < len(f.positional) {
		return f.positional[i]
	}
	return ""
}

func (f *flags) open() (*station.Station, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opt := f.env.Options
	if f.masterFile != nil && *f.masterFile != "" {
		k, err := station.ReadMasterKey(*f.masterFile)
		if err != nil {
			return nil, err
		}
		opt.MasterKey = k
	}
	return station.Open(ctx, *f.data, opt)
}

// start parses args, checks the required flags and opens the station.
func (f *flags) start(args []string, maxPos int, req ...string) (*station.Station, error) {
	if err := f.parse(args, maxPos); err != nil {
		return nil, err
	}
	if err := required(f, req...); err != nil {
		return nil, err
	}
	return f.open()
}

// actor names who ran an admin command, for the audit log.
func actor() string {
	u := os.Getenv("SUDO_USER")
	if u == "" {
		u = os.Getenv("USER")
	}
	if u == "" {
		u = "unknown"
	}
	return "admin:" + u
}

func required(f *flags, names ...string) error {
	for _, n := range names {
		if fl := f.Lookup(n); fl == nil || fl.Value.String() == "" {
			return usageErr("%s: --%s is required (see `%s --help`)", f.Name(), n, f.Name())
		}
	}
	return nil
}

func printInit(w io.Writer, res *station.InitResult) {
	fmt.Fprintf(w, "Station %s created in %s\n", res.StationID, res.Dir)
	fmt.Fprintf(w, "Read these out to the laptops' users at enrollment; they must match what the app shows:\n")
	fmt.Fprintf(w, "  CA fingerprint:      %s\n", res.CAFingerprint)
	fmt.Fprintf(w, "  Station public key:  %s\n", station.PublicKeyString(res.PublicKey))
	fmt.Fprintf(w, "  Audit verifier key:  %s\n", res.AuditVerifierKey)
	fmt.Fprintf(w, "The master key for data at rest is %s (mode 0600); see doc/station.md to move it to a keyring or KMS.\n",
		filepath.Join(res.Dir, "master.key"))
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func cmdInit(args []string, env *Env) error {
	f := newFlags("init", "Creates a station: database, payload folder, TLS CA and server certificate, signing key and master key.", env)
	id := f.String("id", "", "station ID (letters, digits, '.', '_', '-'); default random")
	name := f.String("name", "", "station name, such as \"Northside Precinct\"")
	var hosts listFlag
	f.Var(&hosts, "host", "extra DNS name or IP address for the server certificate (repeatable, or comma-separated)")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	res, err := station.Init(context.Background(), *f.data, station.InitOptions{StationID: *id, Name: *name, Hosts: hosts, Now: env.Options.Now})
	if err != nil {
		return err
	}
	printInit(env.Stdout, res)
	return nil
}

func cmdDemo(args []string, env *Env) error {
	f := newFlags("demo", "Creates a station as init does and seeds a realistic demo: officers in every role, two units,\ncases with multi-page PDF documents, one pending access request. Prints the demo accounts.", env)
	var hosts listFlag
	f.Var(&hosts, "host", "extra DNS name or IP address for the server certificate")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	ctx := context.Background()
	_, statErr := os.Stat(*f.data)
	existed := statErr == nil
	res, err := station.Init(ctx, *f.data, station.InitOptions{StationID: "ST-DEMO", Name: "Demo Precinct", Hosts: hosts, Now: env.Options.Now})
	if err != nil {
		return err
	}
	demo, err := seedDemo(ctx, res.Dir, env)
	if err != nil {
		// Nothing half-made stays behind: remove what init created.
		if existed {
			ents, _ := os.ReadDir(res.Dir)
			for _, e := range ents {
				os.RemoveAll(filepath.Join(res.Dir, e.Name()))
			}
		} else {
			os.RemoveAll(res.Dir)
		}
		return fmt.Errorf("demo: %w", err)
	}
	printInit(env.Stdout, res)
	w := env.Stdout
	fmt.Fprintf(w, "\nDemo accounts (fixed demo passwords, published in doc/station.md: never use them on a real station):\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  OFFICER\tNAME\tROLE\tUNIT\tPASSWORD")
	for _, a := range demo.Accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Role, a.Unit, a.Password)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nCases:\n")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CASE\tTITLE\tUNIT\tDOCS\tTEAM")
	for _, c := range demo.CaseInfo {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", c.Number, c.Title, c.Unit, c.Documents, strings.Join(c.Team, ", "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nPending access request: %s asks for case %s; supervisor %s may approve or deny it.\n",
		demo.PendingRequester, demo.PendingCase, demo.PendingDecider)
	fmt.Fprintf(w, "Enrollment token for a laptop (single use, expires %s): %s\n", demo.EnrollExpires.Format(time.RFC3339), demo.EnrollToken)
	fmt.Fprintf(w, "\nNext:\n")
	fmt.Fprintf(w, "  1. station serve --data %s\n", res.Dir)
	fmt.Fprintf(w, "  2. In Case Viewer, enroll with the token above; check that the CA fingerprint and station key match.\n")
	fmt.Fprintf(w, "  3. Log in as any officer above: any of them may use an enrolled laptop.\n")
	return nil
}

// seedDemo opens the fresh station in dir and seeds the demo.
func seedDemo(ctx context.Context, dir string, env *Env) (*station.Demo, error) {
	st, err := station.Open(ctx, dir, env.Options)
	if err != nil {
		return nil, err
	}
	demo, err := st.SeedDemo(ctx, "demo")
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return demo, err
}

func cmdServe(args []string, env *Env) error {
	f := newFlags("serve", "Serves the HTTPS API (TLS 1.3 only) and the beacon (UDP) until interrupted.", env)
	listen := f.String("listen", "127.0.0.1:8443", "HTTPS API address (host:port)")
	bAddr := f.String("beacon", "127.0.0.1:8444", "beacon UDP address to bind (host:port), ideally on the station LAN only")
	bPublic := f.String("beacon-public", "", "beacon address announced to laptops; default derived from --beacon")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	pub := *bPublic
	if pub == "" {
		pub = derivePublic(*bAddr)
	}
	if _, _, err := net.SplitHostPort(pub); err != nil {
		return usageErr("serve: --beacon-public %q is not host:port", pub)
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(env.Stderr, time.Now().UTC().Format(time.RFC3339)+" "+format+"\n", a...)
	}
	if env.Options.OnAuditError == nil {
		// CJIS AU-5: audit failures reach the operator at once.
		env.Options.OnAuditError = func(err error) { logf("AUDIT ALERT: %v", err) }
	}
	st, err := f.open()
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := env.Ctx
	if ctx == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", *listen, err)
	}
	pc, err := net.ListenPacket("udp", *bAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: beacon on %s: %w", *bAddr, err)
	}
	defer pc.Close()
	if pub == *bAddr || strings.HasSuffix(*bAddr, ":0") {
		pub = derivePublic(pc.LocalAddr().String())
	}
	srv := station.NewServer(st, station.ServerConfig{BeaconPublic: pub, Logf: logf})
	berr := make(chan error, 1)
	go func() { berr <- st.ServeBeacon(ctx, pc) }()
	fmt.Fprintf(env.Stdout, "Station %s serving https://%s (TLS 1.3), beacon udp %s (announced as %s)\n", st.ID(), ln.Addr(), pc.LocalAddr(), pub)
	fmt.Fprintf(env.Stdout, "CA fingerprint: %s\n", st.CAFingerprint())
	if env.Ready != nil {
		env.Ready(ln.Addr().String(), pc.LocalAddr().String())
	}
	serr := srv.Serve(ctx, ln)
	cancel()
	pc.Close()
	if err := <-berr; err != nil && ctx.Err() == nil {
		return fmt.Errorf("serve: beacon: %w", err)
	}
	return serr
}

// derivePublic turns a bind address into one laptops can reach: an
// unspecified host becomes this machine's first global unicast address.
func derivePublic(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	ip := net.ParseIP(host)
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return addr
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() && n.IP.To4() != nil {
				return net.JoinHostPort(n.IP.String(), port)
			}
		}
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// readPassword reads a new password from a file, from the terminal (twice,
// without echo) or from one line of standard input.
func readPassword(env *Env, file string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		clear(b)
		return []byte(strings.TrimRight(line, "\r")), nil
	}
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, "Password (at least 8 characters): ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprint(env.Stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return nil, err
		}
		defer clear(p2)
		if string(p1) != string(p2) {
			clear(p1)
			return nil, errors.New("the two passwords differ")
		}
		return p1, nil
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, wire.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, err
	}
	return []byte(strings.TrimRight(line, "\r\n")), nil
}

func cmdOfficer(sub string, args []string, env *Env) error {
	switch sub {
	case "add":
		f := newFlags("officer add", "Adds an officer. The password is read from --password-file, a terminal prompt, or one line of standard input.", env)
		id := f.String("id", "", "officer ID, such as a badge number (required)")
		name := f.String("name", "", "full name (required)")
		role := f.String("role", "", "detective, supervisor, evidence_tech or admin (required)")
		unit := f.String("unit", "", "unit, such as Homicide (required)")
		pwFile := f.String("password-file", "", "file whose first line is the password")
		if err := f.parse(args, 0); err != nil {
			return err
		}
		if err := required(f, "id", "name", "role", "unit"); err != nil {
			return err
		}
		if !station.ValidRole(*role) {
			return usageErr("officer add: --role %q: use detective, supervisor, evidence_tech or admin", *role)
		}
		pw, err := readPassword(env, *pwFile)
		if err != nil {
			return fmt.Errorf("officer add: password: %w", err)
		}
		defer clear(pw)
		// The password policy is checked by AddOfficer, so that a refused
		// password is an audited attempt like every other admin refusal.
		st, err := f.open()
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.AddOfficer(context.Background(), actor(), station.OfficerInput{ID: *id, Name: *name, Role: *role, Unit: *unit, Password: pw}); err != nil {
			return fmt.Errorf("officer add: %w", err)
		}
		fmt.Fprintf(env.Stdout, "Officer %s (%s, %s, %s) added.\n", *id, *name, *role, *unit)
		return nil
	case "list":
		f := newFlags("officer list", "Lists officers with their role, unit and status.", env)
		st, err := f.start(args, 0)
		if err != nil {
			return err
		}
		defer st.Close()
		list, err := st.Officers(context.Background(), actor())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tUNIT\tSTATUS")
		for _, o := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Role, o.Unit, o.Status)
		}
		return tw.Flush()
	case "unlock", "disable":
		f := newFlags("officer "+sub, map[string]string{"unlock": "Unlocks an account locked after failed logins (or re-enables a disabled one).",
			"disable": "Disables an account and ends its sessions."}[sub], env)
		f.operands = " [OFFICER-ID]"
		id := f.String("id", "", "officer ID (or give it as the argument)")
		if err := f.parse(args, 1); err != nil {
			return err
		}
		if *id == "" {
			*id = f.arg(0)
		}
		if *id == "" {
			return usageErr("officer %s: give the officer ID", sub)
		}
		st, err := f.open()
		if err != nil {
			return err
		}
		defer st.Close()
		done := "unlocked"
		if sub == "unlock" {
			err = st.UnlockOfficer(context.Background(), actor(), *id)
		} else {
			err = st.DisableOfficer(context.Background(), actor(), *id)
			done = "disabled"
		}
		if err != nil {
			return fmt.Errorf("officer %s: %w", sub, err)
		}
		fmt.Fprintf(env.Stdout, "Officer %s %s.\n", *id, done)
		return nil
	}
	return nil
}

func cmdEnroll(args []string, env *Env) error {
	f := newFlags("enroll", "Prints a one-time enrollment token for an officer's laptop.", env)
	officer := f.String("officer", "", "officer ID (required)")
	ttl := f.Duration("ttl", station.DefaultEnrollTTL, "how long the token stays valid (at most 168h)")
	st, err := f.start(args, 0, "officer")
	if err != nil {
		return err
	}
	defer st.Close()
	tok, exp, err := st.IssueEnrollToken(context.Background(), actor(), *officer, *ttl)
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Enrollment token for %s: %s\nSingle use; expires %s.\nCA fingerprint: %s\nStation key:    %s\n",
		*officer, tok, exp.Format(time.RFC3339), st.CAFingerprint(), station.PublicKeyString(st.PublicKey()))
	return nil
}

func cmdDevice(sub string, args []string, env *Env) error {
	if sub == "list" {
		f := newFlags("device list", "Lists enrolled laptops.", env)
		st, err := f.start(args, 0)
		if err != nil {
			return err
		}
		defer st.Close()
		list, err := st.Devices(context.Background(), actor())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEVICE\tNAME\tENROLLED BY\tENROLLED\tLAST SEEN\tSTATUS")
		for _, d := range list {
			status, seen := "active", "-"
			if d.RevokedAt != nil {
				status = "revoked " + d.RevokedAt.Format(time.RFC3339)
			}
			if d.LastSeen != nil {
				seen = d.LastSeen.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Name, d.OfficerID, d.EnrolledAt.Format(time.RFC3339), seen, status)
		}
		return tw.Flush()
	}
	f := newFlags("device revoke", "Revokes a laptop: its sessions end and it wipes at its next contact.", env)
	f.operands = " [DEVICE-ID]"
	id := f.String("id", "", "device ID (or give it as the argument)")
	reason := f.String("reason", "", "why (recorded in the audit log)")
	if err := f.parse(args, 1); err != nil {
		return err
	}
	if *id == "" {
		*id = f.arg(0)
	}
	if *id == "" {
		return usageErr("device revoke: give the device ID")
	}
	st, err := f.open()
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeDevice(context.Background(), actor(), *id, *reason); err != nil {
		return fmt.Errorf("device revoke: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Device %s revoked.\n", *id)
	return nil
}

func cmdCase(sub string, args []string, env *Env) error {
	switch sub {
	case "create":
		f := newFlags("case create", "Creates a case.", env)
		number := f.String("number", "", "case number, such as 2026-0412 (required)")
		title := f.String("title", "", "title (required)")
		unit := f.String("unit", "", "owning unit (required)")
		st, err := f.start(args, 0, "number", "title", "unit")
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.CreateCase(context.Background(), actor(), station.CaseInput{Number: *number, Title: *title, Unit: *unit}); err != nil {
			return fmt.Errorf("case create: %w", err)
		}
		fmt.Fprintf(env.Stdout, "Case %s created.\n", *number)
		return nil
	case "list":
		f := newFlags("case list", "Lists cases with their teams.", env)
		st, err := f.start(args, 0)
		if err != nil {
			return err
		}
		defer st.Close()
		list, err := st.Cases(context.Background(), actor())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CASE\tTITLE\tUNIT\tSTATUS\tDOCS\tTEAM")
		for _, c := range list {
			var team []string
			for _, m := range c.Team {
				team = append(team, m.Officer.ID+"("+m.Role+")")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", c.Number, c.Title, c.Unit, c.Status, c.Documents, strings.Join(team, " "))
		}
		return tw.Flush()
	default: // assign
		f := newFlags("case assign", "Puts an officer on a case team (lead, member, technician) or takes them off (remove).", env)
		number := f.String("number", "", "case number (required)")
		officer := f.String("officer", "", "officer ID (required)")
		role := f.String("role", "member", "lead, member, technician or remove")
		st, err := f.start(args, 0, "number", "officer")
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.AssignCase(context.Background(), actor(), *number, *officer, *role); err != nil {
			return fmt.Errorf("case assign: %w", err)
		}
		fmt.Fprintf(env.Stdout, "Case %s: %s is now %s.\n", *number, *officer, *role)
		return nil
	}
}

func cmdDocAdd(_ string, args []string, env *Env) error {
	f := newFlags("doc add", "Validates FILE.pdf with pdfcpu, seals it with the bundle format and stores only ciphertext.\nExample: station doc add --case 2026-0412 --type lab_result --title \"Lab report\" report.pdf", env)
	f.operands = " FILE.pdf"
	number := f.String("case", "", "case number (required)")
	title := f.String("title", "", "title; default the file name")
	typ := f.String("type", "other", "incident_report, witness_statement, lab_result, evidence_log, photo, supplement or other")
	if err := f.parse(args, 1); err != nil {
		return err
	}
	if err := required(f, "case"); err != nil {
		return err
	}
	file := f.arg(0)
	if file == "" {
		return usageErr("doc add: give the PDF file")
	}
	if *title == "" {
		*title = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	in, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("doc add: %w", err)
	}
	defer in.Close()
	st, err := f.open()
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := st.AddDocument(context.Background(), actor(), station.DocumentInput{CaseNumber: *number, Title: *title, Type: *typ, PDF: in})
	if err != nil {
		return fmt.Errorf("doc add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Document %s (%q, %d pages) sealed into case %s.\n", d.ID, d.Title, d.Pages, *number)
	return nil
}

func cmdAudit(sub string, args []string, env *Env) error {
	if sub == "verify" {
		f := newFlags("audit verify", "Checks the audit log: exit 0 only when it is intact; otherwise lists what is wrong and where.", env)
		st, err := f.start(args, 0)
		if err != nil {
			return err
		}
		defer st.Close()
		rep, err := st.VerifyAudit(context.Background(), actor())
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		if rep.OK {
			fmt.Fprintf(env.Stdout, "Audit log intact: %d records, %d valid checkpoints.\n", rep.Size, rep.Checkpoints)
			return nil
		}
		fmt.Fprintf(env.Stdout, "AUDIT LOG DAMAGED: %d problems (log says %d records, %d found)\n", len(rep.Problems), rep.Size, rep.Records)
		for _, p := range rep.Problems {
			where := "log"
			if p.Index >= 0 {
				where = fmt.Sprintf("record %d", p.Index)
			}
			fmt.Fprintf(env.Stdout, "  %s: %s: %s\n", where, p.Kind, p.What)
		}
		if rep.Truncated {
			fmt.Fprintln(env.Stdout, "  (more problems not listed)")
		}
		return &exitError{1, fmt.Sprintf("audit verify: the audit log is damaged (%d problems; first: %s)", len(rep.Problems), firstProblem(rep))}
	}
	f := newFlags("audit export", "Writes audit records as CSV or JSON to standard output (or --out).", env)
	format := f.String("format", "csv", "csv or json")
	number := f.String("case", "", "only this case")
	officer := f.String("officer", "", "only this officer")
	since := f.String("since", "", "only records since this time (RFC 3339) or this long ago (such as 72h)")
	out := f.String("out", "", "write to this file (atomically) instead of standard output")
	if err := f.parse(args, 0); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageErr("audit export: --format %q: use csv or json", *format)
	}
	var filt audit.Filter
	filt.CaseNumber, filt.OfficerID = *number, *officer
	if *since != "" {
		t, err := wire.ParseTime(*since, time.Now())
		if err != nil {
			return usageErr("audit export: --since %q: use an RFC 3339 time or a duration such as 72h", *since)
		}
		filt.Since = t
	}
	st, err := f.open()
	if err != nil {
		return err
	}
	defer st.Close()
	if *out == "" {
		return st.ExportAudit(context.Background(), actor(), env.Stdout, *format, filt)
	}
	var buf strings.Builder
	if err := st.ExportAudit(context.Background(), actor(), &buf, *format, filt); err != nil {
		return err
	}
	return writeFileAtomic(*out, []byte(buf.String()), 0o600)
}

func firstProblem(rep *audit.Report) string {
	if len(rep.Problems) == 0 {
		return "none listed"
	}
	p := rep.Problems[0]
	if p.Index >= 0 {
		return fmt.Sprintf("record %d %s", p.Index, p.Kind)
	}
	return string(p.Kind)
}

// writeFileAtomic writes through a temporary file in the same folder, synced
// and renamed, so that a failure leaves no half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
