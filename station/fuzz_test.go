package station

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"caseviewer/wire"
)

// fuzzEnv is a station with sessions for a technician and a supervisor,
// whose handler the fuzz targets call in process.
type fuzzEnv struct {
	*env
	tech, sup *laptop
	doc, ann  string
	reqID     string
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	e := newEnv(f)
	fe := &fuzzEnv{env: e, tech: e.session("E1"), sup: e.session("S1"), doc: e.docOf("H-1")}
	var a wire.Annotation
	must(f, fe.tech.do("POST", wire.AnnotationsPath(fe.doc), wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 1, Y0: 1, X1: 9, Y1: 9},
		Kind: wire.AnnotationHighlight, Color: "#00ff00"}, &a))
	fe.ann = a.ID
	var q wire.AccessRequest
	must(f, e.session("D3").do("POST", wire.PathRequests, wire.AccessRequestCreate{CaseNumber: "H-2", Reason: "r", DurationSeconds: 3600}, &q))
	fe.reqID = q.ID
	return fe
}

// serve sends one request to the handler and checks the answer: never a
// 5xx, always JSON, and every failure a wire.Error with a code.
func (fe *fuzzEnv) serve(t *testing.T, method, target string, token string, body []byte) {
	if _, err := url.ParseRequestURI(target); err != nil {
		return // not a URL a client can send
	}
	req := httptest.NewRequest(method, "https://station"+target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	fe.srv.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%s %s %q: status %d: %s", method, target, body, rec.Code, rec.Body)
	}
	if rec.Code/100 == 2 {
		if !json.Valid(rec.Body.Bytes()) && !strings.HasSuffix(target, "/payload") {
			t.Fatalf("%s %s: 2xx with invalid JSON", method, target)
		}
		return
	}
	var we wire.Error
	if err := json.Unmarshal(rec.Body.Bytes(), &we); err != nil || we.Code == "" || we.Message == "" {
		t.Fatalf("%s %s %q: status %d with body %q", method, target, body, rec.Code, rec.Body)
	}
}

func seedJSON(f *testing.F, vs ...any) {
	for _, v := range vs {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	f.Add([]byte(`{`))
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte("\xff\xfe"))
}

func FuzzEnrollRequest(f *testing.F) {
	fe := newFuzzEnv(f)
	l := fe.keys()
	pub := l.sign.Public().(ed25519.PublicKey)
	hp := l.hpke.PublicKey().Bytes()
	seedJSON(f, wire.EnrollRequest{Token: "AAAA-BBBB", DeviceName: "x", SigningKey: pub, HPKEKey: hp, Proof: ed25519.Sign(l.sign, wire.EnrollMessage("AAAA-BBBB", pub, hp))},
		wire.EnrollRequest{Token: "x", SigningKey: make([]byte, 32), HPKEKey: make([]byte, 1216)})
	f.Fuzz(func(t *testing.T, b []byte) { fe.serve(t, "POST", wire.PathEnroll, "", b) })
}

func FuzzChallengeRequest(f *testing.F) {
	fe := newFuzzEnv(f)
	seedJSON(f, wire.ChallengeRequest{DeviceID: fe.tech.deviceID}, wire.ChallengeRequest{DeviceID: "../../x"})
	f.Fuzz(func(t *testing.T, b []byte) { fe.serve(t, "POST", wire.PathChallenge, "", b) })
}

func FuzzLoginRequest(f *testing.F) {
	fe := newFuzzEnv(f)
	seedJSON(f, wire.LoginRequest{OfficerID: "D1", Password: testPassword, DeviceID: fe.tech.deviceID, ChallengeID: "CH-X", Signature: make([]byte, 64)},
		wire.LoginRequest{OfficerID: strings.Repeat("D", 100)})
	f.Fuzz(func(t *testing.T, b []byte) { fe.serve(t, "POST", wire.PathLogin, "", b) })
}

func FuzzWipeReceipt(f *testing.F) {
	fe := newFuzzEnv(f)
	s, _ := wire.SignWipeReceipt(wire.WipeReceipt{StationID: "ST-TEST", DeviceID: fe.tech.deviceID, Trigger: wire.WipeIdle,
		WipedAt: time.Unix(1e9, 0), Items: []string{"grants"}, Nonce: make([]byte, 16)}, fe.tech.sign)
	seedJSON(f, s, wire.SignedWipeReceipt{Receipt: []byte(`{"device_id":"x"}`)})
	f.Fuzz(func(t *testing.T, b []byte) { fe.serve(t, "POST", wire.PathWipe, "", b) })
}

func FuzzAccessRequestCreate(f *testing.F) {
	fe := newFuzzEnv(f)
	seedJSON(f, wire.AccessRequestCreate{CaseNumber: "B-1", Reason: "overlap", DurationSeconds: 3600},
		wire.AccessRequestCreate{CaseNumber: "H-2", Reason: strings.Repeat("r", 3000), DurationSeconds: -1})
	f.Fuzz(func(t *testing.T, b []byte) { fe.serve(t, "POST", wire.PathRequests, fe.tech.token, b) })
}

func FuzzAccessRequestDecision(f *testing.F) {
	fe := newFuzzEnv(f)
	seedJSON(f, wire.AccessRequestApprove{DurationSeconds: 3600, Scope: "view"}, wire.AccessRequestApprove{DurationSeconds: 1 << 62, Scope: "all"},
		wire.AccessRequestDecision{Reason: "no"})
	paths := []string{wire.RequestApprovePath(fe.reqID), wire.RequestDenyPath(fe.reqID), wire.RequestRevokePath(fe.reqID)}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range paths {
			fe.serve(t, "POST", p, fe.sup.token, b)
		}
	})
}

func FuzzAnnotationInput(f *testing.F) {
	fe := newFuzzEnv(f)
	seedJSON(f, wire.AnnotationInput{Page: 1, Rect: wire.Rect{X0: 1, Y0: 2, X1: 3, Y1: 4}, Kind: "note", Color: "#123456", Text: "n", BaseRevision: 1},
		wire.AnnotationInput{Page: 1 << 40, Rect: wire.Rect{X0: -1, Y0: 1e300}, Kind: "blood", Color: "red"})
	f.Fuzz(func(t *testing.T, b []byte) {
		fe.serve(t, "POST", wire.AnnotationsPath(fe.doc), fe.tech.token, b)
		fe.serve(t, "PUT", wire.AnnotationPath(fe.ann), fe.tech.token, b)
	})
}

// FuzzQueryAndPath fuzzes the query strings and path segments the GET
// endpoints parse.
func FuzzQueryAndPath(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []string{"index=0&size=1", "old=0&size=3", "number=H-1", "officer=D1&limit=5", "limit=-1", "index=99999999999999999999", "%zz", "deleted=1"} {
		f.Add("H-1", s)
	}
	f.Add("../..", "")
	f.Add("%2e%2e", "number=%00")
	f.Fuzz(func(t *testing.T, seg, query string) {
		if strings.ContainsAny(seg, "/?#") || strings.ContainsAny(query, "# ") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x21 || r >= 0x7f }) {
			return // not a URL a client can send
		}
		seg = strings.Map(func(r rune) rune {
			if r < 0x21 || r > 0x7e {
				return -1
			}
			return r
		}, seg)
		for _, p := range []string{wire.PathAuditInclusion, wire.PathAuditConsistency, wire.PathCaseLookup, "/v1/cases/" + seg + "/audit",
			"/v1/cases/" + seg, "/v1/documents/" + seg + "/annotations"} {
			fe.serve(t, "GET", p+"?"+query, fe.sup.token, nil)
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	h, _ := hashPassword([]byte("pw"), *testArgon)
	f.Add(h)
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAA$AAAA")
	f.Add("$argon2id$v=19$m=8,t=1,p=0$AAAAAAAAAAA$" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, stored string) {
		ok, err := checkPassword([]byte("pw"), stored)
		if ok && err != nil {
			t.Fatal("ok with an error")
		}
	})
}
