package session

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"caseviewer/keystore"
	"caseviewer/wire"
)

// LockReason says why the session locked and wiped.
type LockReason int

// Lock reasons. Every one of them ends in the same wipe.
const (
	// Logout: the officer logged out.
	Logout LockReason = iota + 1
	// Idle: no activity for the idle timeout.
	Idle
	// SessionExpired: the session reached its absolute limit, or the
	// station ended it.
	SessionExpired
	// DeviceRevoked: the station says this laptop is revoked.
	DeviceRevoked
	// LeftNetwork: the network guard lost the station beacon.
	LeftNetwork
	// Shutdown: the app is closing.
	Shutdown
)

// String returns the reason's name.
func (r LockReason) String() string {
	switch r {
	case Logout:
		return "logout"
	case Idle:
		return "idle"
	case SessionExpired:
		return "session expired"
	case DeviceRevoked:
		return "device revoked"
	case LeftNetwork:
		return "left network"
	case Shutdown:
		return "shutdown"
	}
	return fmt.Sprintf("LockReason(%d)", int(r))
}

// trigger returns the wire name of the reason for the wipe receipt.
func (r LockReason) trigger() string {
	switch r {
	case Logout:
		return wire.WipeLogout
	case Idle:
		return wire.WipeIdle
	case SessionExpired:
		return wire.WipeExpired
	case DeviceRevoked:
		return wire.WipeRevoked
	case LeftNetwork:
		return wire.WipeNetwork
	case Shutdown:
		return wire.WipeShutdown
	}
	return wire.WipeManual
}

// Message returns the lock screen's sentence for the reason.
func (r LockReason) Message() string {
	switch r {
	case Logout:
		return "You logged out: case data was wiped from this laptop."
	case Idle:
		return "Locked after a period without activity: case data was wiped. Log in again to continue."
	case SessionExpired:
		return "The station session ended: case data was wiped. Log in again to continue."
	case DeviceRevoked:
		return "This laptop was revoked by the station administrator: case data was wiped. See the administrator."
	case LeftNetwork:
		return "Left the station network: case data was wiped."
	case Shutdown:
		return "Case Viewer closed: case data was wiped."
	}
	return "Case data was wiped."
}

// LockEvent tells subscribers (the GUI) that the session locked and what
// the wipe did.
type LockEvent struct {
	// Reason is why the session locked.
	Reason LockReason
	// Message is a sentence for the lock screen.
	Message string
	// Failures lists the parts of the wipe that failed (empty when it all
	// worked). The other parts were still done.
	Failures []string
}

// Wipe items named in receipts and failures.
const (
	itemDocuments = "decrypted_documents"
	itemPages     = "page_cache"
	itemKeyring   = "keyring_secrets"
	itemCache     = "ciphertext_cache"
	itemSession   = "session_token"
)

// Wipe wipes everything the session holds and tells subscribers, whatever
// the state: with no session it still deletes session secrets from the
// keyring and empties the cache (wiping twice is harmless). It returns the
// event it sent.
func (c *Client) Wipe(reason LockReason) LockEvent {
	return c.wipe(nil, reason)
}

// wipeSession wipes if session gen is still active.
func (c *Client) wipeSession(gen uint64, reason LockReason) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil || s.gen != gen {
		return
	}
	c.wipe(&gen, reason)
}

// wipe is the one wipe. If gen is set, it wipes only if that session is
// still active (another trigger may have wiped first).
func (c *Client) wipe(gen *uint64, reason LockReason) LockEvent {
	c.wipeMu.Lock()
	c.mu.Lock()
	s := c.sess
	if gen != nil && (s == nil || s.gen != *gen) {
		c.mu.Unlock()
		c.wipeMu.Unlock()
		return LockEvent{}
	}
	c.sess = nil
	wipers := append([]PageWiper(nil), c.wipers...)
	enr, sc := c.enr, c.sc
	c.mu.Unlock()

	var failures, items []string
	fail := func(part string, err error) {
		failures = append(failures, fmt.Sprintf("%s: %v", part, err))
	}

	// 1. Stop everything that could start new work.
	if s != nil {
		s.cancel()
		s.mu.Lock()
		g := s.guard
		docs := s.docs
		s.docs = nil
		s.mu.Unlock()
		if g != nil {
			g.Stop()
		}
		// 2. Decrypted bytes.
		for _, d := range docs {
			d.wipe()
		}
		items = append(items, itemDocuments)
		keystore.Zero(s.cacheKey)
		keystore.UnlockMemory(s.cacheKey)
	}
	// 3-5. Rendered pages, the keyring and the ciphertext cache are wiped
	// at the same time: zeroing is memory-bound, the keyring waits on
	// D-Bus and deleting files waits on the file system, so together they
	// take about as long as the slowest alone.
	var pagesErr, keyErr, cacheErr []error
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for _, w := range wipers {
			if err := safeWipe(w); err != nil {
				pagesErr = append(pagesErr, err)
			}
		}
	}()
	go func() {
		// The keyring: session token, cache key and anything else but the
		// device identity.
		defer wg.Done()
		kctx, cancel := context.WithTimeout(context.Background(), wipeKeyringTimeout)
		defer cancel()
		if err := c.keys.DeleteAllExceptIdentity(kctx); err != nil {
			keyErr = append(keyErr, err)
		}
	}()
	go func() {
		// The cache files (already unreadable without the key).
		defer wg.Done()
		if err := clearCache(c.opts.CacheDir); err != nil {
			cacheErr = append(cacheErr, err)
		}
	}()
	wg.Wait()
	for _, err := range pagesErr {
		fail("rendered pages", err)
	}
	if len(pagesErr) == 0 {
		items = append(items, itemPages)
	}
	for _, err := range keyErr {
		fail("keyring", err)
	}
	if len(keyErr) == 0 {
		items = append(items, itemKeyring, itemSession)
	}
	for _, err := range cacheErr {
		fail("ciphertext cache", err)
	}
	if len(cacheErr) == 0 {
		items = append(items, itemCache)
	}
	// 6. The receipt: signed now, queued on disk, sent in the background.
	var token string
	if s != nil {
		token = s.token
	}
	if enr != nil {
		if err := c.queueReceipt(s, enr, reason, items); err != nil {
			fail("wipe receipt", err)
		}
	}
	if s != nil {
		s.identity.Zero()
	}
	c.wipeMu.Unlock()

	if sc != nil {
		c.bg.Add(1)
		go func() {
			defer c.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
			defer cancel()
			if token != "" && reason != DeviceRevoked {
				sc.do(ctx, "POST", wire.PathLogout, token, nil, nil)
			}
			c.FlushWipeReceipts(ctx)
		}()
	}

	ev := LockEvent{Reason: reason, Message: reason.Message(), Failures: failures}
	if len(failures) > 0 {
		ev.Message += " Some parts of the wipe failed: tell the station administrator."
	}
	c.mu.Lock()
	subs := make([]func(LockEvent), 0, len(c.subs))
	for _, f := range c.subs {
		subs = append(subs, f)
	}
	c.mu.Unlock()
	for _, f := range subs {
		f(ev)
	}
	return ev
}

// safeWipe calls w.Wipe, turning a panic into an error so that one broken
// wiper does not stop the rest of the wipe.
func safeWipe(w PageWiper) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	w.Wipe()
	return nil
}

// Receipt queue: signed wipe receipts waiting to reach the station, kept in
// the state folder (they hold no secrets and no case data).
const (
	receiptFile      = "wipe-receipts.json"
	maxQueued        = 32
	maxReceiptQueue  = maxQueued * (wire.MaxBodyBytes / 8)
	receiptNonceSize = 16
)

type receiptQueue struct {
	Receipts []wire.SignedWipeReceipt `json:"receipts"`
}

func (c *Client) readQueue() (*receiptQueue, error) {
	f, err := os.Open(filepath.Join(c.opts.StateDir, receiptFile))
	if errors.Is(err, os.ErrNotExist) {
		return &receiptQueue{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var q receiptQueue
	if err := wire.Decode(f, &q, maxReceiptQueue); err != nil {
		return &receiptQueue{}, nil // a damaged queue is dropped, not fatal
	}
	return &q, nil
}

func (c *Client) writeQueue(q *receiptQueue) error {
	if len(q.Receipts) == 0 {
		err := os.Remove(filepath.Join(c.opts.StateDir, receiptFile))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return writeFileAtomic(c.opts.StateDir, receiptFile, b)
}

// signWipeReceipt signs wipe receipts; a test replaces it to check that
// the copy of the device key it is given is zeroed afterwards.
var signWipeReceipt = wire.SignWipeReceipt

// queueReceipt signs a receipt for this wipe with the device key and adds
// it to the queue.
func (c *Client) queueReceipt(s *live, enr *Enrollment, reason LockReason, items []string) error {
	id := (*keystore.DeviceIdentity)(nil)
	rc := wire.WipeReceipt{StationID: enr.StationID, DeviceID: enr.DeviceID, Trigger: reason.trigger(),
		WipedAt: c.opts.Now().UTC(), Items: items, Nonce: make([]byte, receiptNonceSize)}
	rand.Read(rc.Nonce)
	if s != nil {
		id = s.identity
		rc.OfficerID, rc.SessionCode = s.officer.ID, s.code
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), wipeKeyringTimeout)
		loaded, err := c.keys.LoadIdentity(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("device key: %w", err)
		}
		defer loaded.Zero()
		id = loaded
	}
	if rc.Items == nil {
		rc.Items = []string{}
	}
	k := id.Ed25519() // a copy of the private key: zeroed when signed
	if k == nil {
		return errors.New("device key: the identity was zeroed")
	}
	signed, err := signWipeReceipt(rc, k)
	keystore.Zero(k)
	if err != nil {
		return err
	}
	c.queueMu.Lock()
	defer c.queueMu.Unlock()
	q, err := c.readQueue()
	if err != nil {
		return err
	}
	q.Receipts = append(q.Receipts, *signed)
	if len(q.Receipts) > maxQueued {
		q.Receipts = q.Receipts[len(q.Receipts)-maxQueued:]
	}
	return c.writeQueue(q)
}

// PendingWipeReceipts returns how many wipe receipts wait to be sent.
func (c *Client) PendingWipeReceipts() int {
	c.queueMu.Lock()
	defer c.queueMu.Unlock()
	q, err := c.readQueue()
	if err != nil {
		return 0
	}
	return len(q.Receipts)
}

// FlushWipeReceipts sends the queued wipe receipts to the station and drops
// those it recorded (or refused for good); the rest stay queued for the next
// try (the next login or wipe).
func (c *Client) FlushWipeReceipts(ctx context.Context) error {
	c.mu.Lock()
	sc := c.sc
	c.mu.Unlock()
	if sc == nil {
		return ErrNotEnrolled
	}
	c.queueMu.Lock()
	defer c.queueMu.Unlock()
	q, err := c.readQueue()
	if err != nil || len(q.Receipts) == 0 {
		return err
	}
	var keep []wire.SignedWipeReceipt
	var firstErr error
	for i, r := range q.Receipts {
		var ack wire.WipeAck
		err := sc.do(ctx, "POST", wire.PathWipe, "", r, &ack)
		var se *StationError
		switch {
		case err == nil, errors.As(err, &se) && se.Status >= 400 && se.Status < 500:
			// Recorded, already recorded (409) or refused for good.
		default:
			keep = append(keep, q.Receipts[i:]...)
			firstErr = err
		}
		if firstErr != nil {
			break
		}
	}
	q.Receipts = keep
	if err := c.writeQueue(q); err != nil {
		return err
	}
	return firstErr
}
