package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"time"
)

// fakeBackend is an in-memory station and session for the test-driver
// tests. It follows the rules the real one enforces (lockout after five
// failures, no self-approval, access by team or grant) so the GUI's denied
// paths can be exercised.
type fakeBackend struct {
	mu        sync.Mutex
	enrolled  bool
	reachable bool
	token     string
	tokenOld  string
	officers  map[string]*fakeOfficer
	revoked   bool
	current   *fakeOfficer
	cases     []fakeCase
	requests  []Request
	annots    map[string][]Annotation // by annotation ID: revisions
	nextID    int
	touches   int
	subs      []func(LockEvent)
	wipers    []PageWiper
	failCases error
	audit     AuditTrail
	opened    []*OpenedDocument
	logouts   int
	closed    int
	// grantUntil, if set, is when the document grants it issues end;
	// openErr, if set, is what opening a document returns.
	grantUntil time.Time
	openErr    error
}

type fakeOfficer struct {
	Officer
	password string
	failures int
	locked   bool
}

type fakeCase struct {
	CaseDetail
	team []string
	pdf  []byte
}

const fakeCA = "SHA256:3f9a6c0e2b7d4e1a5c8b9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c"
const fakeKey = "ed25519:7c1e9b2a4d6f8e0c1b3a5d7f9e2c4b6a8d0f1e3c5b7a9d2f4e6c8b0a1d3f5e7c"

func newFakeBackend() *fakeBackend {
	b := &fakeBackend{enrolled: true, reachable: true, token: "TOKEN-GOOD", tokenOld: "TOKEN-OLD", annots: map[string][]Annotation{}}
	b.officers = map[string]*fakeOfficer{
		"D-4471": {Officer: Officer{ID: "D-4471", Name: "Dana Reyes", Unit: "Homicide", Role: "detective"}, password: "detective-pw"},
		"D-5020": {Officer: Officer{ID: "D-5020", Name: "Sam Ortiz", Unit: "Homicide", Role: "detective"}, password: "ortiz-pw1"},
		"S-1001": {Officer: Officer{ID: "S-1001", Name: "Morgan Blake", Unit: "Homicide", Role: "supervisor", Supervisor: true}, password: "supervisor-pw"},
		"T-3300": {Officer: Officer{ID: "T-3300", Name: "Lee Park", Unit: "Forensics", Role: "technician", Annotator: true}, password: "technician-pw"},
	}
	t0 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	b.cases = []fakeCase{
		{CaseDetail: CaseDetail{CaseSummary: CaseSummary{ID: "c1", Number: "2026-0117", Title: "Harbor Street homicide"},
			Documents: []DocumentInfo{
				{ID: "d1", Title: "Incident report", Type: "Report", Pages: 3, AddedBy: "D-4471", AddedAt: t0},
				{ID: "d2", Title: "Witness statement", Type: "Statement", Pages: 2, AddedBy: "D-5020", AddedAt: t0.Add(time.Hour)},
			}}, team: []string{"D-4471", "S-1001", "T-3300"}, pdf: []byte("%PDF-fake c1")},
		{CaseDetail: CaseDetail{CaseSummary: CaseSummary{ID: "c2", Number: "2026-0244", Title: "Warehouse burglary"},
			Documents: []DocumentInfo{{ID: "d3", Title: "Lab results", Type: "Lab", Pages: 4, AddedBy: "T-3300", AddedAt: t0}}},
			team: []string{"D-5020", "S-1001"}, pdf: []byte("%PDF-fake c2")},
	}
	b.audit = AuditTrail{Verified: true, Records: []AuditRecord{
		{Time: t0, Officer: "D-4471", Action: "open", Object: "Incident report", Outcome: "allowed", SessionCode: "K7Q2", Verified: true},
		{Time: t0.Add(time.Minute), Officer: "D-5020", Action: "open", Object: "Incident report", Outcome: "denied", Verified: true},
	}}
	return b
}

func (b *fakeBackend) Enrolled() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.enrolled }

func (b *fakeBackend) Discover(ctx context.Context, addr string) (Fingerprints, error) {
	if !b.reachable || addr != "station.test:8443" {
		return Fingerprints{}, fmt.Errorf("dial %s: %w", addr, ErrUnreachable)
	}
	return Fingerprints{Station: addr, CA: fakeCA, StationKey: fakeKey}, nil
}

func (b *fakeBackend) Enroll(ctx context.Context, addr, token string) error {
	switch token {
	case b.token:
		b.mu.Lock()
		b.enrolled = true
		b.mu.Unlock()
		return nil
	case b.tokenOld:
		return fmt.Errorf("enroll: %w", ErrTokenExpired)
	}
	return fmt.Errorf("enroll: %w", ErrWrongToken)
}

func (b *fakeBackend) Login(ctx context.Context, id string, pw []byte) (Officer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.reachable {
		return Officer{}, ErrUnreachable
	}
	if b.revoked {
		return Officer{}, fmt.Errorf("login: %w", ErrDeviceRevoked)
	}
	o, ok := b.officers[id]
	if !ok {
		return Officer{}, &WrongPasswordError{}
	}
	if o.locked {
		return Officer{}, fmt.Errorf("login: %w", ErrAccountLocked)
	}
	if string(pw) != o.password {
		o.failures++
		if o.failures >= 5 {
			o.locked = true
			return Officer{}, fmt.Errorf("login: %w", ErrAccountLocked)
		}
		return Officer{}, &WrongPasswordError{AttemptsLeft: 5 - o.failures}
	}
	o.failures = 0
	b.current = o
	return o.Officer, nil
}

func (b *fakeBackend) Logout(ctx context.Context) error {
	b.mu.Lock()
	b.current = nil
	b.logouts++
	b.mu.Unlock()
	b.fire(LockEvent{Reason: LockLogout, Message: "You logged out: case data was wiped."})
	return nil
}

// fire wipes like the session does: page wipers first, then subscribers.
func (b *fakeBackend) fire(ev LockEvent) {
	b.mu.Lock()
	b.current = nil
	for _, o := range b.opened {
		clear(o.PDF)
	}
	wipers, subs := b.wipers, b.subs
	b.mu.Unlock()
	for _, w := range wipers {
		w.Wipe()
	}
	for _, s := range subs {
		s(ev)
	}
}

func (b *fakeBackend) Touch()                        { b.mu.Lock(); b.touches++; b.mu.Unlock() }
func (b *fakeBackend) Subscribe(fn func(LockEvent))  { b.subs = append(b.subs, fn) }
func (b *fakeBackend) RegisterPageWiper(w PageWiper) { b.wipers = append(b.wipers, w) }

func (b *fakeBackend) who() (*fakeOfficer, error) {
	if b.current == nil {
		return nil, ErrSessionEnded
	}
	return b.current, nil
}

func (b *fakeBackend) summary(o *fakeOfficer, c *fakeCase) CaseSummary {
	s := c.CaseSummary
	for _, m := range c.team {
		if m == o.ID {
			s.Access = AccessTeam
			s.CanAnnotate = o.Annotator
			return s
		}
	}
	for _, r := range b.requests {
		if r.CaseID == c.ID && r.Requester == o.ID && r.State == StateApproved {
			s.Access, s.GrantExpires, s.Scope = AccessGranted, r.Expires, r.Scope
			s.CanAnnotate = r.Scope == ScopeAnnotate
			return s
		}
	}
	return s
}

func (b *fakeBackend) Cases(ctx context.Context) ([]CaseSummary, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return nil, err
	}
	if b.failCases != nil {
		return nil, b.failCases
	}
	var out []CaseSummary
	for i := range b.cases {
		if s := b.summary(o, &b.cases[i]); s.Access != AccessNone {
			out = append(out, s)
		}
	}
	return out, nil
}

func (b *fakeBackend) LookupCase(ctx context.Context, number string) (CaseSummary, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return CaseSummary{}, err
	}
	for i := range b.cases {
		if b.cases[i].Number == number {
			return b.summary(o, &b.cases[i]), nil
		}
	}
	return CaseSummary{}, fmt.Errorf("case %s: %w", number, ErrNotFound)
}

func (b *fakeBackend) caseFor(o *fakeOfficer, id string) (*fakeCase, CaseSummary, error) {
	for i := range b.cases {
		if b.cases[i].ID == id {
			s := b.summary(o, &b.cases[i])
			if s.Access == AccessNone {
				return nil, s, ErrAccessDenied
			}
			return &b.cases[i], s, nil
		}
	}
	return nil, CaseSummary{}, ErrNotFound
}

func (b *fakeBackend) Case(ctx context.Context, id string) (CaseDetail, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return CaseDetail{}, err
	}
	c, s, err := b.caseFor(o, id)
	if err != nil {
		return CaseDetail{}, err
	}
	d := c.CaseDetail
	d.CaseSummary = s
	for _, revs := range b.annots {
		if last := revs[len(revs)-1]; !last.Deleted {
			d.AnnotationCount++
		}
	}
	return d, nil
}

func (b *fakeBackend) OpenDocument(ctx context.Context, caseID, docID string) (*OpenedDocument, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return nil, err
	}
	if b.openErr != nil {
		return nil, b.openErr
	}
	c, _, err := b.caseFor(o, caseID)
	if err != nil {
		return nil, err
	}
	until := b.grantUntil
	if until.IsZero() {
		until = time.Now().Add(time.Hour)
	}
	for _, d := range c.Documents {
		if d.ID == docID {
			od := &OpenedDocument{PDF: append([]byte(nil), c.pdf...), DocumentID: d.ID, Title: d.Title, CaseNumber: c.Number, SessionCode: "K7Q2", GrantExpires: until}
			b.opened = append(b.opened, od)
			return od, nil
		}
	}
	return nil, ErrNotFound
}

func (b *fakeBackend) CloseDocument(d *OpenedDocument) {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(d.PDF)
	b.closed++
}

func (b *fakeBackend) RequestAccess(ctx context.Context, caseID, reason string, d time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return err
	}
	var num string
	for _, c := range b.cases {
		if c.ID == caseID {
			num = c.Number
		}
	}
	b.nextID++
	b.requests = append(b.requests, Request{ID: fmt.Sprintf("r%d", b.nextID), CaseID: caseID, CaseNumber: num,
		Requester: o.ID, RequesterN: o.Name, Reason: reason, Duration: d, State: StatePending, Created: time.Now()})
	return nil
}

func (b *fakeBackend) MyRequests(ctx context.Context) ([]Request, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, r := range b.requests {
		if r.Requester == o.ID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (b *fakeBackend) PendingRequests(ctx context.Context) ([]Request, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return nil, err
	}
	if !o.Supervisor {
		return nil, ErrAccessDenied
	}
	var out []Request
	for _, r := range b.requests {
		if r.State == StatePending {
			out = append(out, r)
		}
	}
	return out, nil
}

func (b *fakeBackend) decide(id string, f func(o *fakeOfficer, r *Request) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return err
	}
	if !o.Supervisor {
		return ErrAccessDenied
	}
	for i := range b.requests {
		if b.requests[i].ID == id {
			if b.requests[i].Requester == o.ID {
				return ErrSelfApproval
			}
			return f(o, &b.requests[i])
		}
	}
	return ErrNotFound
}

func (b *fakeBackend) Approve(ctx context.Context, id string, d time.Duration, scope Scope) error {
	return b.decide(id, func(o *fakeOfficer, r *Request) error {
		r.State, r.DecidedBy, r.Scope, r.Expires, r.Duration = StateApproved, o.ID, scope, time.Now().Add(d), d
		return nil
	})
}

func (b *fakeBackend) Deny(ctx context.Context, id, reason string) error {
	return b.decide(id, func(o *fakeOfficer, r *Request) error {
		r.State, r.DecidedBy, r.DecisionReason = StateDenied, o.ID, reason
		return nil
	})
}

func (b *fakeBackend) Annotations(ctx context.Context, caseID, docID string) ([]Annotation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.who(); err != nil {
		return nil, err
	}
	var out []Annotation
	for i := 1; i <= b.nextID; i++ {
		revs := b.annots[fmt.Sprintf("a%d", i)]
		if len(revs) > 0 && revs[0].DocumentID == docID && !revs[len(revs)-1].Deleted {
			out = append(out, revs[len(revs)-1])
		}
	}
	return out, nil
}

func (b *fakeBackend) mayAnnotate() (*fakeOfficer, error) {
	o, err := b.who()
	if err != nil {
		return nil, err
	}
	if !o.Annotator {
		return nil, ErrAccessDenied
	}
	return o, nil
}

func (b *fakeBackend) AddAnnotation(ctx context.Context, caseID, docID string, page int, r Rect, note string) (Annotation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.mayAnnotate()
	if err != nil {
		return Annotation{}, err
	}
	b.nextID++
	a := Annotation{ID: fmt.Sprintf("a%d", b.nextID), DocumentID: docID, Page: page, Rect: r, Note: note, Author: o.ID, Time: time.Now(), Revision: 1}
	b.annots[a.ID] = []Annotation{a}
	return a, nil
}

func (b *fakeBackend) EditAnnotation(ctx context.Context, id, note string) (Annotation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.mayAnnotate()
	if err != nil {
		return Annotation{}, err
	}
	revs := b.annots[id]
	if len(revs) == 0 {
		return Annotation{}, ErrNotFound
	}
	a := revs[len(revs)-1]
	a.Note, a.Author, a.Time, a.Revision = note, o.ID, time.Now(), a.Revision+1
	b.annots[id] = append(revs, a)
	return a, nil
}

func (b *fakeBackend) DeleteAnnotation(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.mayAnnotate()
	if err != nil {
		return err
	}
	revs := b.annots[id]
	if len(revs) == 0 {
		return ErrNotFound
	}
	a := revs[len(revs)-1]
	a.Deleted, a.Author, a.Time, a.Revision = true, o.ID, time.Now(), a.Revision+1
	b.annots[id] = append(revs, a)
	return nil
}

func (b *fakeBackend) AnnotationHistory(ctx context.Context, id string) ([]Annotation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.who(); err != nil {
		return nil, err
	}
	return append([]Annotation(nil), b.annots[id]...), nil
}

func (b *fakeBackend) AuditTrail(ctx context.Context, caseID, officer string) (AuditTrail, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.who()
	if err != nil {
		return AuditTrail{}, err
	}
	if !o.Supervisor {
		return AuditTrail{}, ErrAccessDenied
	}
	t := b.audit
	t.Records = nil
	for _, r := range b.audit.Records {
		if officer == "" || r.Officer == officer {
			t.Records = append(t.Records, r)
		}
	}
	return t, nil
}

// fakeRenderer renders white pages with a red "watermark" band across the
// middle, page count fixed, and records what it was asked.
type fakeRenderer struct {
	mu       sync.Mutex
	pages    int
	ready    error
	renders  []int
	wm       Watermark
	wipes    int
	docs     []*fakeDoc
	findHits []Hit
}

var fakeWatermark = color.RGBA{200, 30, 30, 255}

func (r *fakeRenderer) Ready(ctx context.Context) error { return r.ready }

func (r *fakeRenderer) Open(ctx context.Context, pdf []byte, wm Watermark) (PageSource, error) {
	if len(pdf) < 4 || string(pdf[:4]) != "%PDF" {
		return nil, errors.New("not a PDF")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wm = wm
	d := &fakeDoc{r: r}
	r.docs = append(r.docs, d)
	return d, nil
}

func (r *fakeRenderer) Wipe() { r.mu.Lock(); r.wipes++; r.mu.Unlock() }

func (r *fakeRenderer) PageToPixel(rc Rect, h, zoom float64) image.Rectangle {
	return image.Rect(int(rc.X0*zoom), int((h-rc.Y1)*zoom), int(rc.X1*zoom), int((h-rc.Y0)*zoom))
}

func (r *fakeRenderer) PixelToPage(p image.Rectangle, h, zoom float64) Rect {
	return Rect{X0: float64(p.Min.X) / zoom, Y0: h - float64(p.Max.Y)/zoom, X1: float64(p.Max.X) / zoom, Y1: h - float64(p.Min.Y)/zoom}
}

var highlightColors = map[HighlightKind]color.RGBA{
	HighlightAnnotation: {250, 220, 0, 255},
	HighlightSelected:   {0, 160, 250, 255},
	HighlightFind:       {0, 200, 0, 255},
}

func (r *fakeRenderer) DrawHighlights(img *image.RGBA, rects []Rect, h, zoom float64, k HighlightKind) {
	for _, rc := range rects {
		draw.Draw(img, r.PageToPixel(rc, h, zoom), image.NewUniform(highlightColors[k]), image.Point{}, draw.Src)
	}
}

type fakeDoc struct {
	r      *fakeRenderer
	closed bool
}

func (d *fakeDoc) PageCount() int { return d.r.pages }

func (d *fakeDoc) PageSize(i int) (float64, float64, error) {
	if i < 0 || i >= d.r.pages {
		return 0, 0, errors.New("no such page")
	}
	return 612, 792, nil
}

func (d *fakeDoc) Render(ctx context.Context, page int, zoom float64) (*image.RGBA, error) {
	if d.closed {
		return nil, errors.New("closed")
	}
	d.r.mu.Lock()
	d.r.renders = append(d.r.renders, page)
	d.r.mu.Unlock()
	w, h := int(612*zoom), int(792*zoom)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, h/2-5, w, h/2+5), image.NewUniform(fakeWatermark), image.Point{}, draw.Src)
	return img, nil
}

func (d *fakeDoc) Prefetch(int, float64) {}

func (d *fakeDoc) Find(ctx context.Context, q string) ([]Hit, error) {
	if q == "knife" {
		return d.r.findHits, nil
	}
	return nil, nil
}

func (d *fakeDoc) Close() error { d.closed = true; return nil }
