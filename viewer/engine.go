package viewer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/tetratelabs/wazero"
	wazeroapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Limits on untrusted input and on what a caller may ask for.
const (
	// MaxPDFSize is the largest document Open accepts, in bytes.
	MaxPDFSize = 256 << 20
	// MaxPages is the largest page count Open accepts.
	MaxPages = 20000
	// MaxZoom is the largest zoom factor (zoom 1 is 72 DPI; 8 is 576 DPI).
	MaxZoom = 8.0
	// MaxPixels is the largest rendered page, in pixels (width times height).
	MaxPixels = 64 << 20
	// MaxQueryLen is the longest Find query, in runes.
	MaxQueryLen = 256
	// MaxHits is the most hits Find returns.
	MaxHits = 10000
)

// Errors callers may branch on with errors.Is.
var (
	// ErrClosed is returned when the engine or the document was closed or
	// wiped.
	ErrClosed = errors.New("viewer: closed")
	// ErrInvalidPDF is returned for bytes that are not a PDF the viewer can
	// read; the wrapped message says why.
	ErrInvalidPDF = errors.New("viewer: invalid pdf")
	// ErrPassword is returned for a document that needs a password to open.
	// Case documents never have one: the bundle's encryption protects them.
	ErrPassword = errors.New("viewer: pdf is password protected")
	// ErrTooLarge is returned when an input or a requested render exceeds
	// a limit above.
	ErrTooLarge = errors.New("viewer: too large")
	// ErrPageRange is returned for a page index outside the document.
	ErrPageRange = errors.New("viewer: page out of range")
	// ErrWatermark is returned by Open when the watermark lacks a field it
	// must carry: the viewer fails closed rather than show an unmarked page.
	ErrWatermark = errors.New("viewer: watermark incomplete")
	// ErrTimeout is returned when PDFium did not finish a job within the
	// configured time limit; the worker that ran it is replaced.
	ErrTimeout = errors.New("viewer: renderer timed out")
	// ErrBadArgument is returned for a zoom, DPI or query that makes no
	// sense (zero, negative, NaN, empty).
	ErrBadArgument = errors.New("viewer: bad argument")
)

// Config tunes an Engine. The zero value is usable.
type Config struct {
	// Workers is the number of PDFium instances (default 2), so that the
	// next pages render while one is shown.
	Workers int
	// CacheBudget is the memory, in bytes, that clean rendered pages may use
	// (default 256 MiB). A negative budget disables the cache.
	CacheBudget int64
	// JobTimeout bounds one PDFium job (a render, a search of one page, an
	// open) whatever the caller's context says (default 30 s). A job that
	// runs over is killed and its worker replaced.
	JobTimeout time.Duration
	// Interruptible makes PDFium check in its loops whether its job was
	// killed, so that a job over its time limit stops at once. It doubles
	// the time a page takes to render (measured: 30 against 15 ms of CPU
	// per A4 page at 150 DPI), so it is off by default. Without it, a killed
	// job stops at its next call out of PDFium; one that never returns is
	// abandoned after a grace second (the caller gets ErrTimeout and a new
	// worker takes its place) and keeps one core busy until it returns.
	// A caller's context never kills a job either way: Render returns when
	// the context ends and the page finishes into the cache.
	Interruptible bool
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Workers > 16 {
		c.Workers = 16
	}
	if c.CacheBudget == 0 {
		c.CacheBudget = 256 << 20
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 30 * time.Second
	}
	return c
}

// Engine is a pool of PDFium renderers with a page cache. It is safe for
// concurrent use. Create one per application with NewEngine.
type Engine struct {
	cfg   Config
	ready chan struct{}
	err   error // start error, valid after ready is closed
	quit  chan struct{}

	pool    pdfium.Pool
	workers []*worker
	hi, lo  chan *job
	wg      sync.WaitGroup

	startTime time.Duration // how long the pool took to start

	mu     sync.Mutex
	docs   map[*Document]struct{}
	issued []weak.Pointer[image.RGBA] // watermarked images handed to callers
	closed bool

	cache  *pageCache
	masks  *maskCache
	nextID atomic.Uint64
}

func init() {
	// pdfcpu would otherwise create ~/.config/pdfcpu with fonts and
	// certificates on its first configuration.
	api.DisableConfigDir()
}

// NewEngine returns an engine and starts its PDFium pool in the background
// at once (compiling the WebAssembly module takes a few seconds). Use Ready
// to wait for it; every other method waits too.
func NewEngine(cfg Config) *Engine {
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:   cfg,
		ready: make(chan struct{}),
		quit:  make(chan struct{}),
		hi:    make(chan *job),
		lo:    make(chan *job, 64),
		docs:  map[*Document]struct{}{},
		cache: newPageCache(cfg.CacheBudget),
		masks: newMaskCache(8, maskBudget),
	}
	go e.start()
	return e
}

func (e *Engine) start() {
	defer close(e.ready)
	t0 := time.Now()
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle:  e.cfg.Workers,
		MaxIdle:  e.cfg.Workers,
		MaxTotal: e.cfg.Workers + 2, // room to replace abandoned workers
		// An empty file system: PDFium sees no disk at all, so it can
		// neither read system fonts nor write anything.
		FSConfig: wazero.NewFSConfig(),
		Stdout:   io.Discard,
		Stderr:   io.Discard,
		// CloseOnContextDone lets a killed job stop at once, at the
		// cost of checks in PDFium's loops (see Config.Interruptible).
		RuntimeConfig: wazero.NewRuntimeConfig().
			WithCoreFeatures(wazeroapi.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
			WithCloseOnContextDone(e.cfg.Interruptible),
	})
	if err != nil {
		e.err = fmt.Errorf("viewer: starting pdfium: %w", err)
		return
	}
	e.pool = pool
	var ws []*worker
	for i := 0; i < e.cfg.Workers; i++ {
		w, err := e.newWorker()
		if err != nil {
			e.err = err
			pool.Close()
			return
		}
		ws = append(ws, w)
	}
	e.mu.Lock()
	e.workers = ws
	e.wg.Add(len(ws))
	e.mu.Unlock()
	for _, w := range ws {
		go w.loop()
	}
	e.startTime = time.Since(t0)
}

// Ready waits until the PDFium pool has started, and returns its start
// error if it failed, or ctx's error.
func (e *Engine) Ready(ctx context.Context) error {
	select {
	case <-e.ready:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StartupTime returns how long the pool took to start, or zero while it is
// starting or if it failed.
func (e *Engine) StartupTime() time.Duration {
	select {
	case <-e.ready:
		return e.startTime
	default:
		return 0
	}
}

// Open validates pdf with pdfcpu, then opens it in PDFium, and returns a
// document whose every rendered page carries wm.
//
// The engine does not copy pdf and does not own it: the caller keeps it
// unchanged until the document is closed (or the engine wiped), and zeroes
// it afterwards. PDFium holds its own copy inside WebAssembly memory, which
// Close and Wipe release and Wipe zeroes.
func (e *Engine) Open(ctx context.Context, pdf []byte, wm Watermark) (*Document, error) {
	return e.open(ctx, pdf, wm, false)
}

func (e *Engine) open(ctx context.Context, pdf []byte, wm Watermark, ownsPDF bool) (*Document, error) {
	if err := e.Ready(ctx); err != nil {
		return nil, err
	}
	wm, err := wm.normalized()
	if err != nil {
		return nil, err
	}
	if len(pdf) > MaxPDFSize {
		return nil, fmt.Errorf("%w: document is %d bytes, at most %d", ErrTooLarge, len(pdf), MaxPDFSize)
	}
	if err := validatePDF(ctx, pdf, e.cfg.JobTimeout); err != nil {
		return nil, err
	}
	d := &Document{e: e, id: e.nextID.Add(1), pdf: pdf, ownsPDF: ownsPDF, wm: wm}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	e.docs[d] = struct{}{}
	e.mu.Unlock()
	if err := e.run(ctx, d, true, func(w *worker, h references.FPDF_DOCUMENT) error { return d.load(w, h) }); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenReaderAt reads size bytes from r into a buffer the document owns
// (zeroed at Close and Wipe) and opens it as Open does.
func (e *Engine) OpenReaderAt(ctx context.Context, r io.ReaderAt, size int64, wm Watermark) (*Document, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrBadArgument)
	}
	if size > MaxPDFSize {
		return nil, fmt.Errorf("%w: document is %d bytes, at most %d", ErrTooLarge, size, MaxPDFSize)
	}
	buf := make([]byte, size)
	if n, err := r.ReadAt(buf, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		clear(buf)
		return nil, fmt.Errorf("viewer: reading document: %w", err)
	}
	d, err := e.open(ctx, buf, wm, true)
	if err != nil {
		clear(buf)
		return nil, err
	}
	return d, nil
}

// validatePDF runs pdfcpu's relaxed validation, with a fresh configuration
// (pdfcpu mutates the one it is given), and maps its failures to ErrPassword
// or ErrInvalidPDF.
func validatePDF(ctx context.Context, pdf []byte, timeout time.Duration) error {
	if len(pdf) == 0 {
		return fmt.Errorf("%w: empty document", ErrInvalidPDF)
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%w: pdfcpu failed: %v", ErrInvalidPDF, r)
			}
		}()
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationRelaxed
		conf.Cmd = model.VALIDATE
		_, err := api.ReadAndValidate(bytes.NewReader(pdf), conf)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		// pdfcpu cannot be stopped: its goroutine ends when it is done.
		return fmt.Errorf("%w: validation did not finish in %v", ErrTimeout, timeout)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pdfcpu.ErrWrongPassword) || strings.Contains(err.Error(), "password"):
		return fmt.Errorf("%w (%v)", ErrPassword, err)
	case errors.Is(err, ErrInvalidPDF):
		return err
	default:
		return fmt.Errorf("%w: %v", ErrInvalidPDF, err)
	}
}

// Wipe zeroes every rendered page the engine holds or handed out (when the
// caller still holds it), zeroes PDFium's WebAssembly memory (where the
// document bytes and its text lived), replaces the PDFium instances and
// closes every open document. The engine stays usable for new documents.
func (e *Engine) Wipe() {
	e.mu.Lock()
	docs := make([]*Document, 0, len(e.docs))
	for d := range e.docs {
		docs = append(docs, d)
	}
	issued := e.issued
	e.issued = nil
	e.mu.Unlock()
	for _, d := range docs {
		d.markClosed()
	}
	for _, p := range issued {
		if img := p.Value(); img != nil {
			clear(img.Pix)
		}
	}
	e.cache.wipe()
	e.masks.wipe()
	select {
	case <-e.ready:
	default:
		return // no worker yet: nothing was rendered
	}
	ws := e.workerList()
	for _, w := range ws {
		w.abortJob()
	}
	var wg sync.WaitGroup
	for _, w := range ws {
		done := make(chan struct{})
		ok := w.control(func() {
			w.reset(false)
			close(done)
			// A fresh instance for the next documents, after Wipe has
			// returned: jobs queue behind this.
			w.renew()
		})
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-done:
			case <-w.gone: // hung and replaced: nothing more to wait for
			case <-e.quit:
			}
		}()
	}
	wg.Wait()
}

// Close wipes the engine and stops its pool. Later calls return ErrClosed.
func (e *Engine) Close() error {
	e.Wipe()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	<-e.ready
	close(e.quit)
	e.wg.Wait()
	if e.pool != nil {
		// Instances are already closed by the workers.
		return e.pool.Close()
	}
	return nil
}

// issue records an image handed to a caller so that Wipe can zero it while
// the caller still holds it.
func (e *Engine) issue(img *image.RGBA) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.issued) >= 64 {
		live := e.issued[:0]
		for _, p := range e.issued {
			if p.Value() != nil {
				live = append(live, p)
			}
		}
		clear(e.issued[len(live):])
		e.issued = live
	}
	e.issued = append(e.issued, weak.Make(img))
}

// killGrace is how long a killed job has to return before its worker is
// abandoned and replaced.
const killGrace = time.Second

// job is one unit of PDFium work for a document.
type job struct {
	ctx     context.Context
	doc     *Document
	fn      func(w *worker, h references.FPDF_DOCUMENT) error
	timeout time.Duration
	once    sync.Once
	done    chan error // buffered: answer never blocks
}

// answer reports the job's outcome; only the first answer counts (the
// watcher answers for a job whose worker it abandons).
func (j *job) answer(err error) { j.once.Do(func() { j.done <- err }) }

// run executes fn on a free worker with d open in it, at high priority
// (a page the user waits for) or low (prefetch), under the engine's job
// time limit.
func (e *Engine) run(ctx context.Context, d *Document, high bool, fn func(w *worker, h references.FPDF_DOCUMENT) error) error {
	return e.runFor(ctx, d, high, e.cfg.JobTimeout, fn)
}

// runFor is run with a given time limit. When ctx ends first, runFor
// returns at once and the job, if it started, finishes in the background
// (a page it renders is still cached).
func (e *Engine) runFor(ctx context.Context, d *Document, high bool, timeout time.Duration, fn func(w *worker, h references.FPDF_DOCUMENT) error) error {
	if err := e.Ready(ctx); err != nil {
		return err
	}
	j := &job{ctx: ctx, doc: d, fn: fn, timeout: timeout, done: make(chan error, 1)}
	q := e.lo
	if high {
		q = e.hi
	}
	select {
	case q <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.quit:
		return ErrClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-e.quit:
		return ErrClosed
	}
}

// worker owns one PDFium instance and the documents opened in it. Only
// its own goroutine touches inst and docs.
type worker struct {
	e    *Engine
	inst pdfium.Pdfium
	docs map[*Document]references.FPDF_DOCUMENT
	ctl  chan func()

	gone      chan struct{} // closed when the worker is abandoned
	abandoned atomic.Bool
	released  atomic.Bool // its share of Engine.wg is done

	abortMu sync.Mutex
	abort   chan struct{} // closed to kill the job now running, if any
}

// newWorker starts a PDFium instance for a new worker (not yet running).
func (e *Engine) newWorker() (*worker, error) {
	inst, err := e.pool.GetInstance(time.Minute)
	if err != nil {
		return nil, fmt.Errorf("viewer: starting pdfium worker: %w", err)
	}
	return &worker{e: e, inst: inst, docs: map[*Document]references.FPDF_DOCUMENT{},
		ctl: make(chan func(), 256), gone: make(chan struct{})}, nil
}

// workerList returns the workers now serving jobs.
func (e *Engine) workerList() []*worker {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*worker(nil), e.workers...)
}

func (w *worker) release() {
	if w.released.CompareAndSwap(false, true) {
		w.e.wg.Done()
	}
}

// abandon replaces a worker whose PDFium call does not return even after
// its instance was killed. The old goroutine ends when (if) the call
// returns; until then it keeps the CPU busy, which is all a hung
// WebAssembly call can do.
func (e *Engine) abandon(old *worker) {
	old.abandoned.Store(true)
	close(old.gone)
	old.release()
	nw, err := e.newWorker()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, w := range e.workers {
		if w != old {
			continue
		}
		if err != nil || e.closed {
			e.workers = append(e.workers[:i], e.workers[i+1:]...)
		} else {
			e.workers[i] = nw
		}
		break
	}
	if err == nil {
		if e.closed {
			nw.inst.Kill()
			return
		}
		e.wg.Add(1)
		go nw.loop()
	}
}

// abortJob kills the job the worker is running, if any (Wipe does not
// wait for a slow render to finish).
func (w *worker) abortJob() {
	w.abortMu.Lock()
	defer w.abortMu.Unlock()
	if w.abort != nil {
		close(w.abort)
		w.abort = nil
	}
}

// control runs f in the worker's goroutine between jobs. It reports false if
// the worker was abandoned or the engine is shutting down.
func (w *worker) control(f func()) bool {
	select {
	case w.ctl <- f:
		return true
	case <-w.gone:
		return false
	case <-w.e.quit:
		return false
	}
}

func (w *worker) loop() {
	defer w.release()
	defer func() {
		if !w.abandoned.Load() {
			w.reset(false)
		}
	}()
	for !w.abandoned.Load() {
		// Control messages first, then pages the user waits for, then
		// prefetches.
		select {
		case f := <-w.ctl:
			f()
			continue
		default:
		}
		select {
		case f := <-w.ctl:
			f()
			continue
		case j := <-w.e.hi:
			w.do(j)
			continue
		default:
		}
		select {
		case f := <-w.ctl:
			f()
		case j := <-w.e.hi:
			w.do(j)
		case j := <-w.e.lo:
			w.do(j)
		case <-w.e.quit:
			return
		}
	}
}

// do runs one job with the document open in this worker. A watcher kills
// the instance if the job runs over its time limit or Wipe aborts it; if
// PDFium still does not return, the worker is abandoned (see abandon).
func (w *worker) do(j *job) {
	if err := j.ctx.Err(); err != nil {
		j.answer(err)
		return
	}
	if w.inst == nil {
		if err := w.renew(); err != nil {
			j.answer(err)
			return
		}
	}
	finished := make(chan struct{})
	abort := make(chan struct{})
	w.abortMu.Lock()
	w.abort = abort
	w.abortMu.Unlock()
	// mu orders a kill against the job's end, so that a job that finished
	// is never killed after the fact.
	var mu sync.Mutex
	var ended, killed, aborted bool
	inst := w.inst
	go func() {
		t := time.NewTimer(j.timeout)
		defer t.Stop()
		byAbort := false
		select {
		case <-finished:
			return
		case <-t.C:
		case <-abort:
			byAbort = true
		}
		mu.Lock()
		if ended {
			mu.Unlock()
			return
		}
		killed, aborted = true, byAbort
		mu.Unlock()
		inst.Kill()
		g := time.NewTimer(killGrace)
		defer g.Stop()
		select {
		case <-finished:
			return
		case <-g.C:
		}
		w.e.abandon(w)
		if byAbort {
			j.answer(ErrClosed)
		} else {
			j.answer(fmt.Errorf("%w after %v", ErrTimeout, j.timeout))
		}
	}()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: pdfium failed: %v", ErrInvalidPDF, r)
			}
		}()
		h, err := w.open(j.doc)
		if err != nil {
			return err
		}
		return j.fn(w, h)
	}()
	mu.Lock()
	ended = true
	wasKilled, wasAborted := killed, aborted
	mu.Unlock()
	close(finished)
	w.abortMu.Lock()
	w.abort = nil
	w.abortMu.Unlock()
	if wasKilled {
		// The instance is gone with every document in it; its call has
		// returned, so nothing runs in its memory any more: zero it.
		zeroInstanceMemory(inst)
		w.inst = nil
		clear(w.docs)
		if wasAborted {
			err = ErrClosed
		} else {
			err = fmt.Errorf("%w after %v", ErrTimeout, j.timeout)
		}
		// After an abort the wipe's reset starts the new instance; an
		// abandoned worker gets none.
		if !wasAborted && !w.abandoned.Load() {
			if rerr := w.renew(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}
	j.answer(err)
}

// renew gets a fresh PDFium instance from the pool.
func (w *worker) renew() error {
	inst, err := w.e.pool.GetInstance(time.Minute)
	if err != nil {
		return fmt.Errorf("viewer: restarting pdfium worker: %w", err)
	}
	w.inst = inst
	clear(w.docs)
	return nil
}

// open returns d's handle in this worker, opening d here first if needed.
func (w *worker) open(d *Document) (references.FPDF_DOCUMENT, error) {
	if h, ok := w.docs[d]; ok {
		return h, nil
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return "", ErrClosed
	}
	res, err := w.inst.OpenDocument(&requests.OpenDocument{File: &d.pdf})
	if err != nil {
		return "", pdfiumError(err)
	}
	w.docs[d] = res.Document
	return res.Document, nil
}

// forget closes d's handle in this worker, if it has one.
func (w *worker) forget(d *Document) {
	h, ok := w.docs[d]
	if !ok {
		return
	}
	delete(w.docs, d)
	if w.inst != nil {
		w.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: h})
	}
}

// reset drops every document of this worker and its instance, zeroing the
// instance's WebAssembly memory first. With renew set it then starts a
// fresh instance.
func (w *worker) reset(renew bool) {
	if w.inst != nil {
		clear(w.docs)
		zeroInstanceMemory(w.inst)
		// Kill drops the instance without calling into its (now zeroed)
		// memory; the pool then discards the module.
		w.inst.Kill()
		w.inst = nil
	}
	if renew {
		w.renew()
	}
}

// wasmMemory is the part of go-pdfium's guest memory that zeroing needs.
type wasmMemory interface {
	Size() uint32
	Read(offset, byteCount uint32) ([]byte, bool)
}

// zeroInstanceMemory zeroes the linear memory of a WebAssembly PDFium
// instance: document bytes, decoded images, text and bitmaps all lived
// there. It reports whether it found the memory.
func zeroInstanceMemory(inst pdfium.Pdfium) bool {
	buf, ok := instanceMemory(inst)
	clear(buf)
	return ok
}

// instanceMemory returns a view of an instance's whole linear memory.
// go-pdfium exposes it only through an internal type, so this goes through
// reflection, and reports false if go-pdfium's shape changed.
func instanceMemory(inst pdfium.Pdfium) (buf []byte, ok bool) {
	defer func() {
		if recover() != nil {
			buf, ok = nil, false
		}
	}()
	impl := reflect.ValueOf(inst.GetImplementation())
	if impl.Kind() == reflect.Pointer {
		impl = impl.Elem()
	}
	mod := impl.FieldByName("Module")
	if !mod.IsValid() || mod.IsNil() {
		return nil, false
	}
	m := mod.MethodByName("Memory")
	if !m.IsValid() {
		return nil, false
	}
	mem, isMem := m.Call(nil)[0].Interface().(wasmMemory)
	if !isMem {
		return nil, false
	}
	return mem.Read(0, mem.Size())
}

// pdfiumError maps PDFium's open errors to the package's sentinels.
func pdfiumError(err error) error {
	switch {
	case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
		return fmt.Errorf("%w (pdfium: %v)", ErrPassword, err)
	case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile),
		errors.Is(err, pdfiumerrors.ErrUnknown), errors.Is(err, pdfiumerrors.ErrPage):
		return fmt.Errorf("%w: pdfium: %v", ErrInvalidPDF, err)
	}
	return fmt.Errorf("viewer: pdfium: %w", err)
}
