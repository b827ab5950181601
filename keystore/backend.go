package keystore

import "github.com/zalando/go-keyring"

// osBackend is the OS keyring through go-keyring.
type osBackend struct{}

func (osBackend) Set(service, user, value string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return keyring.Set(service, user, value)
}

func (osBackend) Get(service, user string) (string, error) {
	if err := sessionBusCheck(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (osBackend) Delete(service, user string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}
