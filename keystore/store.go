package keystore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrKeyringUnavailable means the OS keyring did not answer within the
	// time limit, is locked, or is missing. Callers must fail closed.
	ErrKeyringUnavailable = errors.New("keyring unavailable")
	// ErrNotFound means no item of that name is stored.
	ErrNotFound = errors.New("not found in keyring")
	// ErrTooLarge means a value exceeds MaxValueSize.
	ErrTooLarge = errors.New("value too large for the keyring")
	// ErrFull means the Store already holds MaxItems names.
	ErrFull = errors.New("keystore full")
	// ErrInvalidName means a name or service is empty, too long, or uses
	// characters outside the allowed set.
	ErrInvalidName = errors.New("invalid keystore name")
	// ErrCorrupt means an item the Store wrote (its index, a value or the
	// device identity) no longer parses. DeleteAllExceptIdentity still
	// deletes every name a damaged index holds, then removes the index.
	ErrCorrupt = errors.New("keystore item corrupt")
)

const (
	// DefaultTimeout is the time limit of every call unless WithTimeout
	// sets another.
	DefaultTimeout = 3 * time.Second
	// MaxEncodedSize is the largest text value written to the keyring: the
	// Windows Credential Manager limit.
	MaxEncodedSize = 2560
	// MaxValueSize is the largest value Put accepts: its standard base64
	// encoding is MaxEncodedSize bytes.
	MaxValueSize = MaxEncodedSize / 4 * 3
	// MaxNameLen is the longest name Put accepts.
	MaxNameLen = 48
	// MaxItems is the most names a Store holds (the identity not counted).
	MaxItems = 48
	// maxServiceLen bounds the service namespace (macOS and Windows limit
	// service plus user names).
	maxServiceLen = 128
	// maxPending is how many calls may wait on a keyring that does not
	// answer before new calls fail at once.
	maxPending = 32
)

// Keyring user names of the Store's own items. Names given to Put cannot
// start with a dot, so these never collide with them.
const (
	indexUser    = ".index"
	identityUser = ".identity"
)

// Backend is the keyring the Store talks to; it has go-keyring's shape.
// The default is the OS keyring. Get returns an error matching
// go-keyring's keyring.ErrNotFound or this package's ErrNotFound for a
// missing item. Tests of other packages use a failing or slow Backend (see
// package keystoretest).
type Backend interface {
	Set(service, user, value string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// Option configures a Store.
type Option func(*Store)

// WithTimeout sets the time limit of every call. A d of zero or less keeps
// DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithBackend replaces the OS keyring. Production code does not use it.
func WithBackend(b Backend) Option {
	return func(s *Store) {
		if b != nil {
			s.backend = b
		}
	}
}

// Store is a typed, time-limited view of one service namespace of the
// keyring. Its methods are safe for concurrent use; they run one at a time
// in call order (see the package documentation).
type Store struct {
	service string
	timeout time.Duration
	backend Backend

	mu      sync.Mutex
	tail    chan struct{} // closed when the last queued job has finished
	pending int
}

// Open returns the Store of a service namespace, such as
// "org.caseviewer.CaseViewer". It does not touch the keyring. A service
// name that is empty, longer than 128 bytes or not printable ASCII makes
// every call fail with ErrInvalidName.
func Open(service string, opts ...Option) *Store {
	s := &Store{service: service, timeout: DefaultTimeout, backend: osBackend{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Service returns the service namespace of the Store.
func (s *Store) Service() string { return s.service }

// Timeout returns the time limit of the Store's calls.
func (s *Store) Timeout() time.Duration { return s.timeout }

func validService(svc string) bool {
	if svc == "" || len(svc) > maxServiceLen {
		return false
	}
	for i := 0; i < len(svc); i++ {
		if svc[i] < 0x21 || svc[i] > 0x7e {
			return false
		}
	}
	return true
}

// ValidName reports whether Put accepts name: 1 to MaxNameLen bytes of
// ASCII letters, digits and ". _ - : /", starting with a letter or digit.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-' || c == ':' || c == '/'):
		default:
			return false
		}
	}
	return true
}

// Job states: a job is running (or queued) until either its caller gives
// up (abandoned) or the job commits its result.
const (
	jobRunning int32 = iota
	jobCommitted
	jobAbandoned
)

// job is one keyring operation of a Store, run on the Store's queue.
type job struct {
	state atomic.Int32
	done  chan struct{}
	err   error
	value []byte
}

// abandoned reports whether the caller has given up on the job.
func (j *job) abandoned() bool { return j.state.Load() == jobAbandoned }

// commit hands the result to the caller. It reports false when the caller
// has already given up; the job must then undo its effect.
func (j *job) commit() bool { return j.state.CompareAndSwap(jobRunning, jobCommitted) }

// errAbandoned stops a job whose caller has given up; nobody sees it.
var errAbandoned = errors.New("keystore: caller gave up")

// run queues fn behind every earlier job of the Store and waits for it
// within the Store's time limit and ctx. A job that always runs (a delete)
// runs even when its caller has given up; other jobs are skipped then and
// must check j.abandoned before each keyring call and use j.commit.
func (s *Store) run(ctx context.Context, op string, always bool, fn func(j *job) error) ([]byte, error) {
	if !validService(s.service) {
		return nil, fmt.Errorf("keystore: %s: service %q: %w", op, s.service, ErrInvalidName)
	}
	if s.backend == nil {
		return nil, fmt.Errorf("keystore: %s: %w: Store not made by Open", op, ErrKeyringUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keystore: %s: %w", op, err)
	}
	ctx, cancel := context.WithDeadline(ctx, giveUpAt(ctx, time.Now(), s.timeout))
	defer cancel()

	s.mu.Lock()
	if s.pending >= maxPending {
		s.mu.Unlock()
		return nil, fmt.Errorf("keystore: %s: %w: %d earlier calls still waiting for the keyring", op, ErrKeyringUnavailable, maxPending)
	}
	s.pending++
	prev, mine := s.tail, make(chan struct{})
	s.tail = mine
	s.mu.Unlock()

	j := &job{done: make(chan struct{})}
	go func() {
		defer func() {
			s.mu.Lock()
			s.pending--
			s.mu.Unlock()
			close(mine)
		}()
		if prev != nil {
			<-prev
		}
		if !always && j.abandoned() {
			return
		}
		j.err = fn(j)
		close(j.done)
	}()

	select {
	case <-j.done:
		return j.value, j.err
	case <-ctx.Done():
		if j.state.CompareAndSwap(jobRunning, jobAbandoned) {
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil, fmt.Errorf("keystore: %s: %w", op, context.Cause(ctx))
			}
			return nil, fmt.Errorf("keystore: %s: %w: no answer in time (limit %v) (%w)", op, ErrKeyringUnavailable, s.timeout, context.Cause(ctx))
		}
		// The job committed just in time: its result is on the way.
		<-j.done
		return j.value, j.err
	}
}

// maxEarly is the most a call gives up before its limit (see giveUpAt).
const maxEarly = 50 * time.Millisecond

// giveUpAt is when a call that started at start stops waiting: at the
// Store's limit or the caller's deadline, whichever comes first, less
// 1/20 of the time left (at most maxEarly). Waking up after a timer takes
// a few milliseconds on a loaded machine; giving up that much early makes
// the call return by its limit instead of just after it.
func giveUpAt(ctx context.Context, start time.Time, limit time.Duration) time.Time {
	end := start.Add(limit)
	if d, ok := ctx.Deadline(); ok && d.Before(end) {
		end = d
	}
	if left := end.Sub(start); left > 0 {
		end = end.Add(-min(left/20, maxEarly))
	}
	return end
}

// classify maps a Backend error to this package's sentinels. Anything but
// "not found" and "too big" means the keyring cannot be used.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig), errors.Is(err, ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, ErrKeyringUnavailable):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrKeyringUnavailable, err)
	}
}

func (s *Store) bget(user string) (string, error) {
	v, err := s.backend.Get(s.service, user)
	return v, classify(err)
}

func (s *Store) bset(user, value string) error {
	return classify(s.backend.Set(s.service, user, value))
}

// bdelete deletes an item; a missing item is not an error.
func (s *Store) bdelete(user string) error {
	err := classify(s.backend.Delete(s.service, user))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// readIndex returns the names in the index; a missing index is empty.
func (s *Store) readIndex() ([]string, error) {
	v, err := s.bget(indexUser)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseIndex(v)
}

// salvageIndex returns every valid name on the lines of a damaged index.
func (s *Store) salvageIndex() ([]string, error) {
	v, err := s.bget(indexUser)
	if err != nil {
		return nil, err
	}
	if len(v) > MaxEncodedSize {
		v = v[:MaxEncodedSize]
	}
	var names []string
	for _, line := range strings.Split(v, "\n") {
		if _, found := indexFind(names, line); ValidName(line) && !found {
			i, _ := indexFind(names, line)
			names = append(names[:i], append([]string{line}, names[i:]...)...)
		}
	}
	return names, nil
}

// Put stores value under name, replacing any earlier value. The value is
// copied; the caller may zero it when Put returns. Values longer than
// MaxValueSize give ErrTooLarge.
func (s *Store) Put(ctx context.Context, name string, value []byte) error {
	if !ValidName(name) {
		return fmt.Errorf("keystore: put %q: %w", name, ErrInvalidName)
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("keystore: put %q: %w: %d bytes, at most %d", name, ErrTooLarge, len(value), MaxValueSize)
	}
	enc := base64.StdEncoding.EncodeToString(value)
	_, err := s.run(ctx, fmt.Sprintf("put %q", name), false, func(j *job) error {
		return s.writeIndexed(j, name, enc)
	})
	return err
}

// writeIndexed adds name to the index, then writes the value, undoing the
// write if the caller gave up meanwhile.
func (s *Store) writeIndexed(j *job, name, enc string) error {
	names, err := s.readIndex()
	if err != nil {
		return fmt.Errorf("keystore: put %q: read index: %w", name, err)
	}
	if i, found := indexFind(names, name); !found {
		if len(names) >= MaxItems {
			return fmt.Errorf("keystore: put %q: %w: %d items", name, ErrFull, len(names))
		}
		names = append(names[:i], append([]string{name}, names[i:]...)...)
		if j.abandoned() {
			return errAbandoned
		}
		if err := s.bset(indexUser, formatIndex(names)); err != nil {
			return fmt.Errorf("keystore: put %q: write index: %w", name, err)
		}
	}
	return s.writeItem(j, name, enc)
}

// writeItem writes one item and commits, or undoes the write when the
// caller gave up while it ran.
func (s *Store) writeItem(j *job, user, enc string) error {
	if j.abandoned() {
		return errAbandoned
	}
	if err := s.bset(user, enc); err != nil {
		return fmt.Errorf("keystore: write %q: %w", user, err)
	}
	if !j.commit() {
		// The caller was told this write failed: undo it before any later
		// call of this Store runs. If the undo fails the name stays in the
		// index, so the wipe still finds it.
		_ = s.bdelete(user)
		return errAbandoned
	}
	return nil
}

// Get returns the value stored under name in a fresh slice that the caller
// should zero when done (see Zero), or ErrNotFound. Other copies exist
// that nobody can zero (go-keyring's strings, D-Bus buffers): see "What Go
// cannot guarantee about secrets" in the package documentation.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("keystore: get %q: %w", name, ErrInvalidName)
	}
	return s.run(ctx, fmt.Sprintf("get %q", name), false, func(j *job) error {
		return s.readItem(j, name)
	})
}

// readItem reads and decodes one item into j.value.
func (s *Store) readItem(j *job, user string) error {
	if j.abandoned() {
		return errAbandoned
	}
	v, err := s.bget(user)
	if err != nil {
		return fmt.Errorf("keystore: get %q: %w", user, err)
	}
	if len(v) > MaxEncodedSize {
		return fmt.Errorf("keystore: get %q: %w: stored value of %d bytes", user, ErrCorrupt, len(v))
	}
	src := []byte(v) // a copy of the text that, unlike v, can be zeroed
	defer Zero(src)
	b := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Strict().Decode(b, src)
	if err != nil {
		Zero(b)
		return fmt.Errorf("keystore: get %q: %w: not base64", user, ErrCorrupt)
	}
	if !j.commit() {
		Zero(b)
		return errAbandoned
	}
	j.value = b[:n:n]
	return nil
}

// Delete removes the item stored under name. Deleting a missing item is
// not an error. If the caller gives up, the delete still runs when the
// keyring answers.
func (s *Store) Delete(ctx context.Context, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("keystore: delete %q: %w", name, ErrInvalidName)
	}
	_, err := s.run(ctx, fmt.Sprintf("delete %q", name), true, func(j *job) error {
		if err := s.bdelete(name); err != nil {
			return fmt.Errorf("keystore: delete %q: %w", name, err)
		}
		names, err := s.readIndex()
		if err != nil {
			return fmt.Errorf("keystore: delete %q: read index: %w", name, err)
		}
		i, found := indexFind(names, name)
		if !found {
			return nil
		}
		names = append(names[:i], names[i+1:]...)
		if err := s.writeIndex(names); err != nil {
			return fmt.Errorf("keystore: delete %q: write index: %w", name, err)
		}
		return nil
	})
	return err
}

// writeIndex stores names as the index, deleting the index when empty.
func (s *Store) writeIndex(names []string) error {
	if len(names) == 0 {
		return s.bdelete(indexUser)
	}
	return s.bset(indexUser, formatIndex(names))
}

// List returns the names stored with Put, sorted. The device identity is
// not listed. After an interrupted Put or Delete a listed name may have no
// value (Get gives ErrNotFound).
func (s *Store) List(ctx context.Context) ([]string, error) {
	var names []string
	_, err := s.run(ctx, "list", false, func(j *job) error {
		if j.abandoned() {
			return errAbandoned
		}
		n, err := s.readIndex()
		if err != nil {
			return fmt.Errorf("keystore: list: %w", err)
		}
		if !j.commit() {
			return errAbandoned
		}
		names = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// DeleteAllExceptIdentity deletes every item stored with Put, and the
// index, leaving only the device identity. It tries every item and returns
// the errors.Join of the failures; names that failed stay in the index so
// that a retry finds them. If the caller gives up, the wipe still runs when
// the keyring answers.
func (s *Store) DeleteAllExceptIdentity(ctx context.Context) error {
	_, err := s.run(ctx, "wipe", true, func(j *job) error {
		var errs []error
		names, err := s.readIndex()
		if errors.Is(err, ErrCorrupt) {
			// Fail closed: delete every name the damaged index still holds.
			errs = append(errs, fmt.Errorf("keystore: wipe: %w", err))
			names, err = s.salvageIndex()
		}
		if err != nil {
			return fmt.Errorf("keystore: wipe: read index: %w", err)
		}
		var left []string
		for _, name := range names {
			if err := s.bdelete(name); err != nil {
				errs = append(errs, fmt.Errorf("keystore: wipe %q: %w", name, err))
				left = append(left, name)
			}
		}
		// Keep exactly the names that failed, so that a retry finds them.
		// If this write fails, the old index (a superset) stays.
		if err := s.writeIndex(left); err != nil {
			errs = append(errs, fmt.Errorf("keystore: wipe index: %w", err))
		}
		return errors.Join(errs...)
	})
	return err
}
