package station_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"caseviewer/station"
	"caseviewer/wire"
)

// Create a station, add an officer and a case, serve the API on loopback and
// read the signed station info as a laptop would at first contact.
func Example() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "station-example-")
	defer os.RemoveAll(tmp)

	res, err := station.Init(ctx, filepath.Join(tmp, "station"), station.InitOptions{StationID: "ST-NORTH", Name: "Northside"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := station.Open(ctx, res.Dir, station.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	if err := st.CreateCase(ctx, "admin:example", station.CaseInput{Number: "2026-0412", Title: "Harbor Street", Unit: "Homicide"}); err != nil {
		fmt.Println(err)
		return
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- station.NewServer(st, station.ServerConfig{BeaconPublic: "192.0.2.10:8444"}).Serve(ctx, ln)
	}()

	ca, _ := x509.ParseCertificate(st.CACert())
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ln.Addr().String() + wire.PathInfo)
	if err != nil {
		fmt.Println(err)
		return
	}
	var signed wire.SignedStationInfo
	err = wire.Decode(resp.Body, &signed, wire.MaxBodyBytes)
	resp.Body.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := wire.VerifyStationInfo(&signed, st.PublicKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.StationID, info.BeaconAddr, info.CAFingerprint == res.CAFingerprint)
	stop()
	<-done
	// Output: ST-NORTH 192.0.2.10:8444 true
}
