package session

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"caseviewer/wire"
)

// Scope values for Approve.
const (
	ScopeView     = wire.ScopeView
	ScopeAnnotate = wire.ScopeAnnotate
)

// Session returns the station's view of the current session (and counts as
// activity there).
func (c *Client) Session(ctx context.Context) (*wire.SessionInfo, error) {
	var out wire.SessionInfo
	if err := c.call(ctx, "GET", wire.PathSession, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cases lists the officer's cases: team cases and those granted through an
// approved, unexpired request (with the grant's expiry).
func (c *Client) Cases(ctx context.Context) ([]wire.CaseSummary, error) {
	var out wire.CaseList
	if err := c.call(ctx, "GET", wire.PathCases, nil, &out); err != nil {
		return nil, err
	}
	return out.Cases, nil
}

// LookupCase finds a case by number, also one the officer cannot open (so
// that access can be requested).
func (c *Client) LookupCase(ctx context.Context, number string) (*wire.CaseLookup, error) {
	if err := checkPathID("case number", number); err != nil {
		return nil, err
	}
	var out wire.CaseLookup
	if err := c.call(ctx, "GET", wire.CaseLookupPath(number), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Case returns a case with its documents and team.
func (c *Client) Case(ctx context.Context, number string) (*wire.CaseDetail, error) {
	if err := checkPathID("case number", number); err != nil {
		return nil, err
	}
	var out wire.CaseDetail
	if err := c.call(ctx, "GET", wire.CasePath(number), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RequestAccess asks for access to a case for d with a reason.
func (c *Client) RequestAccess(ctx context.Context, caseNumber, reason string, d time.Duration) (*wire.AccessRequest, error) {
	if err := checkPathID("case number", caseNumber); err != nil {
		return nil, err
	}
	var out wire.AccessRequest
	in := wire.AccessRequestCreate{CaseNumber: caseNumber, Reason: reason, DurationSeconds: int64(d / time.Second)}
	if err := c.call(ctx, "POST", wire.PathRequests, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MyRequests lists the officer's own access requests.
func (c *Client) MyRequests(ctx context.Context) ([]wire.AccessRequest, error) {
	var out wire.AccessRequestList
	if err := c.call(ctx, "GET", wire.PathRequests, nil, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// PendingRequests lists the pending requests of the supervisor's unit.
func (c *Client) PendingRequests(ctx context.Context) ([]wire.AccessRequest, error) {
	var out wire.AccessRequestList
	if err := c.call(ctx, "GET", wire.PathRequestsPending, nil, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// Approve approves a request for d with scope (ScopeView or ScopeAnnotate).
func (c *Client) Approve(ctx context.Context, requestID string, d time.Duration, scope string) (*wire.AccessRequest, error) {
	if err := checkPathID("request ID", requestID); err != nil {
		return nil, err
	}
	var out wire.AccessRequest
	in := wire.AccessRequestApprove{DurationSeconds: int64(d / time.Second), Scope: scope}
	if err := c.call(ctx, "POST", wire.RequestApprovePath(requestID), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Deny denies a request with a reason.
func (c *Client) Deny(ctx context.Context, requestID, reason string) (*wire.AccessRequest, error) {
	if err := checkPathID("request ID", requestID); err != nil {
		return nil, err
	}
	var out wire.AccessRequest
	if err := c.call(ctx, "POST", wire.RequestDenyPath(requestID), wire.AccessRequestDecision{Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revoke revokes an approved request with a reason.
func (c *Client) Revoke(ctx context.Context, requestID, reason string) (*wire.AccessRequest, error) {
	if err := checkPathID("request ID", requestID); err != nil {
		return nil, err
	}
	var out wire.AccessRequest
	if err := c.call(ctx, "POST", wire.RequestRevokePath(requestID), wire.AccessRequestDecision{Reason: reason}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Annotations lists a document's annotations (with each one's history);
// withDeleted also lists deleted ones.
func (c *Client) Annotations(ctx context.Context, docID string, withDeleted bool) ([]wire.Annotation, error) {
	if err := checkPathID("document ID", docID); err != nil {
		return nil, err
	}
	p := wire.AnnotationsPath(docID)
	if withDeleted {
		p += "?deleted=1"
	}
	var out wire.AnnotationList
	if err := c.call(ctx, "GET", p, nil, &out); err != nil {
		return nil, err
	}
	return out.Annotations, nil
}

// AddAnnotation adds an annotation to a document.
func (c *Client) AddAnnotation(ctx context.Context, docID string, in wire.AnnotationInput) (*wire.Annotation, error) {
	if err := checkPathID("document ID", docID); err != nil {
		return nil, err
	}
	var out wire.Annotation
	if err := c.call(ctx, "POST", wire.AnnotationsPath(docID), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EditAnnotation writes a new revision of an annotation; in.BaseRevision
// must be the revision the edit starts from (ErrConflict otherwise).
func (c *Client) EditAnnotation(ctx context.Context, annotationID string, in wire.AnnotationInput) (*wire.Annotation, error) {
	if err := checkPathID("annotation ID", annotationID); err != nil {
		return nil, err
	}
	var out wire.Annotation
	if err := c.call(ctx, "PUT", wire.AnnotationPath(annotationID), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAnnotation deletes an annotation (a new, deleted revision).
func (c *Client) DeleteAnnotation(ctx context.Context, annotationID string) (*wire.Annotation, error) {
	if err := checkPathID("annotation ID", annotationID); err != nil {
		return nil, err
	}
	var out wire.Annotation
	if err := c.call(ctx, "DELETE", wire.AnnotationPath(annotationID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AnnotationHistory returns every revision of an annotation of a document,
// oldest first.
func (c *Client) AnnotationHistory(ctx context.Context, docID, annotationID string) ([]wire.AnnotationRevision, error) {
	list, err := c.Annotations(ctx, docID, true)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if a.ID == annotationID {
			return a.History, nil
		}
	}
	return nil, fmt.Errorf("%w: annotation %s", ErrNotFound, annotationID)
}

// checkPathID refuses IDs that cannot be valid before they reach a URL.
func checkPathID(what, id string) error {
	if id == "" || len(id) > 128 || url.PathEscape(id) != id {
		return fmt.Errorf("%w: bad %s %q", ErrBadRequest, what, id)
	}
	return nil
}
