package session

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"caseviewer/keystore"
	"caseviewer/wire"
)

// Discovery is what the station at an address says about itself, for the
// officer to compare with what the administrator reads out before
// enrolling. Nothing is trusted until the officer confirms by calling
// Enroll.
type Discovery struct {
	// Addr is the station's base URL as dialled.
	Addr string
	// StationID and Name identify the station.
	StationID, Name string
	// CAFingerprint is the SHA-256 fingerprint of the station CA
	// certificate ("SHA256:AB:CD:...").
	CAFingerprint string
	// StationKey is the station's signing key as the station prints it
	// ("ed25519:<hex>").
	StationKey string
	// BeaconAddr is the beacon address the station announces.
	BeaconAddr string

	caDER []byte
	key   ed25519.PublicKey
}

// StationKeyString formats a station key as the station's admin commands
// print it.
func StationKeyString(pub ed25519.PublicKey) string {
	return "ed25519:" + hex.EncodeToString(pub)
}

// Discover fetches the station's signed self-description from addr
// ("host:port" or "https://host:port") and checks that it is consistent:
// signed by the key it names, naming the CA it carries, and served with a
// certificate from that CA. The result must be shown to the officer, who
// compares the fingerprints and then calls Enroll.
func (c *Client) Discover(ctx context.Context, addr string) (*Discovery, error) {
	base, err := normalizeAddr(addr)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	host := u.Hostname()
	var peer []*x509.Certificate
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
		// Nothing is pinned yet: the chain is checked below against the CA
		// that the signed station info names.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			peer = cs.PeerCertificates
			return nil
		},
	}
	sc := &stationClient{base: base, http: &http.Client{Transport: transport(cfg), CheckRedirect: noRedirects}}
	defer sc.close()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	var signed wire.SignedStationInfo
	if err := sc.do(ctx, "GET", wire.PathInfo, "", nil, &signed); err != nil {
		return nil, err
	}
	info, err := wire.VerifyStationInfo(&signed, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStationIdentity, err)
	}
	if len(signed.CACert) == 0 {
		return nil, fmt.Errorf("%w: the station sent no CA certificate", ErrStationIdentity)
	}
	if err := verifyChain(peer, signed.CACert, host); err != nil {
		return nil, err
	}
	d := &Discovery{
		Addr: base, StationID: info.StationID, Name: info.Name, CAFingerprint: wire.Fingerprint(signed.CACert),
		StationKey: StationKeyString(info.PublicKey), BeaconAddr: info.BeaconAddr,
		caDER: copyBytes(signed.CACert), key: copyBytes(info.PublicKey),
	}
	if d.BeaconAddr != "" {
		if _, _, err := net.SplitHostPort(d.BeaconAddr); err != nil {
			return nil, fmt.Errorf("%w: beacon address %q", ErrStationIdentity, d.BeaconAddr)
		}
	}
	c.mu.Lock()
	if len(c.pending) >= maxPendingDiscoveries {
		clear(c.pending)
	}
	c.pending[base] = d
	c.mu.Unlock()
	return d, nil
}

// verifyChain checks that the server's certificate chains to caDER for host.
func verifyChain(peer []*x509.Certificate, caDER []byte, host string) error {
	if len(peer) == 0 {
		return fmt.Errorf("%w: no server certificate", ErrStationIdentity)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("%w: CA certificate: %v", ErrStationIdentity, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	if _, err := peer[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host}); err != nil {
		return fmt.Errorf("%w: the server certificate is not from the station's CA: %v", ErrStationIdentity, err)
	}
	return nil
}

// Enroll registers this laptop with the station that Discover showed for
// addr, using the one-time token from the administrator. It generates the
// device identity in the keyring, pins the CA certificate and station key
// that Discover returned, and writes the enrollment file. Enrolling again
// replaces the earlier enrollment and device identity; if that fails once
// the station has been checked, the laptop is left not enrolled (never with
// an enrollment whose device key is gone).
func (c *Client) Enroll(ctx context.Context, addr, token string) error {
	base, err := normalizeAddr(addr)
	if err != nil {
		return err
	}
	c.mu.Lock()
	d := c.pending[base]
	busy := c.sess != nil
	c.mu.Unlock()
	if d == nil {
		return ErrNotDiscovered
	}
	if busy {
		return ErrAlreadyLoggedIn
	}
	if token == "" || len(token) > wire.MaxTokenLen {
		return fmt.Errorf("%w: the token is empty or too long", ErrTokenInvalid)
	}
	sc, err := newPinnedClient(base, d.caDER)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			sc.close()
		}
	}()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	// The pinned connection must give the same signed station info.
	var signed wire.SignedStationInfo
	if err = sc.do(ctx, "GET", wire.PathInfo, "", nil, &signed); err != nil {
		return err
	}
	if _, err = wire.VerifyStationInfo(&signed, d.key); err != nil {
		return fmt.Errorf("%w: %v", ErrStationIdentity, err)
	}

	// From here the old enrollment (if any) is replaced: drop it first, so
	// that a failure leaves the laptop plainly not enrolled rather than
	// with an enrollment whose device key is gone.
	if err = c.unenroll(); err != nil {
		return err
	}
	id, err := keystore.GenerateIdentity()
	if err != nil {
		return fmt.Errorf("session: generate the device identity: %w", err)
	}
	defer id.Zero()
	if err = c.keys.DeleteAllExceptIdentity(ctx); err != nil {
		return keyringErr(err)
	}
	if err = c.keys.SaveIdentity(ctx, id); err != nil {
		return keyringErr(err)
	}
	sigPub, hpkePub := id.SigningPublic().Bytes(), id.HPKEPublic().Bytes()
	var resp wire.EnrollResponse
	err = sc.do(ctx, "POST", wire.PathEnroll, "", wire.EnrollRequest{
		Token: token, DeviceName: c.opts.DeviceName, SigningKey: sigPub, HPKEKey: hpkePub,
		Proof: id.Sign(wire.EnrollMessage(token, sigPub, hpkePub)),
	}, &resp)
	if err != nil {
		c.keys.DeleteIdentity(context.Background())
		return err
	}
	if resp.StationID != d.StationID || resp.DeviceID == "" || len(resp.DeviceID) > 64 {
		c.keys.DeleteIdentity(context.Background())
		err = fmt.Errorf("%w: enrollment answer names station %q, device %q", ErrStationIdentity, resp.StationID, resp.DeviceID)
		return err
	}
	enr := &Enrollment{Version: 1, StationURL: base, StationID: d.StationID, StationName: d.Name, StationKey: copyBytes(d.key),
		CACert: copyBytes(d.caDER), BeaconAddr: d.BeaconAddr, DeviceID: resp.DeviceID, OfficerID: resp.OfficerID, EnrolledAt: time.Now().UTC()}
	if err = enr.validate(); err != nil {
		c.keys.DeleteIdentity(context.Background())
		return fmt.Errorf("%w: %v", ErrStationIdentity, err)
	}
	if err = saveEnrollment(c.opts.StateDir, enr); err != nil {
		c.keys.DeleteIdentity(context.Background())
		return err
	}
	c.mu.Lock()
	c.enr, c.sc = enr, sc
	delete(c.pending, base)
	c.lastCP = nil
	c.mu.Unlock()
	return nil
}

// maxPendingDiscoveries bounds the discoveries kept for Enroll.
const maxPendingDiscoveries = 16

// unenroll forgets the current enrollment: the file and the pinned client.
// The device identity is replaced by the caller.
func (c *Client) unenroll() error {
	c.mu.Lock()
	old := c.sc
	had := c.enr != nil
	c.enr, c.sc, c.lastCP = nil, nil, nil
	c.mu.Unlock()
	if old != nil {
		old.close()
	}
	if !had {
		return nil
	}
	if err := os.Remove(filepath.Join(c.opts.StateDir, enrollmentFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("session: remove the old enrollment: %w", err)
	}
	return nil
}
