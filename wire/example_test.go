package wire_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"caseviewer/wire"
)

// A client verifies the station info it fetched at first contact, then pins
// the key it shows.
func ExampleVerifyStationInfo() {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	caDER := []byte("the station's CA certificate, DER")
	signed, _ := wire.SignStationInfo(wire.StationInfo{
		StationID:     "ST-NORTH",
		PublicKey:     pub,
		BeaconAddr:    "192.0.2.10:7946",
		CAFingerprint: wire.Fingerprint(caDER),
		IssuedAt:      time.Now().UTC(),
	}, caDER, priv)

	info, err := wire.VerifyStationInfo(signed, nil) // first contact: nothing pinned yet
	if err != nil {
		fmt.Println("refuse:", err)
		return
	}
	fmt.Println(info.StationID, info.BeaconAddr, strings.HasPrefix(info.CAFingerprint, "SHA256:"))
	// Output: ST-NORTH 192.0.2.10:7946 true
}

// The station answers every failure with a JSON Error; clients branch on its
// code.
func ExampleHasCode() {
	var err error = &wire.Error{Code: wire.CodeDeviceRevoked, Message: "This laptop was revoked."}
	if wire.HasCode(err, wire.CodeDeviceRevoked) {
		fmt.Println("wipe now")
	}
	// Output: wipe now
}

// Decode reads one strict JSON object with a size cap.
func ExampleDecode() {
	var req wire.ChallengeRequest
	err := wire.Decode(strings.NewReader(`{"device_id":"DEV-7"}`), &req, wire.MaxBodyBytes)
	fmt.Println(req.DeviceID, err)
	err = wire.Decode(strings.NewReader(`{"device_id":"DEV-7","admin":true}`), &req, wire.MaxBodyBytes)
	fmt.Println(err != nil)
	// Output:
	// DEV-7 <nil>
	// true
}
