package session

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"caseviewer/audit"
	"caseviewer/wire"
)

// AuditEntry is one record of a case's audit trail with its own
// verification result.
type AuditEntry struct {
	wire.AuditRecord
	// Verified is true when the record's bytes are proven to be in the
	// signed log at that index and match what is shown.
	Verified bool
}

// AuditTrail is a case's audit trail, checked against the station's signed
// checkpoint.
type AuditTrail struct {
	CaseNumber string
	Entries    []AuditEntry
	// Verified is true when the checkpoint's signature verified with the
	// pinned station key, the checkpoint extends the last one this client
	// saw, and every entry the checkpoint covers was proven included and
	// matches what is shown. Entries newer than the checkpoint are counted
	// in Pending and stay unverified.
	Verified bool
	// Pending counts entries newer than the station's latest checkpoint
	// (the station signs one at most every few seconds): they cannot be
	// proven yet.
	Pending int
	// Failed counts entries whose proof or content did not verify: a sign
	// of tampering.
	Failed int
	// TreeSize is the size of the log at the checkpoint used.
	TreeSize int64
	// Detail says what failed, or which checkpoint everything matched.
	Detail string
}

// maxAuditVerify bounds how many records one AuditTrail call proves.
const maxAuditVerify = 2000

// auditWorkers is how many inclusion proofs are fetched at once.
const auditWorkers = 4

// AuditTrail returns the audit records of a case (only officerID's when
// set), verified against the station's signed checkpoint: the checkpoint
// note must carry the pinned station key's signature, each record's exact
// bytes must be proven included in that tree at its index, and the decoded
// record must match what is shown. A later checkpoint must also be proven
// to extend the latest one this client verified. Verification problems do
// not hide the records: they are returned with Verified false and Detail
// saying why.
func (c *Client) AuditTrail(ctx context.Context, caseNumber, officerID string) (*AuditTrail, error) {
	s, sc, enr, err := c.current()
	if err != nil {
		return nil, err
	}
	if err := checkPathID("case number", caseNumber); err != nil {
		return nil, err
	}
	var trail wire.AuditTrail
	if err := c.sessionCall(ctx, s, sc, "GET", wire.CaseAuditPath(caseNumber, officerID), nil, &trail); err != nil {
		return nil, err
	}
	out := &AuditTrail{CaseNumber: caseNumber, Entries: make([]AuditEntry, len(trail.Records))}
	for i, r := range trail.Records {
		out.Entries[i] = AuditEntry{AuditRecord: r}
	}
	var cpw wire.Checkpoint
	if err := c.sessionCall(ctx, s, sc, "GET", wire.PathAuditCheckpoint, nil, &cpw); err != nil {
		return nil, err
	}
	vk, err := audit.VerifierKey(enr.StationID, ed25519.PublicKey(enr.StationKey))
	if err != nil {
		out.Detail = "cannot derive the audit verifier key: " + err.Error()
		return out, nil
	}
	cp, err := audit.OpenCheckpoint(cpw.Note, vk)
	if err != nil {
		out.Detail = "the station's checkpoint does not verify with the pinned station key: " + err.Error()
		return out, nil
	}
	out.TreeSize = cp.Size
	// The new checkpoint must extend the last one this client verified.
	c.mu.Lock()
	last := c.lastCP
	c.mu.Unlock()
	if last != nil {
		old, err := audit.OpenCheckpoint(last, vk)
		if err == nil && old.Size <= cp.Size && old.Size > 0 {
			var cons wire.ConsistencyProof
			if err := c.sessionCall(ctx, s, sc, "GET", wire.AuditConsistencyPath(old.Size, cp.Size), nil, &cons); err != nil {
				return nil, err
			}
			if err := audit.VerifyConsistency(last, cpw.Note, vk, toHashes(cons.Proof)); err != nil {
				out.Detail = fmt.Sprintf("the log at %d records does not extend the log this laptop saw at %d records: %v", cp.Size, old.Size, err)
				return out, nil
			}
		} else if err == nil && old.Size > cp.Size {
			out.Detail = fmt.Sprintf("the log shrank from %d to %d records", old.Size, cp.Size)
			return out, nil
		}
	}
	// Prove the entries with a few requests in flight at once.
	problems := make([]error, len(out.Entries))
	var netErr error
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < auditWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				e := &out.Entries[i]
				var p wire.InclusionProof
				if err := c.sessionCall(ctx, s, sc, "GET", wire.AuditInclusionPath(e.Index, cp.Size), nil, &p); err != nil {
					mu.Lock()
					if netErr == nil {
						netErr = err
					}
					mu.Unlock()
					continue
				}
				rec, err := audit.VerifyInclusion(cpw.Note, vk, e.Leaf, e.Index, toHashes(p.Proof))
				if err == nil {
					err = sameRecord(rec, e.AuditRecord)
				}
				problems[i] = err
				e.Verified = err == nil
			}
		}()
	}
	for i := range out.Entries {
		e := &out.Entries[i]
		switch {
		case e.Index >= cp.Size:
			out.Pending++
		case i >= maxAuditVerify || e.Index < 0 || len(e.Leaf) == 0:
			problems[i] = fmt.Errorf("%w: record not provable", ErrTampered)
		default:
			mu.Lock()
			stop := netErr != nil
			mu.Unlock()
			if !stop {
				work <- i
			}
		}
	}
	close(work)
	wg.Wait()
	if netErr != nil {
		return nil, netErr
	}
	for i, err := range problems {
		if err != nil {
			out.Failed++
			if out.Detail == "" {
				out.Detail = fmt.Sprintf("record %d: %v", out.Entries[i].Index, err)
			}
		}
	}
	verified := len(out.Entries) - out.Pending - out.Failed
	switch {
	case out.Failed > 0:
		out.Detail = fmt.Sprintf("%d of %d records failed verification against the station-signed log (first: %s)", out.Failed, len(out.Entries), out.Detail)
	case out.Pending > 0:
		out.Verified = true
		out.Detail = fmt.Sprintf("%d records are proven to be in the station-signed log of %d records; %d newer ones will be covered by the station's next checkpoint", verified, cp.Size, out.Pending)
	default:
		out.Verified = true
		out.Detail = fmt.Sprintf("all %d records are proven to be in the station-signed log of %d records", verified, cp.Size)
	}
	if out.Verified {
		c.mu.Lock()
		c.lastCP = copyBytes(cpw.Note)
		c.mu.Unlock()
	}
	return out, nil
}

func toHashes(p [][]byte) []tlog.Hash {
	out := make([]tlog.Hash, 0, len(p))
	for _, h := range p {
		var x tlog.Hash
		if len(h) != len(x) {
			return nil
		}
		copy(x[:], h)
		out = append(out, x)
	}
	return out
}

// sameRecord checks that the proven record says what the station listed.
func sameRecord(r audit.Record, w wire.AuditRecord) error {
	if r.Index != w.Index || !r.Time.Equal(w.Time) || r.Action != w.Action || r.Outcome != w.Outcome ||
		r.OfficerID != w.OfficerID || r.DeviceID != w.DeviceID || r.SessionCode != w.SessionCode ||
		r.CaseNumber != w.CaseNumber || r.Object != w.Object || r.Detail != w.Detail || r.Bytes != w.Bytes ||
		r.ClientAddr != w.ClientAddr || r.StationAddr != w.StationAddr || r.StationID != w.StationID {
		return fmt.Errorf("%w: the listed record differs from the signed one", ErrTampered)
	}
	return nil
}
