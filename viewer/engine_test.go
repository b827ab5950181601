package viewer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"caseviewer/internal/pdfgen"

	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// canaryPDF is a small document whose uncompressed title carries canary,
// so the bytes can be found in memory.
func canaryPDF(t testing.TB, canary string) []byte {
	t.Helper()
	pdf, err := (&pdfgen.Document{Info: pdfgen.Info{Title: canary}, Pages: []pdfgen.Page{
		{Texts: []pdfgen.Text{{X: 72, Y: 700, Size: 14, Content: canary}}},
		pdfgen.DarkPage("second"),
	}}).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// workerMemory returns views of the WebAssembly memory of every worker,
// taken in the workers' own goroutines.
func workerMemory(t *testing.T, e *Engine) [][]byte {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var mems [][]byte
	for _, w := range e.workerList() {
		wg.Add(1)
		w.control(func() {
			defer wg.Done()
			if w.inst == nil {
				return
			}
			m, ok := instanceMemory(w.inst)
			if !ok {
				t.Error("cannot reach the WebAssembly memory of a PDFium instance (go-pdfium changed?)")
				return
			}
			mu.Lock()
			mems = append(mems, m)
			mu.Unlock()
		})
	}
	wg.Wait()
	return mems
}

func TestWipeZeroesEverything(t *testing.T) {
	e := engine(t)
	const canary = "CANARY-WIPE-7731-QX"
	pdf := canaryPDF(t, canary)
	d := open(t, e, pdf)
	ctx := context.Background()
	shown := render(t, d, 0, 1) // an image the GUI still holds
	d.Prefetch(1, 1)
	render(t, d, 1, 1)
	// The cache's own buffer for page 0.
	e.cache.mu.Lock()
	el, ok := e.cache.entries[d.cacheKey(0, 1)]
	e.cache.mu.Unlock()
	if !ok {
		t.Fatal("page 0 is not in the cache")
	}
	cached := el.Value.(*cacheEntry).img
	if allZero(cached.Pix) || allZero(shown.Pix) {
		t.Fatal("rendered buffers are blank before the wipe")
	}
	mems := workerMemory(t, e)
	found := false
	for _, m := range mems {
		if bytes.Contains(m, []byte(canary)) {
			found = true
		}
	}
	if !found {
		t.Fatal("canary not found in PDFium's memory before the wipe: the check below would prove nothing")
	}

	e.Wipe()

	if !allZero(shown.Pix) {
		t.Error("an image handed out and still held was not zeroed")
	}
	if !allZero(cached.Pix) {
		t.Error("the cache's buffer was not zeroed")
	}
	for i, m := range mems {
		if !allZero(m) {
			t.Errorf("WebAssembly memory of worker %d not zeroed", i)
		}
	}
	if used, n := e.cache.usage(); used != 0 || n != 0 {
		t.Errorf("cache holds %d bytes in %d pages after the wipe", used, n)
	}
	if _, err := d.Render(ctx, 0, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Render after Wipe = %v, want ErrClosed", err)
	}
	for _, m := range workerMemory(t, e) {
		if bytes.Contains(m, []byte(canary)) {
			t.Error("canary in the memory of a fresh instance")
		}
	}
	// The engine goes on with new documents.
	d2 := open(t, e, pdf)
	render(t, d2, 0, 0.5)
}

// TestNoDiskWrites runs a whole engine with HOME, TMPDIR, the XDG folders
// and the working directory pointed at empty folders, and checks they stay
// empty.
func TestNoDiskWrites(t *testing.T) {
	root := t.TempDir()
	env := map[string]string{"HOME": "home", "TMPDIR": "tmp", "XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "config",
		"XDG_DATA_HOME": "data", "XDG_STATE_HOME": "state", "XDG_RUNTIME_DIR": "runtime"}
	for k, v := range env {
		dir := filepath.Join(root, v)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(k, dir)
	}
	cwd := filepath.Join(root, "cwd")
	if err := os.Mkdir(cwd, 0o700); err != nil {
		t.Fatal(err)
	}
	pdf := testPDF(t)
	t.Chdir(cwd)

	e := NewEngine(Config{Workers: 1, Interruptible: true}) // the other mode than the shared engine
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := e.OpenReaderAt(ctx, bytes.NewReader(pdf), int64(len(pdf)), testWatermark())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < d.PageCount(); i++ {
		if _, err := d.Render(ctx, i, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Find(ctx, "exhibit"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Open(ctx, []byte("%PDF-1.7 broken"), testWatermark()); err == nil {
		t.Error("a broken PDF opened")
	}
	e.Wipe()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	var written []string
	filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.Count(rel, string(filepath.Separator)) > 0 || (!de.IsDir() && rel != ".") {
			written = append(written, rel)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("the engine wrote to disk: %v", written)
	}
}

func TestJobOverTimeIsKilledAndWorkerReplaced(t *testing.T) {
	e := engine(t)
	d := open(t, e, testPDF(t))
	before := render(t, d, 0, 0.5)
	var callErr error
	err := e.runFor(context.Background(), d, true, 100*time.Millisecond, func(w *worker, h references.FPDF_DOCUMENT) error {
		time.Sleep(400 * time.Millisecond) // a slow render: over the limit, back within the grace
		_, callErr = w.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: h})
		return callErr
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("job over its time limit = %v, want ErrTimeout", err)
	}
	if callErr == nil {
		t.Error("the instance still answered after it was killed")
	}
	// A caller's context that ends, during or right after a job, never
	// kills the instance (the GUI cancels a page's context when the user
	// moves on): the job finishes and the worker stays.
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		err := e.run(ctx, d, true, func(w *worker, h references.FPDF_DOCUMENT) error { return nil })
		cancel()
		if err != nil {
			t.Fatalf("quick job %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	var lateErr error
	finished := make(chan struct{})
	err = e.run(ctx, d, true, func(w *worker, h references.FPDF_DOCUMENT) error {
		defer close(finished)
		time.Sleep(200 * time.Millisecond)
		_, lateErr = w.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: h})
		return lateErr
	})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run with an expired context = %v, want DeadlineExceeded", err)
	}
	<-finished
	if lateErr != nil {
		t.Errorf("the job of a caller that left was killed: %v", lateErr)
	}
	// The document reopens in the fresh instance and renders the same.
	e.cache.dropDoc(d.id)
	after := render(t, d, 0, 0.5)
	if !bytes.Equal(before.Pix, after.Pix) {
		t.Error("the page renders differently after the worker was replaced")
	}
}

// TestHungWorkerIsAbandoned: a job that does not return even after its
// instance is killed gets ErrTimeout, a new worker takes its place, and
// the engine goes on rendering meanwhile.
func TestHungWorkerIsAbandoned(t *testing.T) {
	e := engine(t)
	d := open(t, e, testPDF(t))
	got := make(chan *worker, 1)
	release := make(chan struct{})
	returned := make(chan struct{})
	err := e.runFor(context.Background(), d, true, 50*time.Millisecond, func(w *worker, h references.FPDF_DOCUMENT) error {
		got <- w
		defer close(returned)
		<-release // stands in for PDFium stuck in a loop
		return nil
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("hung job = %v, want ErrTimeout", err)
	}
	select {
	case <-returned:
		t.Fatal("the job returned before the caller was answered")
	default:
	}
	hung := <-got
	ws := e.workerList()
	if len(ws) != 2 {
		t.Fatalf("%d workers after the replacement, want 2", len(ws))
	}
	for _, w := range ws {
		if w == hung {
			t.Fatal("the hung worker is still in service")
		}
	}
	for p := 0; p < d.PageCount(); p++ { // both workers serve while the old one hangs
		e.cache.dropDoc(d.id)
		render(t, d, p, 0.4)
	}
	close(release)
	<-returned
}

func TestWipeAbortsARunningJob(t *testing.T) {
	e := engine(t)
	d := open(t, e, testPDF(t))
	started := make(chan struct{})
	var calls int
	res := make(chan error, 1)
	go func() {
		res <- e.run(context.Background(), d, true, func(w *worker, h references.FPDF_DOCUMENT) error {
			close(started)
			// Stands in for a render that takes long: busy in PDFium until
			// the instance is killed, for 20 s at most.
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); calls++ {
				if _, err := w.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: h}); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	<-started
	time.Sleep(50 * time.Millisecond)
	e.Wipe()
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Fatalf("job running across a wipe = %v after %d calls, want ErrClosed", err, calls)
	}
	d2 := open(t, e, testPDF(t))
	render(t, d2, 0, 0.5)
}

func TestConcurrentRendersAgree(t *testing.T) {
	e := engine(t)
	d := open(t, e, reportPDF(t, 8))
	want := make([]*image.RGBA, d.PageCount())
	for i := range want {
		want[i] = render(t, d, i, 0.6)
	}
	e.cache.dropDoc(d.id)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < d.PageCount(); k++ {
				i := (k + 3*g) % d.PageCount()
				d.Prefetch((i+1)%d.PageCount(), 0.6)
				img, err := d.Render(context.Background(), i, 0.6)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(img.Pix, want[i].Pix) {
					errs <- errors.New("a page rendered concurrently differs")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// pdfcpuTestdata returns the folder of real-world PDFs in pdfcpu's module.
func pdfcpuTestdata(t testing.TB) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pdfcpu/pdfcpu").Output()
	dir := filepath.Join(strings.TrimSpace(string(out)), "pkg", "testdata")
	if err != nil || strings.TrimSpace(string(out)) == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot locate pdfcpu's module folder: %v", err)
		}
		t.Skipf("cannot locate pdfcpu's module folder: %v", err)
	}
	return dir
}

// TestCorpus opens every real-world PDF of pdfcpu's test data (its
// subfolders included: PDF 2.0 files) and renders its first and last
// pages: each either renders or fails with an error, within a time limit,
// and never panics.
func TestCorpus(t *testing.T) {
	e := engine(t)
	dir := pdfcpuTestdata(t)
	var files []string
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() && strings.EqualFold(filepath.Ext(path), ".pdf") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d PDFs in pdfcpu's test data, expected about 56", len(files))
	}
	opened, rejected := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if testing.Short() && len(data) > 300<<10 {
			continue
		}
		name, _ := filepath.Rel(dir, f)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		d, err := e.Open(ctx, data, testWatermark())
		if err != nil {
			cancel()
			rejected++
			if !errors.Is(err, ErrInvalidPDF) && !errors.Is(err, ErrPassword) && !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s: unexpected kind of error: %v", name, err)
			}
			t.Logf("%s: rejected: %v", name, err)
			continue
		}
		opened++
		for _, p := range []int{0, d.PageCount() - 1} {
			img, err := d.Render(ctx, p, 0.3)
			if err != nil {
				t.Logf("%s: page %d: %v", name, p, err)
				continue
			}
			if img.Bounds().Empty() {
				t.Errorf("%s: page %d rendered empty", name, p)
			}
		}
		d.Close()
		cancel()
	}
	t.Logf("corpus: %d opened, %d rejected", opened, rejected)
	if opened < (opened+rejected)/2 {
		t.Errorf("only %d of %d corpus PDFs opened", opened, opened+rejected)
	}
}

// FuzzOpenRender feeds arbitrary bytes to Open, Render and Find: they must
// return an error or a result, never panic or hang.
func FuzzOpenRender(f *testing.F) {
	small, err := pdfgen.Build([]pdfgen.Page{{Width: 200, Height: 100, Texts: []pdfgen.Text{{X: 10, Y: 50, Content: "seed"}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add([]byte("%PDF-1.7\n"))
	f.Add(small[:len(small)-40])
	f.Add(bytes.Replace(small, []byte("/MediaBox [0 0 200 100]"), []byte("/MediaBox [0 0 1e30 -5]"), 1))
	f.Add(bytes.Replace(small, []byte("/Count 1"), []byte("/Count 99999999"), 1))
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pdfcpu/pdfcpu").Output(); err == nil {
		files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "pkg", "testdata", "*.pdf"))
		for _, p := range files {
			if fi, err := os.Stat(p); err == nil && fi.Size() < 16<<10 {
				if b, err := os.ReadFile(p); err == nil {
					f.Add(b)
				}
			}
		}
	}
	e := engine(f)
	f.Fuzz(func(t *testing.T, pdf []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d, err := e.Open(ctx, pdf, testWatermark())
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		defer d.Close()
		if d.PageCount() < 1 {
			t.Fatal("opened a document without pages")
		}
		if img, err := d.Render(ctx, 0, 0.25); err == nil && img.Bounds().Empty() {
			t.Fatal("empty image without an error")
		}
		d.Find(ctx, "a")
	})
}
