// Package keystoretest provides keystore.Backend implementations for tests
// of packages that use the keystore: an in-memory keyring, one that always
// fails, and one that hangs until released (a locked keyring whose unlock
// prompt nobody answers). Production code must never use them: the
// keystore deliberately has no fallback to memory.
package keystoretest

import (
	"sync"

	"caseviewer/keystore"
)

// Memory is an in-memory keyring. The zero value is ready to use; it is
// safe for concurrent use.
type Memory struct {
	mu    sync.Mutex
	items map[[2]string]string
	sets  int
}

// NewMemory returns an empty in-memory keyring.
func NewMemory() *Memory { return &Memory{} }

// Set stores value.
func (m *Memory) Set(service, user, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = make(map[[2]string]string)
	}
	m.items[[2]string{service, user}] = value
	m.sets++
	return nil
}

// Get returns the value, or keystore.ErrNotFound.
func (m *Memory) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[[2]string{service, user}]
	if !ok {
		return "", keystore.ErrNotFound
	}
	return v, nil
}

// Delete removes the value, or returns keystore.ErrNotFound.
func (m *Memory) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{service, user}
	if _, ok := m.items[k]; !ok {
		return keystore.ErrNotFound
	}
	delete(m.items, k)
	return nil
}

// Len returns how many items of service are stored, the Store's own index
// and identity items included.
func (m *Memory) Len(service string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k := range m.items {
		if k[0] == service {
			n++
		}
	}
	return n
}

// Raw returns the stored text of an item as the keyring holds it, and
// whether it exists.
func (m *Memory) Raw(service, user string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[[2]string{service, user}]
	return v, ok
}

// Failing is a keyring whose every call returns Err.
type Failing struct {
	Err error
}

// Set returns f.Err.
func (f Failing) Set(service, user, value string) error { return f.Err }

// Get returns f.Err.
func (f Failing) Get(service, user string) (string, error) { return "", f.Err }

// Delete returns f.Err.
func (f Failing) Delete(service, user string) error { return f.Err }

// Hung wraps a Backend so that every call blocks until Release, like a
// locked keyring waiting on an unlock prompt. Calls made after Release pass
// straight through.
type Hung struct {
	Backend keystore.Backend

	once    sync.Once
	release chan struct{}
	mu      sync.Mutex
	waiting int
}

// NewHung returns a hung keyring in front of b.
func NewHung(b keystore.Backend) *Hung {
	return &Hung{Backend: b, release: make(chan struct{})}
}

func (h *Hung) wait() {
	h.mu.Lock()
	h.waiting++
	h.mu.Unlock()
	<-h.release
	h.mu.Lock()
	h.waiting--
	h.mu.Unlock()
}

// Waiting returns how many calls are blocked.
func (h *Hung) Waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waiting
}

// Release lets every blocked and future call through.
func (h *Hung) Release() { h.once.Do(func() { close(h.release) }) }

// Set blocks until Release, then calls the wrapped Backend.
func (h *Hung) Set(service, user, value string) error {
	h.wait()
	return h.Backend.Set(service, user, value)
}

// Get blocks until Release, then calls the wrapped Backend.
func (h *Hung) Get(service, user string) (string, error) {
	h.wait()
	return h.Backend.Get(service, user)
}

// Delete blocks until Release, then calls the wrapped Backend.
func (h *Hung) Delete(service, user string) error {
	h.wait()
	return h.Backend.Delete(service, user)
}
