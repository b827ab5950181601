package session

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"caseviewer/wire"
)

// stationClient talks to the station API over TLS 1.3, trusting only the
// pinned CA.
type stationClient struct {
	base string
	http *http.Client
}

// normalizeAddr turns "host:port", "host" or an https URL into a base URL
// "https://host[:port]".
func normalizeAddr(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", fmt.Errorf("%w: no station address", ErrBadRequest)
	}
	if !strings.Contains(addr, "://") {
		addr = "https://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q is not a station address (host:port or https://host:port)", ErrBadRequest, addr)
	}
	return "https://" + u.Host, nil
}

// transport returns an HTTP transport that speaks TLS 1.3 only and trusts
// only roots (nil roots: verification is left to verify).
func transport(cfg *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never through a proxy: the station is on the local network
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   10 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}

// newPinnedClient returns a client for base that trusts only caDER.
func newPinnedClient(base string, caDER []byte) (*stationClient, error) {
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned CA certificate: %v", ErrStationIdentity, err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	tr := transport(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13})
	return &stationClient{base: base, http: &http.Client{Transport: tr, CheckRedirect: noRedirects}}, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (sc *stationClient) close() {
	if tr, ok := sc.http.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
}

// netError classifies a transport error.
func netError(err error) error {
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var he x509.HostnameError
	var cie x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie) {
		return fmt.Errorf("%w: %v", ErrStationIdentity, err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// do sends a JSON request (in may be nil) and decodes a JSON answer into out
// (which may be nil). token, if set, is sent as the bearer token.
func (sc *stationClient) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("session: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, sc.base+path, body)
	if err != nil {
		return fmt.Errorf("session: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := sc.http.Do(req)
	if err != nil {
		return netError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxResponseBytes+1))
	if err != nil {
		return netError(err)
	}
	if len(b) > wire.MaxResponseBytes {
		return fmt.Errorf("%w: answer to %s larger than %d bytes", ErrStation, path, wire.MaxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		var we wire.Error
		if err := json.Unmarshal(b, &we); err != nil || we.Code == "" {
			return &StationError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode), Message: "The station gave an unexpected answer."}
		}
		return stationError(resp.StatusCode, &we)
	}
	if out == nil {
		return nil
	}
	if err := wire.DecodeBytes(b, out); err != nil {
		return fmt.Errorf("%w: answer to %s: %v", ErrStation, path, err)
	}
	return nil
}

// download GETs path and returns exactly size bytes of body.
func (sc *stationClient) download(ctx context.Context, path, token string, size int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sc.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := sc.http.Do(req)
	if err != nil {
		return nil, netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, wire.MaxBodyBytes))
		var we wire.Error
		if json.Unmarshal(b, &we) != nil || we.Code == "" {
			return nil, &StationError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode), Message: "The station gave an unexpected answer."}
		}
		return nil, stationError(resp.StatusCode, &we)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != size {
		return nil, fmt.Errorf("%w: payload of %d bytes, manifest says %d", ErrTampered, resp.ContentLength, size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return nil, netError(fmt.Errorf("payload: %w", err))
	}
	var one [1]byte
	if n, _ := resp.Body.Read(one[:]); n > 0 {
		return nil, fmt.Errorf("%w: payload longer than %d bytes", ErrTampered, size)
	}
	return buf, nil
}
