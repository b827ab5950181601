package station

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"caseviewer/audit"
	"caseviewer/bundle"
	"caseviewer/wire"
)

// Errors of the admin operations.
var (
	// ErrInvalid means an argument is malformed or out of range.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound means the named officer, device, case or document does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate means the thing to create already exists.
	ErrDuplicate = errors.New("already exists")
	// ErrAuditUnavailable means the audit record could not be written, so
	// the action was refused (fail closed).
	ErrAuditUnavailable = errors.New("audit log unavailable: action refused")
	// ErrBadPDF means a document is not a valid PDF.
	ErrBadPDF = errors.New("not a valid PDF")
	// ErrAlreadyRevoked means the device to revoke was revoked before.
	ErrAlreadyRevoked = errors.New("already revoked")
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkID(what, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, what, id)
	}
	return nil
}

func checkText(what, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return fmt.Errorf("%w: %s must have %d to %d bytes", ErrInvalid, what, min, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return fmt.Errorf("%w: %s holds a control or invalid character", ErrInvalid, what)
		}
	}
	return nil
}

// ValidRole reports whether role is one of the officer roles.
func ValidRole(role string) bool {
	switch role {
	case wire.RoleDetective, wire.RoleSupervisor, wire.RoleEvidenceTech, wire.RoleAdmin:
		return true
	}
	return false
}

// ValidTeamRole reports whether role is one of the case team roles.
func ValidTeamRole(role string) bool {
	switch role {
	case wire.TeamLead, wire.TeamMember, wire.TeamTechnician:
		return true
	}
	return false
}

// adminAudit appends the record of a privileged action before the action
// takes effect; if the record cannot be written the action is refused.
func (s *Station) adminAudit(ctx context.Context, actor, action, caseNumber, object, detail string) error {
	_, err := s.audit.Append(ctx, audit.Record{Time: s.now().UTC(), Action: action, Outcome: "success",
		OfficerID: actor, CaseNumber: caseNumber, Object: object, Detail: detail})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return nil
}

// adminDone records, best effort, that a privileged action failed: refused
// before its record was written (bad input, unknown officer, device or case)
// or failed after it (CJIS AU-2 asks for attempts, not only successes). Each
// admin operation defers it with its named error; a nil error writes
// nothing. When the audit log itself refused the action there is nowhere to
// write, so nothing more is tried.
func (s *Station) adminDone(ctx context.Context, actor, action, caseNumber, object string, err error) {
	if err == nil || errors.Is(err, ErrAuditUnavailable) || errors.Is(err, audit.ErrUnavailable) {
		return
	}
	s.audit.Append(ctx, audit.Record{Time: s.now().UTC(), Action: action, Outcome: "failed", OfficerID: actor,
		CaseNumber: caseNumber, Object: object, Detail: err.Error()})
}

// OfficerInput describes a new officer.
type OfficerInput struct {
	ID, Name, Role, Unit string
	// Password is checked against CheckPasswordPolicy and hashed with
	// Argon2id; the caller should zero it afterwards.
	Password []byte
}

// AddOfficer creates an officer account.
func (s *Station) AddOfficer(ctx context.Context, actor string, in OfficerInput) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.officer.add", "", in.ID, err) }()
	if err := checkID("officer ID", in.ID); err != nil {
		return err
	}
	if err := checkText("name", in.Name, 1, wire.MaxNameLen); err != nil {
		return err
	}
	if !ValidRole(in.Role) {
		return fmt.Errorf("%w: role %q: use detective, supervisor, evidence_tech or admin", ErrInvalid, in.Role)
	}
	if err := checkID("unit", in.Unit); err != nil {
		return err
	}
	if err := CheckPasswordPolicy(string(in.Password), in.ID); err != nil {
		return err
	}
	if _, err := s.officer(ctx, in.ID); err == nil {
		return fmt.Errorf("%w: officer %s", ErrDuplicate, in.ID)
	}
	h, err := hashPassword(in.Password, s.argon)
	if err != nil {
		return err
	}
	if err := s.adminAudit(ctx, actor, "admin.officer.add", "", in.ID, fmt.Sprintf("role=%s unit=%s", in.Role, in.Unit)); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO officers(id, name, role, unit, pw_hash, created_at) VALUES(?,?,?,?,?,?)`,
		in.ID, in.Name, in.Role, in.Unit, h, nanos(s.now()))
	if err != nil {
		return fmt.Errorf("add officer: %w", err)
	}
	return nil
}

// OfficerStatus is an officer as the admin commands list it.
type OfficerStatus struct {
	wire.Officer
	// Status is "active", "locked" or "disabled".
	Status    string
	CreatedAt time.Time
}

type officerRow struct {
	wire.Officer
	pwHash          string
	status          string
	failuresResetAt int64
}

func (s *Station) officer(ctx context.Context, id string) (*officerRow, error) {
	var o officerRow
	err := s.db.QueryRowContext(ctx, `SELECT id, name, role, unit, pw_hash, status, failures_reset_at FROM officers WHERE id=?`, id).
		Scan(&o.ID, &o.Name, &o.Role, &o.Unit, &o.pwHash, &o.status, &o.failuresResetAt)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("%w: officer %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// Officers lists every officer. The listing is audited as a privileged
// action.
func (s *Station) Officers(ctx context.Context, actor string) (_ []OfficerStatus, err error) {
	defer func() { s.adminDone(ctx, actor, "admin.officer.list", "", "", err) }()
	if err := s.adminAudit(ctx, actor, "admin.officer.list", "", "", ""); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role, unit, status, created_at FROM officers ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OfficerStatus
	for rows.Next() {
		var o OfficerStatus
		var c int64
		if err := rows.Scan(&o.ID, &o.Name, &o.Role, &o.Unit, &o.Status, &c); err != nil {
			return nil, err
		}
		o.CreatedAt = fromNanos(c)
		out = append(out, o)
	}
	return out, rows.Err()
}

// UnlockOfficer releases an account locked by failed logins (CJIS AC-7) and
// re-enables a disabled one; the failure count starts again from zero.
func (s *Station) UnlockOfficer(ctx context.Context, actor, id string) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.officer.unlock", "", id, err) }()
	if _, err := s.officer(ctx, id); err != nil {
		return err
	}
	if err := s.adminAudit(ctx, actor, "admin.officer.unlock", "", id, ""); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE officers SET status='active', locked_at=NULL, failures_reset_at=? WHERE id=?`, nanos(s.now()), id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE officer_id=?`, id); err != nil {
		return err
	}
	return tx.Commit()
}

// DisableOfficer disables an account and ends its sessions.
func (s *Station) DisableOfficer(ctx context.Context, actor, id string) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.officer.disable", "", id, err) }()
	if _, err := s.officer(ctx, id); err != nil {
		return err
	}
	if err := s.adminAudit(ctx, actor, "admin.officer.disable", "", id, ""); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE officers SET status='disabled' WHERE id=?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at=?, end_reason='officer disabled' WHERE officer_id=? AND ended_at IS NULL`, nanos(s.now()), id); err != nil {
		return err
	}
	return tx.Commit()
}

// DefaultEnrollTTL is how long an enrollment token stays valid by default.
const DefaultEnrollTTL = 24 * time.Hour

// IssueEnrollToken makes a one-time enrollment token for an officer's
// laptop, valid for ttl (at most 7 days). Only its hash is stored.
func (s *Station) IssueEnrollToken(ctx context.Context, actor, officerID string, ttl time.Duration) (_ string, _ time.Time, err error) {
	defer func() { s.adminDone(ctx, actor, "admin.enroll.issue", "", officerID, err) }()
	o, err := s.officer(ctx, officerID)
	if err != nil {
		return "", time.Time{}, err
	}
	if o.status != "active" {
		return "", time.Time{}, fmt.Errorf("%w: officer %s is %s", ErrInvalid, officerID, o.status)
	}
	if ttl <= 0 || ttl > 7*24*time.Hour {
		return "", time.Time{}, fmt.Errorf("%w: token lifetime must be between 1s and 168h", ErrInvalid)
	}
	tok, h := randomToken(20)
	now := s.now()
	exp := now.Add(ttl).UTC()
	if err := s.adminAudit(ctx, actor, "admin.enroll.issue", "", officerID, "expires "+exp.Format(time.RFC3339)); err != nil {
		return "", time.Time{}, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO enroll_tokens(hash, officer_id, created_at, expires_at) VALUES(?,?,?,?)`,
		h, officerID, nanos(now), nanos(exp)); err != nil {
		return "", time.Time{}, err
	}
	return tok, exp, nil
}

// DeviceStatus is an enrolled device as the admin commands list it.
type DeviceStatus struct {
	ID, Name, OfficerID string
	EnrolledAt          time.Time
	RevokedAt           *time.Time
	RevokeReason        string
	LastSeen            *time.Time
}

// Devices lists every enrolled device. The listing is audited as a
// privileged action.
func (s *Station) Devices(ctx context.Context, actor string) (_ []DeviceStatus, err error) {
	defer func() { s.adminDone(ctx, actor, "admin.device.list", "", "", err) }()
	if err := s.adminAudit(ctx, actor, "admin.device.list", "", "", ""); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, officer_id, enrolled_at, revoked_at, COALESCE(revoke_reason,''), last_seen FROM devices ORDER BY enrolled_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeviceStatus
	for rows.Next() {
		var d DeviceStatus
		var e int64
		var r, l sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Name, &d.OfficerID, &e, &r, &d.RevokeReason, &l); err != nil {
			return nil, err
		}
		d.EnrolledAt, d.RevokedAt, d.LastSeen = fromNanos(e), nullTime(r), nullTime(l)
		out = append(out, d)
	}
	return out, rows.Err()
}

// RevokeDevice revokes a device: its sessions end, and its next request gets
// wire.CodeDeviceRevoked so that it wipes. Revoking a device again fails
// with ErrAlreadyRevoked (and is audited as a failed attempt), so that the
// administrator learns it was revoked before, when and why.
func (s *Station) RevokeDevice(ctx context.Context, actor, deviceID, reason string) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.device.revoke", "", deviceID, err) }()
	if err := checkText("reason", reason, 0, wire.MaxReasonLen); err != nil {
		return err
	}
	var revoked sql.NullInt64
	var oldReason string
	err = s.db.QueryRowContext(ctx, `SELECT revoked_at, COALESCE(revoke_reason,'') FROM devices WHERE id=?`, deviceID).Scan(&revoked, &oldReason)
	if err == sql.ErrNoRows {
		return fmt.Errorf("%w: device %s", ErrNotFound, deviceID)
	} else if err != nil {
		return err
	}
	if revoked.Valid {
		return fmt.Errorf("%w: device %s was revoked at %s (reason: %q)", ErrAlreadyRevoked, deviceID,
			fromNanos(revoked.Int64).UTC().Format(time.RFC3339), oldReason)
	}
	if err := s.adminAudit(ctx, actor, "admin.device.revoke", "", deviceID, reason); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := nanos(s.now())
	if _, err := tx.ExecContext(ctx, `UPDATE devices SET revoked_at=?, revoke_reason=? WHERE id=?`, now, reason, deviceID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at=?, end_reason='device revoked' WHERE device_id=? AND ended_at IS NULL`, now, deviceID); err != nil {
		return err
	}
	return tx.Commit()
}

// CaseInput describes a new case.
type CaseInput struct {
	Number, Title, Unit string
}

// CreateCase creates a case.
func (s *Station) CreateCase(ctx context.Context, actor string, c CaseInput) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.case.create", c.Number, c.Number, err) }()
	if err := checkID("case number", c.Number); err != nil {
		return err
	}
	if err := checkText("title", c.Title, 1, wire.MaxNameLen); err != nil {
		return err
	}
	if err := checkID("unit", c.Unit); err != nil {
		return err
	}
	if _, err := s.caseRow(ctx, c.Number); err == nil {
		return fmt.Errorf("%w: case %s", ErrDuplicate, c.Number)
	}
	if err := s.adminAudit(ctx, actor, "admin.case.create", c.Number, c.Number, "unit="+c.Unit); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO cases(number, title, unit, created_at, created_by) VALUES(?,?,?,?,?)`,
		c.Number, c.Title, c.Unit, nanos(s.now()), actor)
	return err
}

type caseRow struct {
	Number, Title, Unit, Status string
}

func (s *Station) caseRow(ctx context.Context, number string) (*caseRow, error) {
	var c caseRow
	err := s.db.QueryRowContext(ctx, `SELECT number, title, unit, status FROM cases WHERE number=?`, number).Scan(&c.Number, &c.Title, &c.Unit, &c.Status)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("%w: case %s", ErrNotFound, number)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CaseStatus is a case as the admin commands list it.
type CaseStatus struct {
	Number, Title, Unit, Status string
	Team                        []wire.CaseTeamMember
	Documents                   int
}

// Cases lists every case with its team. The listing is audited as a
// privileged action.
func (s *Station) Cases(ctx context.Context, actor string) (_ []CaseStatus, err error) {
	defer func() { s.adminDone(ctx, actor, "admin.case.list", "", "", err) }()
	if err := s.adminAudit(ctx, actor, "admin.case.list", "", "", ""); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT number, title, unit, status, (SELECT COUNT(*) FROM documents d WHERE d.case_number=c.number) FROM cases c ORDER BY number`)
	if err != nil {
		return nil, err
	}
	var out []CaseStatus
	for rows.Next() {
		var c CaseStatus
		if err := rows.Scan(&c.Number, &c.Title, &c.Unit, &c.Status, &c.Documents); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Team, err = s.team(ctx, out[i].Number); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Station) team(ctx context.Context, number string) ([]wire.CaseTeamMember, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, o.name, o.role, o.unit, t.role FROM case_team t JOIN officers o ON o.id=t.officer_id WHERE t.case_number=? ORDER BY t.role, o.id`, number)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []wire.CaseTeamMember
	for rows.Next() {
		var m wire.CaseTeamMember
		if err := rows.Scan(&m.Officer.ID, &m.Officer.Name, &m.Officer.Role, &m.Officer.Unit, &m.Role); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AssignCase puts an officer on a case team with a team role (lead, member
// or technician), or takes them off it when teamRole is "remove".
func (s *Station) AssignCase(ctx context.Context, actor, caseNumber, officerID, teamRole string) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.case.assign", caseNumber, officerID, err) }()
	if _, err := s.caseRow(ctx, caseNumber); err != nil {
		return err
	}
	o, err := s.officer(ctx, officerID)
	if err != nil {
		return err
	}
	if teamRole != "remove" && !ValidTeamRole(teamRole) {
		return fmt.Errorf("%w: team role %q: use lead, member, technician or remove", ErrInvalid, teamRole)
	}
	if teamRole != "remove" && o.Role == wire.RoleAdmin {
		return fmt.Errorf("%w: administrators do not join case teams", ErrInvalid)
	}
	if err := s.adminAudit(ctx, actor, "admin.case.assign", caseNumber, officerID, "team_role="+teamRole); err != nil {
		return err
	}
	if teamRole == "remove" {
		_, err = s.db.ExecContext(ctx, `DELETE FROM case_team WHERE case_number=? AND officer_id=?`, caseNumber, officerID)
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO case_team(case_number, officer_id, role, added_at) VALUES(?,?,?,?)
		ON CONFLICT(case_number, officer_id) DO UPDATE SET role=excluded.role`, caseNumber, officerID, teamRole, nanos(s.now()))
	return err
}

// Document types accepted by AddDocument.
var documentTypes = map[string]bool{
	"incident_report": true, "witness_statement": true, "lab_result": true, "evidence_log": true,
	"photo": true, "supplement": true, "other": true,
}

// MaxDocumentSize caps an imported PDF (256 MiB).
const MaxDocumentSize = 256 << 20

// DocumentInput describes a PDF to import.
type DocumentInput struct {
	CaseNumber string
	Title      string
	// Type is incident_report, witness_statement, lab_result,
	// evidence_log, photo, supplement or other.
	Type string
	// PDF is the document; it is read into memory (at most
	// MaxDocumentSize), validated and sealed. Only ciphertext is written.
	PDF io.Reader
}

var pdfcpuOnce sync.Once

// AddDocument validates a PDF with pdfcpu, seals it with package bundle,
// writes the ciphertext payload atomically and records the document with its
// identity encrypted under the master key.
func (s *Station) AddDocument(ctx context.Context, actor string, in DocumentInput) (_ *wire.Document, err error) {
	var id string // known once the PDF is valid
	defer func() { s.adminDone(ctx, actor, "admin.document.add", in.CaseNumber, id, err) }()
	if _, err := s.caseRow(ctx, in.CaseNumber); err != nil {
		return nil, err
	}
	if err := checkText("title", in.Title, 1, wire.MaxNameLen); err != nil {
		return nil, err
	}
	if in.Type == "" {
		in.Type = "other"
	}
	if !documentTypes[in.Type] {
		keys := make([]string, 0, len(documentTypes))
		for k := range documentTypes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("%w: document type %q: use one of %s", ErrInvalid, in.Type, strings.Join(keys, ", "))
	}
	pdf, err := io.ReadAll(io.LimitReader(in.PDF, MaxDocumentSize+1))
	if err != nil {
		return nil, err
	}
	defer clear(pdf)
	if len(pdf) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: document larger than %d MiB", ErrInvalid, MaxDocumentSize>>20)
	}
	pages, err := validatePDF(pdf)
	if err != nil {
		return nil, err
	}
	id = randomID("DOC")
	now := s.now().UTC()
	file := id + ".age"
	final := filepath.Join(s.dir, filePayloads, file)
	tmp, err := os.CreateTemp(filepath.Join(s.dir, filePayloads), ".tmp-"+id+"-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	manifest, ident, err := bundle.SealDocument(tmp, bytes.NewReader(pdf), bundle.Manifest{
		CaseNumber: in.CaseNumber, DocumentID: id, Title: in.Title, MediaType: "application/pdf", CreatedAt: now,
	}, s.key)
	if err != nil {
		return nil, fmt.Errorf("seal document: %w", err)
	}
	identSealed, err := s.seal.seal(purposeIdentity, id, []byte(ident.String()))
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := s.adminAudit(ctx, actor, "admin.document.add", in.CaseNumber, id,
		fmt.Sprintf("title=%q type=%s pages=%d", in.Title, in.Type, pages)); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, err
	}
	syncDir(filepath.Dir(final))
	_, err = s.db.ExecContext(ctx, `INSERT INTO documents(id, case_number, title, type, pages, added_by, added_at, payload_size, manifest, identity_sealed, file)
		VALUES(?,?,?,?,?,?,?,?,?,?,?)`, id, in.CaseNumber, in.Title, in.Type, pages, actor, nanos(now), fi.Size(), manifest, identSealed, file)
	if err != nil {
		os.Remove(final)
		return nil, err
	}
	return &wire.Document{ID: id, Title: in.Title, Type: in.Type, Pages: pages, AddedBy: actor, AddedAt: now, PayloadSize: fi.Size()}, nil
}

// validatePDF checks a PDF with pdfcpu (relaxed validation, as real-world
// files need) and returns its page count. Nothing is written to disk.
func validatePDF(pdf []byte) (pages int, err error) {
	pdfcpuOnce.Do(api.DisableConfigDir)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the PDF parser failed on it", ErrBadPDF)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	if ctx.PageCount < 1 {
		return 0, fmt.Errorf("%w: it has no pages", ErrBadPDF)
	}
	return ctx.PageCount, nil
}

// VerifyAudit checks the whole audit log (see audit.Log.Verify). The check
// is itself audited (access to the audit log, CJIS AU-2).
func (s *Station) VerifyAudit(ctx context.Context, actor string) (_ *audit.Report, err error) {
	defer func() { s.adminDone(ctx, actor, "admin.audit.verify", "", "", err) }()
	rep, err := s.log.Verify(ctx)
	if err != nil {
		return nil, err
	}
	s.audit.Append(ctx, audit.Record{Time: s.now().UTC(), Action: "admin.audit.verify", Outcome: "success", OfficerID: actor,
		Detail: fmt.Sprintf("problems=%d", len(rep.Problems))})
	return rep, nil
}

// ExportAudit writes the records matching f as "csv" or "json". The export is
// audited before it is written (access to the audit log, CJIS AU-2).
func (s *Station) ExportAudit(ctx context.Context, actor string, w io.Writer, format string, f audit.Filter) (err error) {
	defer func() { s.adminDone(ctx, actor, "admin.audit.export", f.CaseNumber, f.OfficerID, err) }()
	if format != "csv" && format != "json" {
		return fmt.Errorf("%w: format %q: use csv or json", ErrInvalid, format)
	}
	if err := s.adminAudit(ctx, actor, "admin.audit.export", f.CaseNumber, f.OfficerID, "format="+format); err != nil {
		return err
	}
	var all []audit.Record
	for {
		f.Limit = audit.DefaultQueryLimit
		recs, err := s.log.Query(ctx, f)
		if err != nil {
			return err
		}
		all = append(all, recs...)
		if len(recs) < audit.DefaultQueryLimit {
			break
		}
		f.FromIndex = recs[len(recs)-1].Index + 1
	}
	if format == "csv" {
		return audit.WriteCSV(w, all)
	}
	return audit.WriteJSON(w, all)
}
