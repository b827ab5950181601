package station

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"caseviewer/audit"
	"caseviewer/wire"
)

// getCaseAudit serves a case's audit trail to supervisors of its unit.
// Reading the trail is itself audited (CJIS AU-2), before it is served.
func (srv *Server) getCaseAudit(w http.ResponseWriter, r *http.Request, s *session) error {
	number, err := pathID(r, "number")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	officer := q.Get("officer")
	if officer != "" && checkID("officer", officer) != nil {
		return badRequest("The officer ID is malformed.")
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return badRequest("The limit must be between 1 and 10000.")
		}
		limit = n
	}
	rec := audit.Record{Action: "audit.read", CaseNumber: number, Object: number, Detail: "officer=" + officer}
	c, err := srv.st.caseRow(r.Context(), number)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return srv.deny(r, s, rec, errNotFound)
		}
		return err
	}
	if s.officer.Role != wire.RoleSupervisor || s.officer.Unit != c.Unit {
		return srv.deny(r, s, rec, fail(http.StatusForbidden, wire.CodeForbidden, "Only supervisors of the case's unit may read its audit trail."))
	}
	rec.Outcome = "allowed"
	if _, err := srv.record(r, s, rec); err != nil {
		return err
	}
	recs, err := srv.st.log.Query(r.Context(), audit.Filter{CaseNumber: number, OfficerID: officer, Limit: limit})
	if err != nil {
		return err
	}
	out := wire.AuditTrail{CaseNumber: number, Records: make([]wire.AuditRecord, 0, len(recs))}
	for _, x := range recs {
		out.Records = append(out.Records, wireRecord(x))
	}
	return ok(w, out)
}

func wireRecord(x audit.Record) wire.AuditRecord {
	return wire.AuditRecord{Index: x.Index, Time: x.Time, Action: x.Action, Outcome: x.Outcome, OfficerID: x.OfficerID,
		DeviceID: x.DeviceID, SessionCode: x.SessionCode, ClientAddr: x.ClientAddr, StationAddr: x.StationAddr,
		StationID: x.StationID, CaseNumber: x.CaseNumber, Object: x.Object, Detail: x.Detail, Bytes: x.Bytes,
		SessionDuration: int64(x.SessionDuration.Seconds()), Leaf: x.Encode()}
}

func (srv *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, s *session) error {
	// Serve the latest checkpoint while it is fresh; sign a new one at most
	// every few seconds, however often clients ask.
	cp, err := srv.st.log.Latest(r.Context())
	if errors.Is(err, audit.ErrNoCheckpoint) || (err == nil && srv.st.now().Sub(cp.Time) >= checkpointFreshness) {
		cp, err = srv.st.log.Checkpoint(r.Context())
	}
	if err != nil {
		return err
	}
	return ok(w, wire.Checkpoint{Note: cp.Text, TreeSize: cp.Size, RootHash: cp.Hash[:], VerifierKey: srv.st.log.VerifierKey()})
}

// checkpointFreshness is how old a served checkpoint may be before a request
// for one signs a new one.
const checkpointFreshness = 5 * time.Second

func queryInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("Give %s as a non-negative integer.", name)
	}
	return n, nil
}

func hashes(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = append([]byte(nil), p[i][:]...)
	}
	return out
}

func (srv *Server) getInclusion(w http.ResponseWriter, r *http.Request, s *session) error {
	index, err := queryInt(r, "index")
	if err != nil {
		return err
	}
	size, err := queryInt(r, "size")
	if err != nil {
		return err
	}
	if index >= size {
		return badRequest("The index must be below the tree size.")
	}
	proof, err := srv.st.log.ProveInclusion(r.Context(), index, size)
	if errors.Is(err, audit.ErrOutOfRange) {
		return badRequest("The log has no record %d in a tree of %d.", index, size)
	} else if err != nil {
		return err
	}
	rec, err := srv.st.log.Get(r.Context(), index)
	if err != nil {
		return err
	}
	lh := tlog.RecordHash(rec.Encode())
	return ok(w, wire.InclusionProof{Index: index, TreeSize: size, Proof: hashes(proof), LeafHash: lh[:]})
}

func (srv *Server) getConsistency(w http.ResponseWriter, r *http.Request, s *session) error {
	old, err := queryInt(r, "old")
	if err != nil {
		return err
	}
	size, err := queryInt(r, "size")
	if err != nil {
		return err
	}
	if old > size {
		return badRequest("The old size must not exceed the new size.")
	}
	proof, err := srv.st.log.ProveConsistency(r.Context(), old, size)
	if errors.Is(err, audit.ErrOutOfRange) {
		return badRequest("The log is not %d records long.", size)
	} else if err != nil {
		return fmt.Errorf("consistency proof: %w", err)
	}
	return ok(w, wire.ConsistencyProof{OldSize: old, NewSize: size, Proof: hashes(proof)})
}
