package keystore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"caseviewer/keystore"
	"caseviewer/keystore/keystoretest"
)

func Example() {
	ctx := context.Background()
	// Production code opens the OS keyring: keystore.Open("org.caseviewer.CaseViewer").
	// This example uses an in-memory keyring so that it runs anywhere.
	s := keystore.Open("org.caseviewer.Example",
		keystore.WithTimeout(2*time.Second),
		keystore.WithBackend(keystoretest.NewMemory()))

	// Enrollment: generate and keep the device identity.
	id, err := keystore.GenerateIdentity()
	if err != nil {
		log.Fatal(err)
	}
	defer id.Zero()
	if err := s.SaveIdentity(ctx, id); err != nil {
		log.Fatal(err)
	}

	// A session secret, read back into a slice the caller zeroes.
	if err := s.Put(ctx, "session-token", []byte("s3cr3t")); err != nil {
		log.Fatal(err) // errors.Is(err, keystore.ErrKeyringUnavailable): fail closed
	}
	tok, err := s.Get(ctx, "session-token")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("token has %d bytes\n", len(tok))
	keystore.Zero(tok)

	names, _ := s.List(ctx)
	fmt.Println("stored:", names)

	// The wipe keeps only the device identity.
	if err := s.DeleteAllExceptIdentity(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = s.Get(ctx, "session-token")
	fmt.Println("after wipe:", errors.Is(err, keystore.ErrNotFound))
	loaded, err := s.LoadIdentity(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer loaded.Zero()
	fmt.Println("identity kept:", loaded.SigningPublic().Equal(id.SigningPublic()))
	// Output:
	// token has 6 bytes
	// stored: [session-token]
	// after wipe: true
	// identity kept: true
}

func ExampleGenerateIdentity() {
	id, err := keystore.GenerateIdentity()
	if err != nil {
		log.Fatal(err)
	}
	defer id.Zero()
	challenge := []byte("station challenge")
	sig := id.Sign(challenge)

	// The station knows the device by the text form of its public keys.
	text := id.SigningPublic().String()
	pub, err := keystore.ParseSigningPublic(text)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text[:6], pub.Verify(challenge, sig))
	fmt.Println(id.HPKEPublic().String()[:7], len(id.HPKEPublic().Bytes()))
	// Output:
	// cvsig: true
	// cvhpke: 1216
}

func ExampleStore_Get() {
	ctx := context.Background()
	s := keystore.Open("org.caseviewer.Example", keystore.WithBackend(keystoretest.NewMemory()))
	_, err := s.Get(ctx, "missing")
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		fmt.Println("not stored")
	case errors.Is(err, keystore.ErrKeyringUnavailable):
		fmt.Println("keyring locked or not answering: deny")
	}
	// Output: not stored
}
