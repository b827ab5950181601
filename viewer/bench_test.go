package viewer

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks share one 50-page A4 case file and an engine without a
// page cache, so every iteration really renders.
const benchPages = 50

var (
	benchOnce   sync.Once
	benchEngine *Engine
	benchPDF    []byte
	benchDoc    *Document
	benchErr    error
)

func benchSetup(b *testing.B) *Document {
	b.Helper()
	benchOnce.Do(func() {
		benchPDF = reportPDF(b, benchPages)
		benchEngine = NewEngine(Config{Workers: 2, CacheBudget: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if benchErr = benchEngine.Ready(ctx); benchErr != nil {
			return
		}
		benchDoc, benchErr = benchEngine.Open(ctx, benchPDF, testWatermark())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDoc
}

// peakRSSMiB reads the process's peak resident memory (Linux only).
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkRenderPage renders pages of the 50-page file at 150 DPI, the
// watermark included: one page at a time ("sequential", what a reader
// waits for), and two at a time on the two workers ("parallel", the
// throughput with prefetch).
func BenchmarkRenderPage(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			if _, err := d.RenderDPI(ctx, i%benchPages, 150); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/page")
	})
	// "unstamped" is the same render without the watermark, which no
	// caller can ask for: PDFium's own share, the floor the watermark
	// adds to.
	b.Run("unstamped", func(b *testing.B) {
		cpu0 := cpuTime()
		for i := 0; b.Loop(); i++ {
			img, err := d.clean(ctx, i%benchPages, 150.0/72, true)
			if err != nil {
				b.Fatal(err)
			}
			clear(img.Pix)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/page")
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Int64
		cpu0 := cpuTime()
		b.SetParallelism(max(1, 2/max(1, runtimeProcs())))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := d.RenderDPI(ctx, int(next.Add(1))%benchPages, 150); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/page")
		b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	})
}

// BenchmarkRestamp is the cost of the minute's re-stamp of a shown page:
// the clean page comes from the cache; "same-minute" reuses the mask,
// "new-minute" builds it (once a minute per page size).
func BenchmarkRestamp(b *testing.B) {
	e := engine(b)
	var now atomic.Int64
	now.Store(fixedTime.Unix())
	wm := testWatermark()
	wm.Now = func() time.Time { return time.Unix(now.Load(), 0).UTC() }
	d, err := e.Open(context.Background(), reportPDF(b, 2), wm)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := d.RenderDPI(ctx, 0, 150); err != nil {
		b.Fatal(err)
	}
	b.Run("same-minute", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.RenderDPI(ctx, 0, 150); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-minute", func(b *testing.B) {
		for b.Loop() {
			now.Add(60)
			if _, err := d.RenderDPI(ctx, 0, 150); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchTool runs a reference renderer over the same 50 pages at 150 DPI
// and reports its time per page (process start included, spread over the
// 50 pages). The PDF is generated test text, not case data.
func benchTool(b *testing.B, name string, args func(in, outDir string) []string) {
	bin, err := exec.LookPath(name)
	if err != nil {
		b.Skipf("%s not installed (Debian: poppler-utils, mupdf-tools)", name)
	}
	benchSetup(b)
	dir := b.TempDir()
	in := filepath.Join(dir, "bench.pdf")
	if err := os.WriteFile(in, benchPDF, 0o600); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		out := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(out, 0o700); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, args(in, out)...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v: %s", name, err, msg)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		os.RemoveAll(out)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*benchPages), "ms/page")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N*benchPages), "cpu-ms/page")
}

// BenchmarkPdftoppm is poppler's renderer on the same work (PPM output, no
// compression).
func BenchmarkPdftoppm(b *testing.B) {
	benchTool(b, "pdftoppm", func(in, out string) []string {
		return []string{"-r", "150", in, filepath.Join(out, "p")}
	})
}

// BenchmarkMutool is MuPDF's renderer on the same work (PNM output).
func BenchmarkMutool(b *testing.B) {
	benchTool(b, "mutool", func(in, out string) []string {
		return []string{"draw", "-q", "-r", "150", "-o", filepath.Join(out, "p%d.pnm"), in}
	})
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkComposite is the watermark's share of a 150 DPI A4 page: the
// blend of a ready mask onto the page.
func BenchmarkComposite(b *testing.B) {
	m := buildMask(1240, 1754, 150.0/72, testWatermark().Lines(fixedTime))
	img := solid(255, 1240, 1754)
	for b.Loop() {
		composite(img, m)
	}
}

// BenchmarkBuildMask is the once-a-minute cost of a new watermark mask for
// a 150 DPI A4 page.
func BenchmarkBuildMask(b *testing.B) {
	lines := testWatermark().Lines(fixedTime)
	for b.Loop() {
		buildMask(1240, 1754, 150.0/72, lines)
	}
}

// BenchmarkWipe is the time the wipe takes with two documents open and 20
// pages at 150 DPI cached: zeroing the cache, the PDFium memory, closing
// everything (new instances start after it returns).
func BenchmarkWipe(b *testing.B) {
	e := engine(b)
	pdf := reportPDF(b, 10)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		for k := 0; k < 2; k++ {
			d, err := e.Open(ctx, pdf, testWatermark())
			if err != nil {
				b.Fatal(err)
			}
			for p := 0; p < d.PageCount(); p++ {
				if _, err := d.RenderDPI(ctx, p, 150); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
		e.Wipe()
	}
}

// BenchmarkEngineStartup is the time from NewEngine to Ready (compiling
// PDFium's WebAssembly module and starting two workers), and the peak
// resident memory of the process after it.
func BenchmarkEngineStartup(b *testing.B) {
	for b.Loop() {
		e := NewEngine(Config{Workers: 2})
		if err := e.Ready(context.Background()); err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/start")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}
