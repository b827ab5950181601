package beacon_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"time"

	"caseviewer/beacon"
)

func Example() {
	pub, key, _ := ed25519.GenerateKey(nil)

	// Station side.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go beacon.Serve(ctx, pc, "station-1", key, time.Now)

	// Laptop side: one heartbeat.
	qctx, qcancel := context.WithTimeout(ctx, time.Second)
	defer qcancel()
	answer, nonce, err := beacon.Query(qctx, pc.LocalAddr().String(), "laptop-17")
	if err != nil {
		fmt.Println("absent:", err)
		return
	}
	err = beacon.Verify(answer, nonce, "laptop-17", "station-1", pub, time.Now(), 5*time.Second)
	fmt.Println("present:", err == nil)
	// Output: present: true
}
