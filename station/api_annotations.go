package station

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/http"
	"regexp"

	"caseviewer/audit"
	"caseviewer/wire"
)

// Limits on annotations.
const (
	// MaxAnnotationsPerDocument caps the annotations of one document.
	MaxAnnotationsPerDocument = 5000
	// MaxRevisions caps the revisions of one annotation.
	MaxRevisions = 500
)

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func checkAnnotation(in *wire.AnnotationInput) error {
	switch {
	case in.Page < 1 || in.Page > wire.MaxPage:
		return badRequest("The page must be between 1 and %d.", wire.MaxPage)
	case in.Kind != wire.AnnotationHighlight && in.Kind != wire.AnnotationNote:
		return badRequest("The kind must be %q or %q.", wire.AnnotationHighlight, wire.AnnotationNote)
	case !colorPattern.MatchString(in.Color):
		return badRequest("The color must be #rrggbb.")
	case len(in.Text) > wire.MaxNoteLen:
		return fail(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("The note is longer than %d bytes.", wire.MaxNoteLen))
	case in.Kind == wire.AnnotationNote && in.Text == "":
		return badRequest("A note needs text.")
	}
	for _, v := range []float64{in.Rect.X0, in.Rect.Y0, in.Rect.X1, in.Rect.Y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > wire.MaxCoordinate {
			return badRequest("Rectangle coordinates must be between 0 and %g points.", float64(wire.MaxCoordinate))
		}
	}
	if !(in.Rect.X0 < in.Rect.X1 && in.Rect.Y0 < in.Rect.Y1) {
		return badRequest("The rectangle must have X0 < X1 and Y0 < Y1.")
	}
	return nil
}

func (st *Station) page(ctx context.Context, docID string) (int, error) {
	var n int
	err := st.db.QueryRowContext(ctx, `SELECT pages FROM documents WHERE id=?`, docID).Scan(&n)
	return n, err
}

// annotations loads the annotations of a document (or one, when annID is
// set) with their full history, decrypting the note text.
func (st *Station) annotations(ctx context.Context, docID, annID string, withDeleted bool) ([]wire.Annotation, error) {
	q := `SELECT a.id, v.revision, v.page, v.x0, v.y0, v.x1, v.y1, v.kind, v.color, v.text_sealed, v.deleted, v.created_at,
		o.id, o.name, o.role, o.unit
		FROM annotations a JOIN annotation_revisions v ON v.annotation_id=a.id JOIN officers o ON o.id=v.author
		WHERE a.document_id=?`
	args := []any{docID}
	if annID != "" {
		q += ` AND a.id=?`
		args = append(args, annID)
	}
	rows, err := st.db.QueryContext(ctx, q+` ORDER BY a.created_at, a.id, v.revision`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.Annotation{}
	for rows.Next() {
		var id string
		var v wire.AnnotationRevision
		var sealed []byte
		var at int64
		if err := rows.Scan(&id, &v.Revision, &v.Page, &v.Rect.X0, &v.Rect.Y0, &v.Rect.X1, &v.Rect.Y1, &v.Kind, &v.Color, &sealed, &v.Deleted, &at,
			&v.Author.ID, &v.Author.Name, &v.Author.Role, &v.Author.Unit); err != nil {
			return nil, err
		}
		text, err := st.seal.open(purposeAnnotation, fmt.Sprintf("%s/%d", id, v.Revision), sealed)
		if err != nil {
			return nil, err
		}
		v.Text = string(text)
		v.CreatedAt = fromNanos(at)
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, wire.Annotation{ID: id, DocumentID: docID})
		}
		a := &out[len(out)-1]
		a.History = append(a.History, v)
		a.Current = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if withDeleted {
		return out, nil
	}
	kept := out[:0]
	for _, a := range out {
		if !a.Current.Deleted {
			kept = append(kept, a)
		}
	}
	return kept, nil
}

func (srv *Server) getAnnotations(w http.ResponseWriter, r *http.Request, s *session) error {
	d, _, err := srv.documentAccess(r, s, "annotation.list")
	if err != nil {
		return err
	}
	list, err := srv.st.annotations(r.Context(), d.id, "", r.URL.Query().Get("deleted") == "1")
	if err != nil {
		return err
	}
	if _, err := srv.record(r, s, audit.Record{Action: "annotation.list", Outcome: "allowed", CaseNumber: d.caseNumber, Object: d.id,
		Detail: fmt.Sprintf("annotations=%d", len(list))}); err != nil {
		return err
	}
	return ok(w, wire.AnnotationList{Annotations: list})
}

var errNoAnnotate = fail(http.StatusForbidden, wire.CodeForbidden, "Your access to this case does not include annotating. Evidence technicians and holders of an annotate grant may annotate.")

// writeRevision stores revision rev of annotation id (creating the
// annotation when create is set) in one transaction, failing with a conflict
// when the revision exists already.
func (st *Station) writeRevision(ctx context.Context, create bool, docID, id string, rev int, in *wire.AnnotationInput, deleted bool, author string) error {
	sealed, err := st.seal.seal(purposeAnnotation, fmt.Sprintf("%s/%d", id, rev), []byte(in.Text))
	if err != nil {
		return err
	}
	now := nanos(st.now())
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if create {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE document_id=?`, docID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxAnnotationsPerDocument {
			return fail(http.StatusConflict, wire.CodeTooLarge, fmt.Sprintf("This document has the most annotations allowed (%d).", MaxAnnotationsPerDocument))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO annotations(id, document_id, created_at) VALUES(?,?,?)`, id, docID, now); err != nil {
			return err
		}
	}
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision),0) FROM annotation_revisions WHERE annotation_id=?`, id).Scan(&cur); err != nil {
		return err
	}
	if rev > MaxRevisions {
		return fail(http.StatusConflict, wire.CodeTooLarge, fmt.Sprintf("This annotation has the most revisions allowed (%d).", MaxRevisions))
	}
	if cur != rev-1 {
		return fail(http.StatusConflict, wire.CodeConflict, fmt.Sprintf("The annotation changed meanwhile (now at revision %d). Reload it.", cur))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO annotation_revisions(annotation_id, revision, page, x0, y0, x1, y1, kind, color, text_sealed, deleted, author, created_at)
		VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`, id, rev, in.Page, in.Rect.X0, in.Rect.Y0, in.Rect.X1, in.Rect.Y1, in.Kind, in.Color, sealed, deleted, author, now); err != nil {
		return err
	}
	return tx.Commit()
}

func (srv *Server) postAnnotation(w http.ResponseWriter, r *http.Request, s *session) error {
	var in wire.AnnotationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkAnnotation(&in); err != nil {
		return err
	}
	d, a, err := srv.documentAccess(r, s, "annotation.create")
	if err != nil {
		return err
	}
	rec := audit.Record{Action: "annotation.create", CaseNumber: d.caseNumber, Object: d.id}
	if a.scope != wire.ScopeAnnotate {
		return srv.deny(r, s, rec, errNoAnnotate)
	}
	if pages, err := srv.st.page(r.Context(), d.id); err != nil {
		return err
	} else if in.Page > pages {
		return badRequest("The document has %d pages.", pages)
	}
	id := randomID("ANN")
	rec.Outcome = "allowed"
	rec.Object = d.id + "/" + id
	rec.Detail = fmt.Sprintf("revision=1 kind=%s page=%d", in.Kind, in.Page)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	if err := srv.st.writeRevision(r.Context(), true, d.id, id, 1, &in, false, s.officer.ID); err != nil {
		return err
	}
	return srv.replyAnnotation(w, r, d.id, id)
}

func (srv *Server) replyAnnotation(w http.ResponseWriter, r *http.Request, docID, id string) error {
	list, err := srv.st.annotations(r.Context(), docID, id, true)
	if err != nil {
		return err
	}
	if len(list) != 1 {
		return errNotFound
	}
	return ok(w, list[0])
}

// annotationTarget resolves /v1/annotations/{id} to its document, checks
// annotate access, and returns the current revision.
func (srv *Server) annotationTarget(r *http.Request, s *session, action string) (*documentRow, *wire.Annotation, audit.Record, error) {
	rec := audit.Record{Action: action}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, rec, err
	}
	rec.Object = id
	var docID string
	err = srv.st.db.QueryRowContext(r.Context(), `SELECT document_id FROM annotations WHERE id=?`, id).Scan(&docID)
	if err == sql.ErrNoRows {
		return nil, nil, rec, srv.deny(r, s, rec, errNotFound)
	} else if err != nil {
		return nil, nil, rec, err
	}
	r.SetPathValue("id", docID)
	d, a, err := srv.documentAccess(r, s, action)
	if err != nil {
		return nil, nil, rec, err
	}
	rec.CaseNumber = d.caseNumber
	rec.Object = d.id + "/" + id
	if a.scope != wire.ScopeAnnotate {
		return nil, nil, rec, srv.deny(r, s, rec, errNoAnnotate)
	}
	list, err := srv.st.annotations(r.Context(), docID, id, true)
	if err != nil {
		return nil, nil, rec, err
	}
	if len(list) != 1 {
		return nil, nil, rec, errNotFound
	}
	return d, &list[0], rec, nil
}

func (srv *Server) putAnnotation(w http.ResponseWriter, r *http.Request, s *session) error {
	var in wire.AnnotationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := checkAnnotation(&in); err != nil {
		return err
	}
	d, ann, rec, err := srv.annotationTarget(r, s, "annotation.edit")
	if err != nil {
		return err
	}
	if ann.Current.Deleted {
		return fail(http.StatusConflict, wire.CodeConflict, "This annotation was deleted.")
	}
	if in.BaseRevision != ann.Current.Revision {
		return fail(http.StatusConflict, wire.CodeConflict, fmt.Sprintf("The annotation is at revision %d, not %d. Reload it.", ann.Current.Revision, in.BaseRevision))
	}
	if pages, err := srv.st.page(r.Context(), d.id); err != nil {
		return err
	} else if in.Page > pages {
		return badRequest("The document has %d pages.", pages)
	}
	rev := ann.Current.Revision + 1
	rec.Outcome = "allowed"
	rec.Detail = fmt.Sprintf("revision=%d kind=%s page=%d", rev, in.Kind, in.Page)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	if err := srv.st.writeRevision(r.Context(), false, d.id, ann.ID, rev, &in, false, s.officer.ID); err != nil {
		return err
	}
	return srv.replyAnnotation(w, r, d.id, ann.ID)
}

func (srv *Server) deleteAnnotation(w http.ResponseWriter, r *http.Request, s *session) error {
	drain(r)
	d, ann, rec, err := srv.annotationTarget(r, s, "annotation.delete")
	if err != nil {
		return err
	}
	if ann.Current.Deleted {
		return fail(http.StatusConflict, wire.CodeConflict, "This annotation was deleted already.")
	}
	rev := ann.Current.Revision + 1
	rec.Outcome = "allowed"
	rec.Detail = fmt.Sprintf("revision=%d deleted", rev)
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	c := ann.Current
	in := wire.AnnotationInput{Page: c.Page, Rect: c.Rect, Kind: c.Kind, Color: c.Color, Text: c.Text}
	if err := srv.st.writeRevision(r.Context(), false, d.id, ann.ID, rev, &in, true, s.officer.ID); err != nil {
		return err
	}
	return srv.replyAnnotation(w, r, d.id, ann.ID)
}
